import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { AppError, MethodNotAllowedError, NotFoundError, reasonOf } from '../platform/errors';
import { toHttpResponse, type HttpEvent, type HttpResponse } from '../platform/http';
import type { MediaKindSpec } from './kinds';
import { fileHeaders } from './format';
import { objectFileHeaders } from './objectEntry';
import type { ObjectStorage } from './objects';
import { idOf, makeLookup, methodOf, type MediaFetchDeps } from './fetchLookup';

/** Opens the answer: status and headers first, then a stream the body is written to. */
export type OpenResponse = (statusCode: number, headers: Record<string, string>) => Writable;

/**
 * The same fetch, answering with a stream (`MEDIA_FETCH_MODE=stream`): on AWS the
 * fetch function's Lambda Function URL in RESPONSE_STREAM mode, locally the local stack's
 * streaming route (tools/streamServer.ts), both running this code. An S3-backed file's GET
 * is piped from S3 as it arrives, so memory stays constant whatever its size.
 */
export function makeStreamingFetch(spec: MediaKindSpec, deps: MediaFetchDeps) {
  const { log } = deps;
  const lookup = makeLookup(spec, deps);
  const send = async (open: OpenResponse, response: HttpResponse) => {
    const body = response.body ?? '';
    const out = open(response.statusCode ?? 200, (response.headers ?? {}) as Record<string, string>);
    out.end(response.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    await finished(out).catch(() => undefined);
  };
  return async (event: HttpEvent, open: OpenResponse): Promise<void> => {
    let statusCode = 500;
    const respond = (response: HttpResponse) => {
      statusCode = response.statusCode ?? 200;
      return send(open, response);
    };
    try {
      const method = methodOf(event);
      if (method !== 'GET' && method !== 'HEAD') {
        return await respond(toHttpResponse(new MethodNotAllowedError(method, event.rawPath ?? '', ['GET', 'HEAD'])));
      }
      const found = await lookup(event, idOf(event), method);
      if (found.kind === 'miss') return await respond(found.response);
      if (found.kind === 'inline') {
        const headers = fileHeaders(found.entry);
        return await respond(
          method === 'HEAD'
            ? { statusCode: 200, headers, body: '' }
            : { statusCode: 200, headers, body: found.entry.content, isBase64Encoded: true },
        );
      }
      const headers = objectFileHeaders(found.entry);
      if (method === 'HEAD') return await respond({ statusCode: 200, headers, body: '' });
      const object = await (deps.objects as ObjectStorage).get(found.entry.objectKey);
      if (object?.body == null) {
        log.error(`The file of ID [${idOf(event)}] is not in the bucket although its key lives`, {
          objectKey: found.entry.objectKey,
        });
        return await respond(toHttpResponse(new NotFoundError('No file with this id')));
      }
      statusCode = 200;
      const out = open(200, headers);
      // Backpressure end to end: S3 is read only as fast as the caller takes the bytes.
      await pipeline(Readable.fromWeb(object.body as import('node:stream/web').ReadableStream<Uint8Array>), out).catch(
        (error: unknown) => log.error('The file stream broke off', { reason: reasonOf(error), objectKey: found.entry.objectKey }),
      );
    } catch (error: unknown) {
      if (error instanceof AppError) {
        log.error(`Request failed with ${error.statusCode} ${error.code}`, { reason: error.message });
      } else {
        log.error('Request failed with an unexpected error', { reason: reasonOf(error) });
      }
      await respond(toHttpResponse(error)).catch(() => undefined);
    } finally {
      log.metrics.count('Requests');
      log.metrics.count('ServerErrors', {}, statusCode >= 500 ? 1 : 0);
      log.metrics.count('ClientErrors', {}, statusCode >= 400 && statusCode < 500 ? 1 : 0);
      log.metrics.flush();
    }
  };
}
