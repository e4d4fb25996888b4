import { checkBearer } from '../platform/auth';
import type { InboundMediaConfig } from '../platform/config';
import { AppError, NotFoundError, UnauthorizedError, reasonOf } from '../platform/errors';
import { httpStack, type HttpEvent, type HttpResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { contentDisposition } from '../media/format';
import type { ObjectStorage } from '../media/objects';
import { PermanentCopyFailure, TransientCopyFailure } from './download';
import type { DownloadLimiter } from './rate';
import { checkLink, sourceOfId } from './reference';
import { storeInbound } from './store';

/**
 * `GET /imchannel/inboundMedia/{id}`: a customer's file. ctlive's bearer token opens it, and
 * so does a `downloadUrl` (the same URL with `expires` and `signature`) without credentials,
 * which is what an agent's browser gets. The answer is a 302 to a presigned S3 GET valid a
 * minute, so the bytes never pass through Lambda (whose answers stop at 6 MB). A file not
 * copied yet is fetched from Infobip now, stored, and served the same way.
 */

export interface ServeInboundDeps {
  log: TaggedLogger;
  config: InboundMediaConfig;
  ctliveApiToken: string;
  apiKey: string;
  storage: ObjectStorage;
  limiter: DownloadLimiter;
  fetch?: typeof fetch;
}

/** How long the S3 link in the 302 stays valid: enough to follow it, too short to pass around. */
export const INBOUND_REDIRECT_TTL_SECONDS = 60;

class LinkRefusedError extends AppError {
  constructor(expired: boolean) {
    super(
      403,
      expired ? 'LINK_EXPIRED' : 'LINK_INVALID',
      expired
        ? 'This download link has expired: open the file through its url with the ctlive token, or ask for a new link'
        : 'This download link is not valid: use the downloadUrl exactly as IMChannel sent it',
    );
  }
}

class InboundMediaGoneError extends AppError {
  constructor(failure: PermanentCopyFailure) {
    super(failure.reason === 'EXPIRED' ? 410 : 422, `MEDIA_${failure.reason}`, failure.message);
  }
}

class InboundMediaUnavailableError extends AppError {
  constructor(message: string, retryAfterMs?: number) {
    super(503, 'INFOBIP_MEDIA_UNAVAILABLE', `${message}; try again later`);
    if (retryAfterMs !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

/** A signed link, when the query has one; else ctlive's bearer. */
function authorize(event: HttpEvent, deps: ServeInboundDeps): void {
  const query = event.queryStringParameters ?? {};
  if (query.signature === undefined && query.expires === undefined) return checkBearer(event.headers, deps.ctliveApiToken);
  const id = event.pathParameters?.id ?? '';
  const check = checkLink(deps.config, id, query.expires ?? '', query.signature ?? '');
  if (check === 'invalid')
    throw new UnauthorizedError('the download link signature does not match', new LinkRefusedError(false).message);
  if (check === 'expired') throw new LinkRefusedError(true);
}

export function makeServeInboundMediaHandler(deps: ServeInboundDeps) {
  const { log } = deps;
  return httpStack({ log, authorize: (event) => authorize(event, deps) }, async (event): Promise<HttpResponse> => {
    const id = event.pathParameters?.id ?? '';
    const source = sourceOfId(id, deps.config.allowedHosts);
    if (source === undefined) throw new NotFoundError('No such file: the id is not one IMChannel gave');
    let stored;
    try {
      stored = await storeInbound(source, 'DOCUMENT', deps);
    } catch (error: unknown) {
      if (error instanceof PermanentCopyFailure) throw new InboundMediaGoneError(error);
      if (error instanceof TransientCopyFailure) throw new InboundMediaUnavailableError(error.message, error.retryAfterMs);
      if (error instanceof AppError) throw error;
      throw new InboundMediaUnavailableError(`The file could not be fetched: ${reasonOf(error)}`);
    }
    if (stored.copiedNow) log.info(`Fetched the file [${id}] from Infobip on demand and stored it (${stored.size} bytes)`);
    const location = await deps.storage.presignGet(stored.key, INBOUND_REDIRECT_TTL_SECONDS, {
      contentType: stored.contentType,
      disposition: contentDisposition(stored.fileName ?? 'file'),
    });
    return { statusCode: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
  });
}
