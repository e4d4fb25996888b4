import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import { readCtliveApiToken, readInfobipConfig, readNotifyUrl } from '../platform/config';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import { createInfobipClient } from './infobip';
import { httpStack, jsonResponse } from '../platform/http';
import { sendFields, sendToInfobip, sentBody, validate, type OutboundDeps } from './send';

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
      const sent = await sendToInfobip(deps, body, { text: body.text });
      return jsonResponse(200, sentBody(sent));
    },
  );
}

/** Production wiring of sendMessage, once per cold start. */
export function startSendMessage() {
  return startFunction(
    'sendMessage',
    ({ log }) => {
      const infobipConfig = readInfobipConfig();
      return makeSendMessageHandler({
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
