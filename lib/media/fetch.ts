import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';
import { readMediaConfig, readObjectStorageConfig, readStreamingRuntime } from '../platform/config';
import { httpStack, type HttpEvent, type HttpResponse } from '../platform/http';
import { MEDIA_KINDS, type MediaKind, type MediaKindSpec } from './kinds';
import { fileHeaders } from './format';
import { objectFileHeaders } from './objectEntry';
import { createObjectStorage, type ObjectStorage } from './objects';
import { createMediaStore } from './store';
import { createRedis } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { FETCH_SECRETS } from '../platform/secrets';
import { idOf, makeLookup, methodOf, type MediaFetchDeps } from './fetchLookup';
import { makeStreamingFetch, type OpenResponse } from './fetchStream';

export type { MediaFetchDeps } from './fetchLookup';
export { makeStreamingFetch, type OpenResponse } from './fetchStream';

/**
 * `GET|HEAD /imchannel/get{Kind}Message/{id}` (CONTRACT section 4), called by Infobip
 * without credentials: the unguessable id is the secret. Every miss answers the same 404,
 * so the answer tells nothing about which ids exist or what they hold. An S3-backed file
 * is answered HEAD from its metadata and GET with a 302 to a presigned S3 GET:
 * through API Gateway a Lambda answer holds at most 6 MB, so the bytes never come this way.
 */
export function makeFetchMediaHandler(spec: MediaKindSpec, deps: MediaFetchDeps) {
  const { log, media } = deps;
  const lookup = makeLookup(spec, deps);
  return httpStack({ log }, async (event) => {
    const method = methodOf(event);
    const found = await lookup(event, idOf(event), method);
    if (found.kind === 'miss') return found.response;
    if (found.kind === 'object') {
      const headers = objectFileHeaders(found.entry);
      if (method === 'HEAD') return { statusCode: 200, headers, body: '' };
      const objects = deps.objects as ObjectStorage; // an object entry is served only with storage wired
      const location = await objects.presignGet(found.entry.objectKey, media.fetchTtlSeconds, {
        contentType: found.entry.contentType,
        disposition: headers['content-disposition'] as string,
      });
      return { statusCode: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
    }
    const headers = fileHeaders(found.entry);
    // Infobip asks HEAD first for the size and type; the bytes come only with the GET.
    if (method === 'HEAD') return { statusCode: 200, headers, body: '' };
    // API Gateway decodes a base64 body back to the exact bytes on the way out.
    return { statusCode: 200, headers, body: found.entry.content, isBase64Encoded: true };
  });
}

/** One invocation: with `open`, answered as a stream; without, as API Gateway's buffered answer. */
interface FetchInvocation {
  event: HttpEvent;
  open?: OpenResponse;
}

/** What the Lambda Node.js runtime provides for response streaming (and serverless-offline imitates). */
interface LambdaStreaming {
  streamifyResponse: (
    handler: (event: HttpEvent, responseStream: Writable, context: Context) => Promise<void>,
  ) => (event: HttpEvent, context: Context) => Promise<void>;
  HttpResponseStream: { from: (stream: Writable, metadata: { statusCode: number; headers: Record<string, string> }) => Writable };
}

/**
 * The runtime's response streaming, when this runs on Lambda's Node.js runtime. Not merely
 * `globalThis.awslambda`: @aws/lambda-invoke-store (under Powertools) sets that to `{}`
 * anywhere, so only the functions themselves tell.
 */
export function lambdaStreaming(scope: object): LambdaStreaming | undefined {
  const candidate = (scope as { awslambda?: Partial<LambdaStreaming> }).awslambda;
  if (typeof candidate?.streamifyResponse !== 'function' || typeof candidate.HttpResponseStream?.from !== 'function')
    return undefined;
  return candidate as LambdaStreaming;
}

/** A Lambda Function URL's event: its domain is `<url-id>.lambda-url.<region>.on.aws`. */
const isFunctionUrlEvent = (event: HttpEvent) => event.requestContext.domainName?.includes('.lambda-url.') === true;

/**
 * The fetch functions' wiring, once per cold start, for both ways they are invoked: the
 * API Gateway route (buffered) and, in `stream` mode, the streaming Function URL. A fetch
 * bundle carries no Infobip client and no request schemas: nothing here imports them.
 */
export function wireMediaFetch(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return startFunction<FetchInvocation, HttpResponse | void>(
    spec.fetchTag,
    ({ log, redisConfig }) => {
      const objectsConfig = readObjectStorageConfig();
      const deps: MediaFetchDeps = {
        log,
        media: readMediaConfig(),
        store: createMediaStore(createRedis(redisConfig), log),
        objects: objectsConfig === undefined ? undefined : createObjectStorage(objectsConfig, log),
      };
      const buffered = makeFetchMediaHandler(spec, deps);
      const streamed = makeStreamingFetch(spec, deps);
      return ({ event, open }, context) => (open === undefined ? buffered(event, context) : streamed(event, open));
    },
    { secrets: FETCH_SECRETS },
  );
}

/**
 * Production handler of the onGet{Kind}Message functions. On Lambda in `stream` mode it is
 * a response-streaming handler (its Function URL is RESPONSE_STREAM): a Function URL event
 * is streamed, and an API Gateway event, which Lambda invokes buffered, gets the usual JSON
 * answer written whole. Elsewhere (serverless-offline, which calls handlers the buffered way
 * only; the bench) it is the plain buffered handler.
 */
export function startMediaFetch(kind: MediaKind) {
  const wired = wireMediaFetch(kind);
  const streaming = lambdaStreaming(globalThis);
  if (streaming === undefined || !readStreamingRuntime()) {
    return (event: HttpEvent, context: Context) => wired({ event }, context) as Promise<HttpResponse>;
  }
  return streaming.streamifyResponse(async (event, responseStream, context) => {
    if (isFunctionUrlEvent(event)) {
      const open: OpenResponse = (statusCode, headers) =>
        streaming.HttpResponseStream.from(responseStream, { statusCode, headers });
      await wired({ event, open }, context);
      return;
    }
    const response = await wired({ event }, context);
    responseStream.end(JSON.stringify(response));
  });
}
