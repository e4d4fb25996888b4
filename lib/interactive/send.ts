import { checkBearer } from '../platform/auth';
import { type MediaConfig } from '../platform/config';
import { httpStack, jsonResponse } from '../platform/http';
import { createRedis } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import * as z from '../platform/schema';
import { isInfobipRefusal } from '../outbound/infobip';
import { outcomeUnknown } from '../outbound/idempotency';
import type { MessageOf } from '../outbound/message';
import { routeOf } from '../outbound/transports';
import {
  sendOnce,
  sendToInfobip,
  sentBody,
  sentBodySchema,
  validate,
  type OutboundDeps,
  type SendCommon,
} from '../outbound/send';
import { MEDIA_KINDS } from '../media/kinds';
import type { MediaStore } from '../media/store';
import { checkFileUrlLength, mediaMaxBodyBytes, parkingSendDeps } from '../media/send';
import {
  checkHeaderFile,
  dropParked,
  headerFileLimit,
  headerFileOf,
  parkHeaderFile,
  type MediaHeaderInput,
  type Parked,
} from '../media/headerFile';
import { buttonsMessage, buttonsSendSchema, checkButtons, urlButtonMessage, urlButtonSendSchema } from './requests';

export const BUTTONS_TAG = 'sendWhatsAppButtonsMessage';
export const URL_BUTTON_TAG = 'sendWhatsAppUrlButtonMessage';

/** The 200 body: a send's, plus the parked header file's id and URL when the header carried one. */
export const interactiveSentBodySchema = z.object({
  ...sentBodySchema.shape,
  mediaId: z.optional(z.string()),
  mediaUrl: z.optional(z.string()),
});

/** The interactive fields at their limits as six-byte `\uXXXX` escapes, on top of a media send's body limit. */
const INTERACTIVE_ENVELOPE_BYTES = 6 * (1024 + 60 + 60 + 3 * (256 + 20) + 2048 + 20 + 512) + 1024;

export interface InteractiveSendDeps extends OutboundDeps {
  ctliveApiToken: string;
  /** Where Infobip fetches a header's parked file from. */
  publicUrl: string;
  store: MediaStore;
  media: MediaConfig;
}

type WithHeader = SendCommon & { header?: MediaHeaderInput };

/**
 * A send whose message may carry a header file (reply buttons, the link button): bearer
 * auth, the body limit, validation and the route's own checks before anything is claimed;
 * a header's inline file checked like a media send's and parked under the claim, deleted
 * again when Infobip refuses the message for certain.
 */
export function makeInteractiveHandler<S extends z.ZodMiniType<WithHeader>, K extends 'buttons' | 'urlButton'>(
  deps: InteractiveSendDeps,
  schema: S,
  kind: K,
  messageOf: (body: z.infer<S>, parkedUrl?: string) => MessageOf<K>,
  check?: (body: z.infer<S>) => void,
) {
  const { log, media } = deps;
  const fileLimit = headerFileLimit(media.maxBytes);
  for (const headerKind of ['image', 'video', 'document'] as const) {
    checkFileUrlLength('IMCHANNEL_PUBLIC_URL', deps.publicUrl, MEDIA_KINDS[headerKind].route);
  }
  return httpStack(
    {
      log,
      json: true,
      maxBodyBytes: mediaMaxBodyBytes(media.maxBytes) + INTERACTIVE_ENVELOPE_BYTES,
      tooLargeHint: fileLimit,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const body = validate(schema, event.jsonBody);
      check?.(body);
      const file = headerFileOf(body.header, { nameRequired: false });
      const contentType = file === undefined ? undefined : checkHeaderFile(file, media, fileLimit);
      // Checked before a file is parked, so a request that cannot be sent leaves nothing behind.
      routeOf(body, deps.infobipConfig, kind);
      return sendOnce(
        deps,
        event,
        body,
        async ({ messageId, attach }) => {
          let parked: Parked | undefined;
          if (file !== undefined && contentType !== undefined) {
            parked = await parkHeaderFile(deps, file, contentType);
            attach(parked);
          }
          try {
            const sent = await sendToInfobip(deps, { ...body, messageId }, messageOf(body, parked?.mediaUrl));
            const answer: z.infer<typeof interactiveSentBodySchema> = { ...sentBody(sent), ...parked };
            return jsonResponse(200, answer);
          } catch (error: unknown) {
            if (parked !== undefined && isInfobipRefusal(error) && !outcomeUnknown(error)) {
              await dropParked(deps, parked, messageId);
            }
            throw error;
          }
        },
        { kind },
      );
    },
  );
}

/** `POST /imchannel/sendWhatsAppButtonsMessage`: up to three reply buttons; the tapped one's id comes back to ctlive. */
export const makeSendButtonsHandler = (deps: InteractiveSendDeps) =>
  makeInteractiveHandler(deps, buttonsSendSchema, 'buttons', buttonsMessage, checkButtons);

/** `POST /imchannel/sendWhatsAppUrlButtonMessage`: one button that opens an https link. */
export const makeSendUrlButtonHandler = (deps: InteractiveSendDeps) =>
  makeInteractiveHandler(deps, urlButtonSendSchema, 'urlButton', urlButtonMessage);

/** Production wiring of an interactive send with a header file, once per cold start. */
export function startInteractiveSend(
  tag: string,
  make: (deps: InteractiveSendDeps) => ReturnType<typeof makeSendButtonsHandler>,
) {
  return startFunction(
    tag,
    // A header's parked file is fetched from IMCHANNEL_PUBLIC_URL: like the media sends, it cannot start without it.
    ({ log, redisConfig }) => make(parkingSendDeps(log, createRedis(redisConfig))),
    { secrets: SEND_SECRETS },
  );
}

export const startSendButtons = () => startInteractiveSend(BUTTONS_TAG, makeSendButtonsHandler);
export const startSendUrlButton = () => startInteractiveSend(URL_BUTTON_TAG, makeSendUrlButtonHandler);
