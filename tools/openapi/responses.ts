/**
 * zod schemas of the response bodies that have none in lib/: the error body of
 * `toHttpResponse` (lib/platform/http.ts, from the AppError subclasses of
 * lib/platform/errors.ts) and the webhooks' 200 body (lib/inbound/webhook.ts).
 *
 * They live here, not next to that code, on purpose: lib/platform/errors.ts is in every
 * bundle, and the media fetch functions carry no zod at all (lib/media/format.ts), so a
 * schema there would add zod to them. What keeps these honest instead: the end-to-end
 * tests check every real response against docs/openapi.json (test/support/openapi.ts),
 * and the objects are strict, so a field added by the code and not here fails them.
 */
import * as z from '../../lib/platform/schema';
import { MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';

/** `{"error":{"code","message",...details}}`, CONTRACT section 2. */
function errorBody<Code extends string>(codes: readonly [Code, ...Code[]], details: z.core.$ZodShape = {}) {
  return z.object({
    error: z.object({
      code: codes.length === 1 ? z.literal(codes[0]) : z.enum(codes),
      message: z.string(),
      /** Whether the same request may succeed later; a 409, 429 or 503 also says when (`Retry-After`). */
      retryable: z.boolean(),
      ...details,
    }),
  });
}

const count = z.int().check(z.nonnegative());

/** ValidationError (with `details` when it lists fields) and BadRequestError('INVALID_JSON'). */
export const badRequestBody = errorBody(
  [
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'INVALID_IDEMPOTENCY_KEY',
    'API_KEY_IN_QUERY',
    // A send by mediaId (lib/media/send.ts, lib/media/sendStored.ts).
    'WRONG_MEDIA_KIND',
    'UPLOAD_FIELD_MISMATCH',
    'LARGE_FILES_DISABLED',
    'CONTENT_AND_MEDIA_ID',
    // The request insists on OMNI (infobip.transport) for what only the WhatsApp API carries.
    'TRANSPORT_CANNOT_CARRY',
  ],
  {
    details: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    /** INVALID_JSON: where parsing stopped, when the JSON parser says. */
    position: z.optional(count),
  },
);
/** lib/media/sendStored.ts: the object of a mediaId is not in the bucket yet (the PUT has not happened). */
export const uploadMissingBody = errorBody(['UPLOAD_MISSING']);
/** lib/media/sendStored.ts: the upload already went out as another message. */
export const uploadAlreadySentBody = errorBody(['UPLOAD_ALREADY_SENT']);
/** lib/media/sendStored.ts: the object is not what its upload declared; the upload is deleted. */
export const uploadMismatchBody = errorBody(['UPLOAD_MISMATCH']);
/** StickerRefusedError (lib/media/sticker.ts): not a 512×512 WebP within its size limit. */
export const stickerRefusedBody = errorBody(['STICKER_REFUSED'], {
  limit: z.optional(z.union([z.int(), z.string()])),
  found: z.optional(z.union([z.int(), z.string()])),
  animated: z.optional(z.boolean()),
});
/** lib/inboundMedia/serve.ts: a downloadUrl past its `expires`. */
export const linkRefusedBody = errorBody(['LINK_EXPIRED']);
/** lib/inboundMedia/serve.ts: a customer's file that cannot be copied, ever. */
export const inboundMediaGoneBody = errorBody(['MEDIA_EXPIRED', 'MEDIA_TOO_LARGE', 'MEDIA_WRONG_TYPE', 'MEDIA_NO_SIZE']);
/** lib/inboundMedia/serve.ts: Infobip failed, throttled or was unreachable while the file was copied on demand. */
export const inboundMediaUnavailableBody = errorBody(['INFOBIP_MEDIA_UNAVAILABLE', 'STORAGE_UNAVAILABLE']);
/** ObjectStorageUnavailableError (lib/media/objects.ts): S3 failed or was too slow. */
export const storageUnavailableBody = errorBody(['STORAGE_UNAVAILABLE']);
/** The upload route's 415: the declared type is not one the declared kind takes. */
export const uploadUnsupportedTypeBody = errorBody(['UNSUPPORTED_MEDIA_TYPE'], {
  allowed: z.array(z.string()),
  route: z.optional(z.string()),
});
/** UnsupportedContentTypeError: the send routes take only a JSON body. */
export const contentTypeNotJsonBody = errorBody(['CONTENT_TYPE_NOT_JSON']);
/** InfobipRejectedError: Infobip answered 200, but with a REJECTED status. */
export const infobipRejectedBody = errorBody(['INFOBIP_REJECTED'], {
  messageId: z.string(),
  status: z.looseObject({ groupName: z.literal('REJECTED'), name: z.string(), description: z.string() }),
});
export const unauthorizedBody = errorBody(['UNAUTHORIZED']);
/** lib/outbound/windowGuard.ts: CONVERSATION_WINDOW_POLICY=enforce and the customer's 24-hour window closed. */
export const conversationWindowClosedBody = errorBody(['CONVERSATION_WINDOW_CLOSED'], {
  conversationWindow: z.object({ open: z.literal(false), closedAt: z.string() }),
});
/** lib/outbound/idempotency.ts: the key came with another body. */
export const idempotencyKeyReusedBody = errorBody(['IDEMPOTENCY_KEY_REUSED']);
/** lib/outbound/idempotency.ts: the first request still runs, or its outcome is not known yet. */
export const idempotencyConflictBody = errorBody(['REQUEST_IN_PROGRESS', 'OUTCOME_UNKNOWN'], {
  /** OUTCOME_UNKNOWN: the destination messageId of the first attempt, and when it was made. */
  messageId: z.optional(z.string()),
  since: z.optional(z.string()),
});
export const notFoundBody = errorBody(['NOT_FOUND']);
export const payloadTooLargeBody = errorBody(['PAYLOAD_TOO_LARGE'], { limitBytes: count });
/** UnsupportedMediaTypeError: `allowed` is the kind's list in lib/media/kinds.ts. */
export const unsupportedMediaTypeBody = (kind: MediaKind) =>
  errorBody(['UNSUPPORTED_MEDIA_TYPE'], {
    allowed: z.array(z.enum(MEDIA_KINDS[kind].contentTypes)),
    /** The send route that takes this content type, when one does. */
    route: z.optional(z.string()),
  });
/** lib/templates/request.ts: the cached catalogue says WhatsApp would not take this template. */
export const templateRefusedBody = errorBody(
  ['TEMPLATE_UNKNOWN', 'TEMPLATE_LANGUAGE_UNKNOWN', 'TEMPLATE_PLACEHOLDERS_MISMATCH', 'TEMPLATE_HEADER_MISMATCH'],
  {
    templateName: z.string(),
    sender: z.optional(z.string()),
    language: z.optional(z.string()),
    /** TEMPLATE_LANGUAGE_UNKNOWN: the languages the template has. */
    languages: z.optional(z.array(z.string())),
    /** The catalogue's placeholder count or header format, and the request's (null: none). */
    expected: z.optional(z.union([count, z.string(), z.null()])),
    given: z.optional(z.union([count, z.string(), z.null()])),
  },
);
/** ContentMismatchError (lib/media/magic.ts): `detected` lists the types the bytes do fit, when known. */
export const contentMismatchBody = errorBody(['CONTENT_MISMATCH'], {
  detected: z.optional(z.array(z.string())),
});
/** MethodNotAllowedError (lib/methodNotAllowed.ts): a known path, a method it does not take; `Allow` says the same. */
export const methodNotAllowedBody = errorBody(['METHOD_NOT_ALLOWED'], {
  allowed: z.array(z.enum(['GET', 'HEAD', 'POST'])),
});
/** InfobipError: `upstreamStatus` when Infobip answered, and its `serviceException` when it said why. */
export const infobipErrorBody = errorBody(['INFOBIP_ERROR'], {
  upstreamStatus: z.optional(z.int()),
  serviceException: z.optional(z.looseObject({ messageId: z.optional(z.string()), text: z.optional(z.string()) })),
});
export const infobipTimeoutBody = errorBody(['INFOBIP_TIMEOUT']);
/** InfobipRateLimitedError: Infobip answered 429. */
export const infobipRateLimitedBody = errorBody(['INFOBIP_RATE_LIMITED'], {
  upstreamStatus: z.literal(429),
  serviceException: z.optional(z.looseObject({ messageId: z.optional(z.string()), text: z.optional(z.string()) })),
});
/** MediaStoreUnavailableError (lib/media/store.ts). */
export const redisUnavailableBody = errorBody(['REDIS_UNAVAILABLE']);
/** WebhookRetryError (lib/inbound/webhook.ts): Infobip retries, the counts say what got through. */
export const webhookRetryBody = errorBody(['REDIS_UNAVAILABLE', 'CTLIVE_UNAVAILABLE', 'OUT_OF_TIME', 'FORWARD_IN_PROGRESS'], {
  forwarded: count,
  duplicates: count,
  notForwarded: z.array(z.string()),
});
/** Anything that is not an AppError: never the internal error itself. */
export const internalErrorBody = errorBody(['INTERNAL_ERROR']);

/**
 * The webhooks' 200: every result was forwarded or was a duplicate; `ignored` counts what
 * Infobip documents but ctlive does not get (typing indicators, other WhatsApp notifications).
 */
export const webhookAnswerBody = z.object({ forwarded: count, duplicates: count, ignored: z.optional(count) });
