import { INFOBIP_MEDIA_LIMITS } from '../platform/config';
import { MEDIA_KIND_NAMES, type MediaKind } from './kinds';

/**
 * How long each kind's fetch function may run (serverless.yml through resources/capacity.js).
 * Nothing in a Lambda bundle imports this.
 *
 * Through API Gateway a fetch answers in one Redis call, and API Gateway's 30 s bounds it
 * whatever the function's timeout. Through its streaming Function URL (`MEDIA_FETCH_MODE=stream`)
 * it streams the kind's largest file from S3, and then the timeout is what cuts a slow reader
 * off: one flat figure either holds a 500 KB sticker's stream open as long as a 100 MB
 * document's, or cuts the document short. So each kind's timeout is its largest file
 * (Infobip's limit, which MEDIA_MAX_BYTES_<KIND> may only lower) read at the slowest rate
 * still taken for a healthy fetch, plus a fixed allowance for what comes before the bytes.
 */

/**
 * 1 MiB/s: half of what Lambda streams a response at once past its first 6 MB (at most
 * 2 MB/s, AWS Lambda "Response streaming"), so a reader at half Lambda's own pace still gets
 * the whole file; Infobip's fetcher is a server in a data centre, for which a slower read
 * means trouble, not a line to wait for. At this rate a 100 MiB document takes 100 s.
 */
export const FETCH_MIN_BYTES_PER_SECOND = 1024 * 1024;

/** A cold start (the SSM read of the secrets included), the Redis GETEX and S3's first byte, with room to spare. */
export const FETCH_FIXED_SECONDS = 10;

/** Under API Gateway, where no file streams (`redirect` mode: a 302; inline files: one Redis call). */
export const FETCH_UNSTREAMED_SECONDS = 15;

export const streamingFetchTimeoutSeconds = (largestFileBytes: number): number =>
  FETCH_FIXED_SECONDS + Math.ceil(largestFileBytes / FETCH_MIN_BYTES_PER_SECOND);

/** Each kind's fetch timeout in `stream` mode: 15 s for an image, 110 s for a document. */
export const STREAMING_FETCH_TIMEOUT_SECONDS: Readonly<Record<MediaKind, number>> = Object.fromEntries(
  MEDIA_KIND_NAMES.map((kind) => [kind, streamingFetchTimeoutSeconds(INFOBIP_MEDIA_LIMITS[kind])]),
) as Record<MediaKind, number>;
