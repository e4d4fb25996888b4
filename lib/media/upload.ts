import { randomUUID } from 'node:crypto';
import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import {
  readCtliveApiToken,
  readMediaConfig,
  readRequiredObjectStorageConfig,
  type MediaConfig,
  type ObjectStorageConfig,
} from '../platform/config';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../platform/errors';
import { httpStack, jsonResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { createRedis, redisKeys } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { UPLOAD_SECRETS } from '../platform/secrets';
import { validate } from '../outbound/send';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, allowedContentType } from './kinds';
import { createObjectStorage, objectKeyOf, type ObjectStorage } from './objects';
import { createObjectEntryStore, type ObjectEntryStore } from './objectStore';
import { CONTENT_TYPE_MAX, FILE_NAME_MAX } from './limits';

/** The upload route's log tag and function name. */
export const UPLOAD_TAG = 'createMediaUpload';

export const mediaUploadSchema = z.object({
  kind: z.enum(MEDIA_KIND_NAMES as [string, ...string[]]),
  fileName: z.string().check(
    z.minLength(1),
    z.maxLength(FILE_NAME_MAX),
    z.refine((name) => name.trim() !== '', 'must not be blank'),
  ),
  contentType: z.string().check(z.minLength(1), z.maxLength(CONTENT_TYPE_MAX)),
  size: z.int().check(z.positive('must be at least 1 byte')),
  // Required: S3 then refuses any PUT of other bytes, so the presigned URL, valid after the
  // send checked the object, cannot swap the file that goes out (docs/api.md, "Large files").
  sha256: z
    .string('required: the SHA-256 of the file, 64 hex digits (sha256sum; S3 refuses other bytes)')
    .check(z.regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the file, 64 hex digits')),
});

/** The 200 body: where to PUT the bytes, with which headers, until when; then send `mediaId`. */
export const mediaUploadAnswerSchema = z.object({
  mediaId: z.string(),
  upload: z.object({ method: z.literal('PUT'), url: z.string(), headers: z.record(z.string(), z.string()) }),
  expiresAt: z.string(),
});

export interface MediaUploadDeps {
  log: TaggedLogger;
  ctliveApiToken: string;
  storage: ObjectStorage;
  entries: ObjectEntryStore;
  objects: ObjectStorageConfig;
  media: MediaConfig;
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * `POST /imchannel/media`: a presigned S3 PUT bound to the declared size and
 * type (and SHA-256 when given), and the Redis entry a media send then names by `mediaId`.
 * Nothing reaches S3 here: presigning is local, so the one network call is the SET.
 */
export function makeCreateMediaUploadHandler(deps: MediaUploadDeps) {
  const { log, storage, entries, objects, media } = deps;
  return httpStack(
    {
      log,
      json: true,
      maxBodyBytes: MAX_BODY_BYTES,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const body = validate(mediaUploadSchema, event.jsonBody);
      const kind = body.kind as keyof typeof MEDIA_KINDS;
      const spec = MEDIA_KINDS[kind];
      const contentType = allowedContentType(spec, body.contentType);
      if (contentType === undefined) throw new UnsupportedMediaTypeError(body.contentType, spec.contentTypes);
      const limit = objects.limits[kind];
      if (body.size > limit) {
        throw new PayloadTooLargeError(
          limit,
          'File',
          `WhatsApp takes a ${kind} of at most ${limit} bytes (MEDIA_MAX_BYTES_${kind.toUpperCase()})`,
        );
      }
      const mediaId = randomUUID();
      const objectKey = objectKeyOf(mediaId);
      const sha256 = body.sha256?.toLowerCase();
      log.info(`Upload requested for ID [${mediaId}]`, { kind, size: body.size, contentType });
      const upload = await storage.presignPut(objectKey, { size: body.size, contentType, sha256 });
      // The key lives as an inline file's does: MEDIA_TTL_SECONDS, shortened by the first fetch.
      await entries.put(
        mediaId,
        { kind, contentType, fileName: body.fileName, size: body.size, objectKey, ...(sha256 === undefined ? {} : { sha256 }) },
        media.ttlSeconds,
      );
      log.info(`Upload URL issued for key [${redisKeys.media(mediaId)}] valid ${objects.uploadTtlSeconds} s`, { kind });
      const answer: z.infer<typeof mediaUploadAnswerSchema> = {
        mediaId,
        upload: { method: 'PUT', url: upload.url, headers: upload.headers },
        expiresAt: upload.expiresAt,
      };
      return jsonResponse(200, answer);
    },
  );
}

/** Production wiring of createMediaUpload, once per cold start. */
export function startCreateMediaUpload() {
  return startFunction(
    UPLOAD_TAG,
    ({ log, redisConfig }) => {
      const objects = readRequiredObjectStorageConfig();
      const redis = createRedis(redisConfig);
      return makeCreateMediaUploadHandler({
        log,
        ctliveApiToken: readCtliveApiToken(),
        objects,
        media: readMediaConfig(),
        storage: createObjectStorage(objects, log),
        entries: createObjectEntryStore(redis, log),
      });
    },
    { secrets: UPLOAD_SECRETS },
  );
}
