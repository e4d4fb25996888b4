import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import { readCtliveApiToken, readInfobipConfig, type InfobipConfig } from '../platform/config';
import { httpStack, jsonResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import { createInfobipClient, infobipSettingsSchema, resolveSettings, type InfobipClient } from '../outbound/infobip';
import { sendFields, validate } from '../outbound/send';

export const TYPING_TAG = 'sendTypingIndicator';

/**
 * `POST /imchannel/sendTypingIndicator`: "typing…" on the customer's screen while an agent
 * writes, as one `TYPING_INDICATOR` event of Infobip's `POST /whatsapp/1/events`
 * (`WhatsAppEventRequest`, one destination per event; published specification v3.210.0).
 * Nothing is kept: no Redis, no idempotency (a second indicator is as good as the first), so
 * ctlive may fire it without waiting; still authenticated, validated and logged.
 */
export const typingSchema = z.object({
  to: sendFields.to,
  infobip: z.optional(infobipSettingsSchema),
});

export const typingBodySchema = z.object({ to: z.string(), typing: z.literal(true) });

export interface TypingDeps {
  log: TaggedLogger;
  infobip: InfobipClient;
  infobipConfig: InfobipConfig;
  ctliveApiToken: string;
}

export function makeTypingHandler(deps: TypingDeps) {
  return httpStack(
    {
      log: deps.log,
      json: true,
      maxBodyBytes: 16 * 1024,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const body = validate(typingSchema, event.jsonBody);
      const settings = resolveSettings(body.infobip, deps.infobipConfig, 'whatsapp');
      const request = {
        events: [{ sender: settings.sender as string, destinations: [{ to: body.to }], content: { type: 'TYPING_INDICATOR' } }],
      };
      await deps.infobip.post(settings, '/whatsapp/1/events', request, deps.log);
      return jsonResponse(200, { to: body.to, typing: true });
    },
  );
}

/** Production wiring, once per cold start. */
export function startTyping() {
  return startFunction(
    TYPING_TAG,
    ({ log }) => {
      const infobipConfig = readInfobipConfig();
      return makeTypingHandler({
        log,
        infobipConfig,
        infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
        ctliveApiToken: readCtliveApiToken(),
      });
    },
    { secrets: SEND_SECRETS },
  );
}
