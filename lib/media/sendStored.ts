import { randomUUID } from 'node:crypto';
import * as z from '../platform/schema';
import type { ObjectStorageConfig } from '../platform/config';
import { AppError, BadRequestError, NotFoundError, reasonOf } from '../platform/errors';
import { jsonResponse, type HttpEvent, type HttpResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { isInfobipRefusal } from '../outbound/infobip';
import { outcomeUnknown } from '../outbound/idempotency';
import { freeFormFields, sendOnce, sendToInfobip, sentBody, validate, type OutboundDeps } from '../outbound/send';
import type { RouteMessage } from '../outbound/transports';
import { omniFileOf } from '../outbound/transports/omni';
import type { WindowRead } from '../outbound/windowGuard';
import { MEDIA_KINDS, allowedContentType, type MediaKind, type MediaKindSpec } from './kinds';
import type { ObjectEntry } from './objectEntry';
import { objectKeyOf, type ObjectStorage } from './objects';
import type { ObjectEntryStore } from './objectStore';
import { CAPTION_MAX, CONTENT_TYPE_MAX, FILE_NAME_MAX } from './limits';
import { SNIFF_BYTES, checkLeadingBytes } from './magic';

/**
 * A media send that names an upload (`mediaId`) instead of carrying `content`:
 * the object must be in the bucket with the size and type declared at upload, within the
 * kind's limit, and its first bytes must fit that type as an inline file's must, before
 * Infobip is called; otherwise a 4xx and nothing sent.
 */

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An upload's id, as POST /imchannel/media answers it. */
export const mediaIdSchema = z.string().check(z.regex(UUID_V4, 'must be the mediaId that POST /imchannel/media answered'));

export const storedMediaSendSchema = z.object({
  ...freeFormFields,
  mediaId: mediaIdSchema,
  // Optional here: the upload declared them. When given they must be the declared ones.
  fileName: z.optional(z.string().check(z.minLength(1), z.maxLength(FILE_NAME_MAX))),
  contentType: z.optional(z.string().check(z.minLength(1), z.maxLength(CONTENT_TYPE_MAX))),
  caption: z.optional(z.string().check(z.maxLength(CAPTION_MAX))),
});

export interface StoredMediaDeps {
  storage: ObjectStorage;
  entries: ObjectEntryStore;
  config: ObjectStorageConfig;
}

/** The object is not (yet) in the bucket: the PUT has not happened or not finished. */
export class UploadMissingError extends AppError {
  constructor() {
    super(
      409,
      'UPLOAD_MISSING',
      'The file of this mediaId has not been uploaded: PUT it to the upload URL that POST /imchannel/media answered (with its headers), then send again',
    );
  }
}

/** The object is not what its upload declared: refused for good, the upload is deleted. */
export class UploadMismatchError extends AppError {
  constructor(message: string) {
    super(422, 'UPLOAD_MISMATCH', `${message}; the upload was deleted: create a new one with POST /imchannel/media`);
  }
}

/** The upload already went out as another message: an upload carries one message. */
export class UploadAlreadySentError extends AppError {
  constructor(sentAs: string) {
    super(
      409,
      'UPLOAD_ALREADY_SENT',
      `This upload was already sent as message ${sentAs}, and an upload carries one message (its fetch shortens the file's life): ` +
        'create a new one with POST /imchannel/media for this message, or resend the first with the same Idempotency-Key',
    );
    // The same request fails the same way for as long as the upload lives.
    this.retryable = false;
    this.retryAfterSeconds = undefined;
  }
}

const essence = (contentType: string) => contentType.split(';')[0]?.trim().toLowerCase() ?? '';

/** Why the object in the bucket cannot be sent as declared, or undefined when it can. */
function mismatch(entry: ObjectEntry, head: { size: number; contentType: string }, limit: number): string | undefined {
  if (head.size !== entry.size) return `The uploaded file has ${head.size} bytes, but the upload declared ${entry.size}`;
  if (essence(head.contentType) !== essence(entry.contentType)) {
    return `The uploaded file is ${head.contentType || 'without a type'}, but the upload declared ${entry.contentType}`;
  }
  if (head.size > limit) return `The uploaded file has ${head.size} bytes, over the ${limit} WhatsApp takes for this kind`;
  return undefined;
}

export interface StoredSendContext extends OutboundDeps {
  log: TaggedLogger;
  /** MEDIA_TTL_SECONDS: how long the upload's sent mark lives, as long as the upload itself. */
  media: { ttlSeconds: number };
  /** IMCHANNEL_PUBLIC_URL: where Infobip fetches in `redirect` mode (the API answers a 302). */
  publicUrl: string;
  objects: StoredMediaDeps;
}

/** Where Infobip fetches an upload of `kind`: the kind's streaming URL in `stream` mode, else the public API. */
export function uploadUrlBase(config: ObjectStorageConfig, kind: MediaKind, publicUrl: string): string {
  if (config.fetchMode !== 'stream') return publicUrl;
  return config.streamUrls?.[kind] ?? config.streamUrl ?? publicUrl;
}

/** This deployment has no bucket, so no upload can be named. */
export class LargeFilesDisabledError extends BadRequestError {
  constructor() {
    super(
      'LARGE_FILES_DISABLED',
      'This deployment keeps no uploaded files (MEDIA_BUCKET is not set): send the file inline as base64 in content',
    );
  }
}

/** Deletes the key and the object of an upload that will never be sent; failures are logged, not thrown. */
export async function discardUpload(
  deps: Pick<StoredSendContext, 'log' | 'objects'>,
  mediaId: string,
  entry: Pick<ObjectEntry, 'objectKey'> = { objectKey: objectKeyOf(mediaId) },
): Promise<void> {
  await Promise.all([
    deps.objects.entries
      .remove(mediaId)
      .catch((error: unknown) =>
        deps.log.error('Could not delete the key of a refused upload', { mediaId, reason: reasonOf(error) }),
      ),
    deps.objects.storage
      .remove(entry.objectKey)
      .catch((error: unknown) =>
        deps.log.error('Could not delete the object of a refused upload', { mediaId, reason: reasonOf(error) }),
      ),
  ]);
}

/** An upload a message names: its `mediaId`, the kind the message needs, and the name and type the request repeats, if any. */
export interface NamedUpload {
  mediaId: string;
  kind: MediaKind;
  fileName?: string;
  contentType?: string;
}

export interface UploadOptions {
  /** The unkeyed send's window read, carried in the entry's GET (`foldsWindowRead`). */
  windowRead?: WindowRead;
  /** The 400's message when the upload is of another kind than the message needs. */
  wrongKind: (uploadedAs: MediaKind) => string;
  /** Where the request's `fileName` and `contentType` sit (`header.` in a header), for the refusals. */
  fieldPrefix?: string;
}

/** An upload that passed every check and is marked as this message's: where Infobip fetches it, and the id to send with. */
export interface ReadyUpload {
  mediaId: string;
  mediaUrl: string;
  entry: ObjectEntry;
  /** The message's id: the claim's, else one chosen here and given to Infobip, so that the sent mark names it. */
  messageId: string;
}

/**
 * The checks an upload passes before any message carries it (a media send's file, a menu's
 * header): its entry, kind, digest and the fields the request repeats; the object's HEAD
 * (size, type, the kind's limit) and first bytes, deleting an upload that can never go out;
 * then the sent mark, one upload for one message.
 */
export async function readyUpload(
  deps: StoredSendContext,
  upload: NamedUpload,
  messageId: string | undefined,
  options: UploadOptions,
): Promise<ReadyUpload> {
  const { mediaId } = upload;
  const spec = MEDIA_KINDS[upload.kind];
  const prefix = options.fieldPrefix ?? '';
  const { entry, window } = await deps.objects.entries.read(mediaId, options.windowRead?.key);
  if (options.windowRead !== undefined && window !== undefined) options.windowRead.deliver(window);
  if (entry === null) {
    throw new NotFoundError(
      'No upload with this mediaId: it expired, was sent and refused, or never existed; create one with POST /imchannel/media',
    );
  }
  if (entry.kind !== spec.kind) throw new BadRequestError('WRONG_MEDIA_KIND', options.wrongKind(entry.kind));
  // Without its digest in the signed PUT, the upload URL could still replace the bytes checked here.
  if (entry.sha256 === undefined) {
    throw new AppError(409, 'UPLOAD_UNVERIFIED', 'This upload was created without sha256; create it again with sha256');
  }
  if (upload.fileName !== undefined && upload.fileName !== entry.fileName) {
    throw new BadRequestError(
      'UPLOAD_FIELD_MISMATCH',
      `${prefix}fileName must be the one of the upload ("${entry.fileName}") or left out`,
    );
  }
  if (upload.contentType !== undefined && allowedContentType(spec, upload.contentType) !== entry.contentType) {
    throw new BadRequestError(
      'UPLOAD_FIELD_MISMATCH',
      `${prefix}contentType must be the one of the upload ("${entry.contentType}") or left out`,
    );
  }
  const head = await deps.objects.storage.head(entry.objectKey);
  if (head === undefined) throw new UploadMissingError();
  const wrong = mismatch(entry, head, deps.objects.config.limits[spec.kind]);
  if (wrong !== undefined) {
    await discardUpload(deps, mediaId, entry);
    throw new UploadMismatchError(wrong);
  }
  // The inline path's check of the leading bytes against the type (./magic.ts), on the object's start.
  const start = await deps.objects.storage.readStart(entry.objectKey, SNIFF_BYTES);
  try {
    checkLeadingBytes(entry.contentType, (start ?? Buffer.alloc(0)).toString('base64'));
    await spec.checkFile?.(start ?? Buffer.alloc(0), entry.size);
  } catch (error: unknown) {
    await discardUpload(deps, mediaId, entry);
    throw error;
  }
  // One upload, one message: a second message's fetch could find the key already
  // shortened by the first's, and its file would never arrive. The mark holds the
  // messageId, so a retry of the same message (same Idempotency-Key) still goes.
  // Without a key the id is chosen here and given to Infobip as the message's own, so
  // the mark (and a later 409) names a message that on-call can find in the logs.
  const sentMessageId = messageId ?? randomUUID();
  const sentAs = await deps.objects.entries.markSent(mediaId, sentMessageId, deps.media.ttlSeconds);
  if (sentAs !== undefined && sentAs !== sentMessageId) throw new UploadAlreadySentError(sentAs);
  deps.log.metrics.record('MediaBytes', entry.size);
  const mediaUrl = `${uploadUrlBase(deps.objects.config, spec.kind, deps.publicUrl)}/${spec.route}/${mediaId}`;
  return { mediaId, mediaUrl, entry, messageId: sentMessageId };
}

/** Infobip refused for certain (no unknown outcome): nobody will fetch the upload, so it goes now. */
export async function discardIfRefused(
  deps: Pick<StoredSendContext, 'log' | 'objects'>,
  ready: ReadyUpload,
  error: unknown,
): Promise<void> {
  if (isInfobipRefusal(error) && !outcomeUnknown(error)) await discardUpload(deps, ready.mediaId, ready.entry);
}

export async function sendStoredMedia(spec: MediaKindSpec, deps: StoredSendContext, event: HttpEvent): Promise<HttpResponse> {
  const body = validate(storedMediaSendSchema, event.jsonBody);
  const { mediaId } = body;
  return sendOnce(
    deps,
    event,
    body,
    async ({ messageId, attach, windowRead }) => {
      const ready = await readyUpload(
        deps,
        { mediaId, kind: spec.kind, fileName: body.fileName, contentType: body.contentType },
        messageId,
        {
          windowRead,
          wrongKind: (uploadedAs) =>
            `This mediaId was uploaded as a ${uploadedAs}: send it with POST /imchannel/${MEDIA_KINDS[uploadedAs].sendTag}`,
        },
      );
      const { mediaUrl } = ready;
      attach({ mediaId, mediaUrl });
      try {
        const sent = await sendToInfobip(
          deps,
          { ...body, messageId: ready.messageId },
          spec.message(mediaUrl, { caption: body.caption, fileName: ready.entry.fileName }),
          omniFileOf(spec.kind),
        );
        return jsonResponse(200, { ...sentBody(sent), mediaId, mediaUrl });
      } catch (error: unknown) {
        // As for an inline file: a refusal that surely did not reach Infobip frees the file.
        await discardIfRefused(deps, ready, error);
        throw error;
      }
    },
    {
      sends: { kind: spec.kind, toOmni: omniFileOf(spec.kind) } as RouteMessage,
      foldsWindowRead: true,
      // Refused for a closed window (enforce): the upload can never be sent as this message,
      // so it goes now, as a refused inline file does, rather than waiting for its expiry.
      // Its object's key follows from the mediaId, so nothing is read first.
      onWindowRefused: () => discardUpload(deps, mediaId),
    },
  );
}
