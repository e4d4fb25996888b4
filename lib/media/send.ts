import { randomUUID } from 'node:crypto';
import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import {
  ConfigError,
  readCtliveApiToken,
  readInfobipConfig,
  readMediaConfig,
  readIdempotencyConfig,
  readConversationWindowPolicy,
  notifyUrlFor,
  readRequiredPublicUrl,
  readObjectStorageConfig,
  type MediaConfig,
} from '../platform/config';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, reasonOf } from '../platform/errors';
import { httpStack, jsonResponse } from '../platform/http';
import { createInfobipClient, isInfobipRefusal } from '../outbound/infobip';
import { routeOf, type RouteMessage } from '../outbound/transports';
import { omniFileOf } from '../outbound/transports/omni';
import { createIdempotencyStore, outcomeUnknown } from '../outbound/idempotency';
import { createConversationReader } from '../outbound/windowGuard';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, allowedContentType, type MediaKind, type MediaKindSpec } from './kinds';
import { base64DecodedBytes, isCanonicalBase64 } from './format';
import { SNIFF_BASE64_CHARS, checkLeadingBytes } from './magic';
import { createMediaStore, type MediaStore } from './store';
import { createRedis } from '../platform/redis';
import type { Redis } from '@upstash/redis';
import type { TaggedLogger } from '../platform/log';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import { FILE_NAME_MAX, CONTENT_TYPE_MAX, CAPTION_MAX } from './limits';
import { LargeFilesDisabledError, sendStoredMedia, uploadUrlBase, type StoredMediaDeps } from './sendStored';
import { createObjectStorage } from './objects';
import { createObjectEntryStore } from './objectStore';
import {
  countFailedSend,
  freeFormFields,
  sendOnce,
  sendToInfobip,
  sentBody,
  sentBodySchema,
  validate,
  type OutboundDeps,
} from '../outbound/send';

export { FILE_NAME_MAX, CONTENT_TYPE_MAX, CAPTION_MAX } from './limits';
/** OMNI WhatsAppData `imageUrl`/`fileUrl`/`audioUrl`/`videoUrl`: "Max 2048 characters" (v3.210.0). */
export const MEDIA_URL_MAX = 2048;
const MEDIA_ID_CHARS = 36; // crypto.randomUUID()

/**
 * Every file URL `<base>/<route>/<uuid>` has one length: one that Infobip would refuse
 * stops the function at start, naming the variable that makes it too long.
 */
export function checkFileUrlLength(variable: string, base: string, route: string): void {
  const length = `${base}/${route}/`.length + MEDIA_ID_CHARS;
  if (length > MEDIA_URL_MAX) {
    throw new ConfigError(
      variable,
      `is too long: file URLs would be ${length} characters, and Infobip takes at most ${MEDIA_URL_MAX}`,
    );
  }
}

/**
 * Characters the JSON around `content` can hold at most: every other field at its limit
 * (fileName, contentType, caption, callbackData 4000, messageId 200, infobip baseUrl 2048 +
 * apiKey 1024 + scenarioKey 256, to 16).
 */
const ENVELOPE_CHARS = FILE_NAME_MAX + CONTENT_TYPE_MAX + CAPTION_MAX + 4000 + 200 + 2048 + 1024 + 256 + 16;

/**
 * The request body limit: the largest file as base64, plus the rest of the largest valid
 * request with every character written as a six-byte `\uXXXX` escape, plus 1 KiB for
 * field names and punctuation. Anything bigger cannot be a valid request, so the stack
 * refuses it before parsing.
 */
export function mediaMaxBodyBytes(maxFileBytes: number): number {
  return 4 * Math.ceil(maxFileBytes / 3) + 6 * ENVELOPE_CHARS + 1024;
}

export const mediaSendSchema = z.object({
  ...freeFormFields,
  fileName: z.string().check(
    z.minLength(1),
    z.maxLength(FILE_NAME_MAX),
    z.refine((name) => name.trim() !== '', 'must not be blank'),
  ),
  contentType: z.string().check(z.minLength(1), z.maxLength(CONTENT_TYPE_MAX)),
  content: z.string().check(z.minLength(1, 'must not be empty')),
  caption: z.optional(z.string().check(z.maxLength(CAPTION_MAX))),
});

/** The 200 body of a media send: the text send's, plus where Infobip fetches the file. */
export const mediaSentBodySchema = z.object({
  ...sentBodySchema.shape,
  mediaId: z.string(),
  mediaUrl: z.string(),
});

/** How long a failed send keeps trying to delete a file nobody was given, at most. */
const CLEANUP_WINDOW_MS = 5_000;
const CLEANUP_PAUSE_MS = 1_000;

/**
 * Best effort, but not just once: when the SET failed because Redis was briefly away, the
 * first DEL usually fails the same way, so it is tried again until the window closes (each
 * failure is logged by the store). Bounded, because the caller is waiting for its 503.
 */
export async function removeUnclaimedFile(store: MediaStore, mediaId: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await store.remove(mediaId);
      return;
    } catch {
      if (Date.now() - started + CLEANUP_PAUSE_MS > CLEANUP_WINDOW_MS) return;
      await new Promise((resolve) => setTimeout(resolve, CLEANUP_PAUSE_MS));
    }
  }
}

export interface MediaSendDeps extends OutboundDeps {
  /** Required here: it is where Infobip fetches the file from. */
  publicUrl: string;
  ctliveApiToken: string;
  store: MediaStore;
  media: MediaConfig;
  /** The media bucket: sends by `mediaId`; without it only inline files are taken. */
  objects?: StoredMediaDeps;
}

/**
 * `POST /imchannel/sendWhatsApp{Kind}Message` (CONTRACT section 3): park the file in Redis
 * under a fresh UUID, then send Infobip the URL to fetch it from.
 */
/** The other kind's send route that takes this content type, for a 415 that says where to go. */
function routeTaking(contentType: string): string | undefined {
  const other = MEDIA_KIND_NAMES.map((kind) => MEDIA_KINDS[kind]).find((spec) => allowedContentType(spec, contentType));
  return other === undefined ? undefined : `/imchannel/${other.sendTag}`;
}

/** A body that names an upload: `mediaId` present (any value: the schema says what is wrong with it). */
function storedSend(body: unknown): { withContent: boolean } | undefined {
  if (typeof body !== 'object' || body === null || !('mediaId' in body)) return undefined;
  return { withContent: 'content' in body };
}

const sizeText = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`);

export function makeSendMediaHandler(spec: MediaKindSpec, deps: MediaSendDeps) {
  const { log, store, media } = deps;
  const fileLimit = `a file may be at most ${sizeText(media.maxBytes)} (MEDIA_MAX_BYTES ${media.maxBytes}) before base64`;
  checkFileUrlLength('IMCHANNEL_PUBLIC_URL', deps.publicUrl, spec.route);
  if (deps.objects?.config.fetchMode === 'stream') {
    checkFileUrlLength('MEDIA_STREAM_URL', uploadUrlBase(deps.objects.config, spec.kind, deps.publicUrl), spec.route);
  }
  return httpStack(
    {
      log,
      json: true,
      maxBodyBytes: mediaMaxBodyBytes(media.maxBytes),
      // The body limit is the file limit in base64 plus the other fields: name the one callers know.
      tooLargeHint: fileLimit,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const named = storedSend(event.jsonBody);
      if (named !== undefined) {
        if (deps.objects === undefined) throw new LargeFilesDisabledError();
        if (named.withContent)
          throw new BadRequestError(
            'CONTENT_AND_MEDIA_ID',
            'Send either content (inline base64) or mediaId (an upload), not both',
          );
        return sendStoredMedia(spec, { ...deps, objects: deps.objects }, event);
      }
      const body = validate(mediaSendSchema, event.jsonBody);
      const contentType = allowedContentType(spec, body.contentType);
      if (contentType === undefined) {
        throw new UnsupportedMediaTypeError(body.contentType, spec.contentTypes, routeTaking(body.contentType));
      }
      if (base64DecodedBytes(body.content) > media.maxBytes) throw new PayloadTooLargeError(media.maxBytes, 'File', fileLimit);
      if (!isCanonicalBase64(body.content)) {
        throw new ValidationError('Request body failed validation', [
          {
            path: 'content',
            message: 'must be base64 (RFC 4648 alphabet, = padding, no whitespace or line breaks)',
          },
        ]);
      }
      checkLeadingBytes(contentType, body.content);
      await spec.checkFile?.(Buffer.from(body.content.slice(0, SNIFF_BASE64_CHARS), 'base64'), base64DecodedBytes(body.content));
      // Checked before the file is stored, so a request that cannot be sent leaves nothing behind.
      routeOf(body, deps.infobipConfig, spec.kind, omniFileOf(spec.kind));

      // A replayed send parks nothing: the file is parked under the claim, once.
      // An unkeyed send's window is read in the pipeline that parks the file (foldsWindowRead).
      return sendOnce(
        deps,
        event,
        body,
        async ({ messageId, attach, windowRead }) => {
          const mediaId = randomUUID();
          try {
            const window = await store.put(
              mediaId,
              { kind: spec.kind, contentType, fileName: body.fileName, content: body.content },
              media.ttlSeconds,
              windowRead?.key,
            );
            if (windowRead !== undefined && window !== undefined) windowRead.deliver(window);
          } catch (error: unknown) {
            // A SET whose reply was lost may still have stored the file (a slow Redis runs it
            // late; one that restarts may have written it just before going down), parking it
            // for MEDIA_TTL_SECONDS under an id nobody was given: delete it before answering 503.
            await removeUnclaimedFile(store, mediaId);
            countFailedSend(log, error);
            throw error;
          }
          log.metrics.record('MediaBytes', base64DecodedBytes(body.content));
          const mediaUrl = `${deps.publicUrl}/${spec.route}/${mediaId}`;
          // Should the outcome be unknown, a retry that learns the message went out answers with these.
          attach({ mediaId, mediaUrl });
          try {
            const sent = await sendToInfobip(
              deps,
              { ...body, messageId },
              spec.message(mediaUrl, { caption: body.caption, fileName: body.fileName }),
              omniFileOf(spec.kind),
            );
            const answer: z.infer<typeof mediaSentBodySchema> = { ...sentBody(sent), mediaId, mediaUrl };
            return jsonResponse(200, answer);
          } catch (error: unknown) {
            // A timeout (or a connection lost after the request went out, or a 2xx that is no
            // OMNI answer) may still have reached Infobip, which would then fetch the file: keep it.
            if (isInfobipRefusal(error) && !outcomeUnknown(error)) {
              await store.remove(mediaId).catch((removeError: unknown) =>
                log.error('Could not delete the file of a refused message', {
                  messageId: body.messageId,
                  reason: reasonOf(removeError),
                }),
              );
            }
            throw error;
          }
        },
        { foldsWindowRead: true, sends: { kind: spec.kind, toOmni: omniFileOf(spec.kind) } as RouteMessage },
      );
    },
  );
}

/**
 * What every send that parks a file needs, read once per cold start (a media send, a
 * template's or an interactive message's header): the send's own settings and clients, the
 * media store, and the public URL Infobip fetches from, without which no parked file could
 * ever be fetched, so the function refuses to start rather than fail every send.
 */
export function parkingSendDeps(log: TaggedLogger, redis: Redis) {
  const infobipConfig = readInfobipConfig();
  const publicUrl = readRequiredPublicUrl();
  const idempotencyConfig = readIdempotencyConfig();
  return {
    log,
    idempotency: { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig },
    publicUrl,
    notifyUrl: notifyUrlFor(publicUrl),
    ctliveApiToken: readCtliveApiToken(),
    media: readMediaConfig(),
    infobipConfig,
    infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
    store: createMediaStore(redis, log),
    conversationWindow: { policy: readConversationWindowPolicy(), read: createConversationReader(redis) },
  };
}

/**
 * The media bucket's clients, once per cold start, for a function that sends uploads of
 * `kinds`; undefined without MEDIA_BUCKET (inline files only). In `stream` mode each kind
 * needs its streaming URL (`streamVariable` names the variable that gives it), or every
 * send of an upload would point Infobip at the API, whose 302 it may not follow.
 */
export function storedMediaDeps(
  log: TaggedLogger,
  redis: Redis,
  kinds: readonly MediaKind[],
  streamVariable: (kind: MediaKind) => string = (kind) => `MEDIA_STREAM_URL_${kind.toUpperCase()}`,
): StoredMediaDeps | undefined {
  const config = readObjectStorageConfig();
  if (config === undefined) return undefined;
  const missing = kinds.find((kind) => (config.streamUrls?.[kind] ?? config.streamUrl) === undefined);
  if (config.fetchMode === 'stream' && missing !== undefined) {
    throw new ConfigError(
      streamVariable(missing),
      "is required when MEDIA_FETCH_MODE is stream: the base URL of the fetch functions' streaming Function URL",
    );
  }
  return { config, storage: createObjectStorage(config, log), entries: createObjectEntryStore(redis, log) };
}

/** Production wiring of the sendWhatsApp{Kind}Message functions, once per cold start. */
export function startMediaSend(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return startFunction(
    spec.sendTag,
    ({ log, redisConfig }) => {
      const redis = createRedis(redisConfig);
      const common = parkingSendDeps(log, redis);
      return makeSendMediaHandler(spec, {
        objects: storedMediaDeps(log, redis, [kind], () => 'MEDIA_STREAM_URL'),
        ...common,
      });
    },
    { secrets: SEND_SECRETS },
  );
}
