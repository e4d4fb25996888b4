import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import {
  readConversationWindowPolicy,
  readCtliveApiToken,
  readIdempotencyConfig,
  readInfobipConfig,
  readNotifyUrl,
} from '../platform/config';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import { createInfobipClient } from './infobip';
import { httpStack, jsonResponse } from '../platform/http';
import { sendFields, sendOnce, sendToInfobip, sentBody, validate, type OutboundDeps } from './send';
import { createIdempotencyStore } from './idempotency';
import { createConversationReader } from './window';
import { createRedis } from '../platform/redis';

/** Text plus room for callbackData and settings; far below this is any real agent reply. */
export const SEND_MESSAGE_MAX_BODY_BYTES = 256 * 1024;

export const sendMessageSchema = z.object({
  ...sendFields,
  text: z.string().check(z.minLength(1), z.maxLength(4096)),
});

export interface SendMessageDeps extends OutboundDeps {
  ctliveApiToken: string;
}

/** `POST /imchannel/sendMessage` (CONTRACT section 3): an agent's text to the customer. */
export function makeSendMessageHandler(deps: SendMessageDeps) {
  return httpStack(
    {
      log: deps.log,
      json: true,
      maxBodyBytes: SEND_MESSAGE_MAX_BODY_BYTES,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const body = validate(sendMessageSchema, event.jsonBody);
      return sendOnce(deps, event, body, async ({ messageId }) => {
        const sent = await sendToInfobip(deps, { ...body, messageId }, { text: body.text });
        return jsonResponse(200, sentBody(sent));
      });
    },
  );
}

/**
 * Production wiring of a send route that parks nothing (sendMessage, the location and
 * contact-card sends), once per cold start, under its tag.
 */
export function startSendRoute(tag: string, makeHandler: (deps: SendMessageDeps) => ReturnType<typeof makeSendMessageHandler>) {
  return startFunction(
    tag,
    ({ log, redisConfig }) => {
      const infobipConfig = readInfobipConfig();
      const idempotencyConfig = readIdempotencyConfig();
      const redis = createRedis(redisConfig);
      return makeHandler({
        idempotency: { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig },
        conversationWindow: { policy: readConversationWindowPolicy(), read: createConversationReader(redis) },
        log,
        infobipConfig,
        infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
        notifyUrl: readNotifyUrl(),
        ctliveApiToken: readCtliveApiToken(),
      });
    },
    { secrets: SEND_SECRETS },
  );
}

/** Production wiring of sendMessage, once per cold start. */
export function startSendMessage() {
  return startSendRoute('sendMessage', makeSendMessageHandler);
}
