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
import { createInfobipClient } from '../outbound/infobip';
import type { MessageKind, MessageOf } from '../outbound/message';
import { httpStack, jsonResponse } from '../platform/http';
import {
  freeFormFields,
  sendOnce,
  sendToInfobip,
  sentBody,
  validate,
  type OutboundDeps,
  type SendCommon,
} from '../outbound/send';
import type { OmniMapping, RouteMessage } from '../outbound/transports';
import { omniText } from '../outbound/transports/omni';
import { createIdempotencyStore } from '../outbound/idempotency';
import { createConversationReader } from '../outbound/windowGuard';
import { createRedis } from '../platform/redis';

/** Text plus room for callbackData and settings; far below this is any real agent reply. */
export const SEND_MESSAGE_MAX_BODY_BYTES = 256 * 1024;

export const sendMessageSchema = z.object({
  ...freeFormFields,
  text: z.string().check(z.minLength(1), z.maxLength(4096)),
});

export interface SendMessageDeps extends OutboundDeps {
  ctliveApiToken: string;
}

/**
 * A send route whose body becomes one message and parks nothing (text, location, contact
 * cards): bearer auth, the body limit, validation, `sendOnce`.
 */
export function makeSimpleSendHandler<S extends z.ZodMiniType<SendCommon>, K extends MessageKind>(
  deps: SendMessageDeps,
  schema: S,
  kind: K,
  /** The kind's OMNI mapping (lib/outbound/transports/omni.ts); undefined where OMNI cannot carry it. */
  toOmni: OmniMapping<K>,
  messageOf: (body: z.infer<S>) => MessageOf<K>,
  /** Rules across fields that the schema cannot say; throws a 400 before anything is claimed or sent. */
  check?: (body: z.infer<S>) => void,
) {
  return httpStack(
    {
      log: deps.log,
      json: true,
      maxBodyBytes: SEND_MESSAGE_MAX_BODY_BYTES,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const body = validate(schema, event.jsonBody);
      check?.(body);
      return sendOnce(
        deps,
        event,
        body,
        async ({ messageId }) => {
          const sent = await sendToInfobip(deps, { ...body, messageId }, messageOf(body), toOmni);
          return jsonResponse(200, sentBody(sent));
        },
        { sends: { kind, toOmni } as RouteMessage },
      );
    },
  );
}

/** `POST /imchannel/sendMessage` (CONTRACT section 3): an agent's text to the customer. */
export const makeSendMessageHandler = (deps: SendMessageDeps) =>
  makeSimpleSendHandler(deps, sendMessageSchema, 'text', omniText, (body) => ({ kind: 'text', text: body.text }));

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
