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
import { MEDIA_KINDS, type MediaKind } from '../media/kinds';
import type { MediaStore } from '../media/store';
import { checkFileUrlLength, mediaMaxBodyBytes, parkingSendDeps, storedMediaDeps } from '../media/send';
import {
  HEADER_KINDS,
  checkHeaderFile,
  dropParked,
  headerFileLimit,
  headerFileOf,
  headerTypeOf,
  headerUploadOf,
  parkHeaderFile,
  type MediaHeaderInput,
} from '../media/headerFile';
import {
  LargeFilesDisabledError,
  discardIfRefused,
  discardUpload,
  readyUpload,
  uploadUrlBase,
  type StoredMediaDeps,
} from '../media/sendStored';
import {
  buttonsMessage,
  buttonsSendSchema,
  checkButtons,
  urlButtonMessage,
  urlButtonSendSchema,
  type HeaderFileOut,
} from './requests';

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
  /** The media bucket: a header may name an upload by `mediaId`; without it only URLs and inline files are taken. */
  objects?: StoredMediaDeps;
}

type WithHeader = SendCommon & { header?: MediaHeaderInput };

/** The header types that carry a file, by the upload kind each takes. */
const HEADER_FILE_KINDS = Object.values(HEADER_KINDS);

/** A header's upload of another kind: which header takes it, if any. */
const wrongHeaderKind = (uploadedAs: MediaKind) => {
  const type = headerTypeOf(uploadedAs);
  return type === undefined
    ? `This mediaId is an upload of kind ${uploadedAs}, which no header shows: a header takes an image, a video or a document`
    : `This mediaId is an upload of kind ${uploadedAs}: name it in a header of type ${type}`;
};

/** The header's own file as the message carries it, what the answer adds, and what goes when Infobip refuses. */
interface HeaderFileSent {
  out: HeaderFileOut;
  answer: { mediaId: string; mediaUrl: string };
  /** The message's id when the file fixed it (an upload's sent mark names it). */
  messageId?: string;
  dropIfRefused: (error: unknown) => Promise<void>;
}

/**
 * A send whose message may carry a header file (reply buttons, the link button): bearer
 * auth, the body limit, validation and the route's own checks before anything is claimed;
 * a header's inline file checked like a media send's and parked under the claim, or an
 * upload checked and marked under the claim like a media send's upload; either deleted
 * again when Infobip refuses the message for certain.
 */
export function makeInteractiveHandler<S extends z.ZodMiniType<WithHeader>, K extends 'buttons' | 'urlButton'>(
  deps: InteractiveSendDeps,
  schema: S,
  kind: K,
  messageOf: (body: z.infer<S>, file?: HeaderFileOut) => MessageOf<K>,
  check?: (body: z.infer<S>) => void,
) {
  const { log, media, objects } = deps;
  const fileLimit = headerFileLimit(media.maxBytes);
  for (const headerKind of HEADER_FILE_KINDS) {
    checkFileUrlLength('IMCHANNEL_PUBLIC_URL', deps.publicUrl, MEDIA_KINDS[headerKind].route);
    if (objects?.config.fetchMode === 'stream') {
      const base = uploadUrlBase(objects.config, headerKind, deps.publicUrl);
      checkFileUrlLength(`MEDIA_STREAM_URL_${headerKind.toUpperCase()}`, base, MEDIA_KINDS[headerKind].route);
    }
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
      const file = headerFileOf(body.header, { nameRequired: false, uploads: true });
      const contentType = file === undefined ? undefined : checkHeaderFile(file, media, fileLimit);
      const upload = headerUploadOf(body.header);
      if (upload !== undefined && objects === undefined) throw new LargeFilesDisabledError();
      const stored = objects === undefined ? undefined : { ...deps, objects };
      // Checked before a file is parked, so a request that cannot be sent leaves nothing behind.
      // OMNI has no interactive message: these go through the WhatsApp API (or are refused before anything is sent).
      routeOf(body, deps.infobipConfig, kind, undefined);

      /** The header's file made ready under the claim: parked, or the upload checked and marked. */
      const headerFile = async (messageId: string | undefined): Promise<HeaderFileSent | undefined> => {
        if (file !== undefined && contentType !== undefined) {
          const parked = await parkHeaderFile(deps, file, contentType);
          return {
            out: { mediaUrl: parked.mediaUrl },
            answer: parked,
            dropIfRefused: async (error) => {
              if (isInfobipRefusal(error) && !outcomeUnknown(error)) await dropParked(deps, parked, messageId);
            },
          };
        }
        if (upload === undefined || stored === undefined) return undefined;
        const ready = await readyUpload(stored, upload, messageId, { wrongKind: wrongHeaderKind, fieldPrefix: 'header.' });
        return {
          out: { mediaUrl: ready.mediaUrl, fileName: ready.entry.fileName },
          answer: { mediaId: ready.mediaId, mediaUrl: ready.mediaUrl },
          messageId: ready.messageId,
          dropIfRefused: (error) => discardIfRefused(stored, ready, error),
        };
      };

      return sendOnce(
        deps,
        event,
        body,
        async ({ messageId, attach }) => {
          const header = await headerFile(messageId);
          if (header !== undefined) attach(header.answer);
          try {
            const sent = await sendToInfobip(
              deps,
              { ...body, messageId: header?.messageId ?? messageId },
              messageOf(body, header?.out),
              undefined,
            );
            const answer: z.infer<typeof interactiveSentBodySchema> = { ...sentBody(sent), ...header?.answer };
            return jsonResponse(200, answer);
          } catch (error: unknown) {
            await header?.dropIfRefused(error);
            throw error;
          }
        },
        {
          sends: { kind, toOmni: undefined },
          // Refused for a closed window (enforce): as a media send's, the upload can never be
          // sent as this message, so it goes now rather than at its expiry.
          ...(upload === undefined || stored === undefined
            ? {}
            : { onWindowRefused: () => discardUpload(stored, upload.mediaId) }),
        },
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
    ({ log, redisConfig }) => {
      const redis = createRedis(redisConfig);
      return make({ ...parkingSendDeps(log, redis), objects: storedMediaDeps(log, redis, HEADER_FILE_KINDS) });
    },
    { secrets: SEND_SECRETS },
  );
}

export const startSendButtons = () => startInteractiveSend(BUTTONS_TAG, makeSendButtonsHandler);
export const startSendUrlButton = () => startInteractiveSend(URL_BUTTON_TAG, makeSendUrlButtonHandler);
