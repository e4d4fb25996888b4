import { MEDIA_KIND_NAMES, MEDIA_KINDS } from './media/kinds';
import { readLogConfig, readMetricsConfig } from './platform/config';
import { MethodNotAllowedError } from './platform/errors';
import { httpStack, type HttpHandler } from './platform/http';
import { createLogger, type TaggedLogger } from './platform/log';

/**
 * The function behind an `ANY` route on every path of the API: API Gateway HTTP API sends a
 * method a path has no route for to it (an `ANY` route matches "all methods that you haven't
 * defined for a resource"), and it answers 405 with `Allow`, where API Gateway alone would
 * answer its own 404 `{"message":"Not Found"}` (docs/api.md, "A wrong method").
 */
export const METHOD_NOT_ALLOWED_TAG = 'methodNotAllowed';

/**
 * Infobip fetches files with GET and HEAD; ctlive reads the template catalogue and customers'
 * files with GET; every other route is a POST.
 */
const FETCH_PATHS = new Set(MEDIA_KIND_NAMES.map((kind) => `/imchannel/${MEDIA_KINDS[kind].route}/{id}`));
const GET_PATHS = new Set(['/imchannel/templates', '/imchannel/inboundMedia/{id}']);

/** The methods a route path (as API Gateway declares it, `/imchannel/getImageMessage/{id}`) takes. */
export const allowedMethods = (routePath: string): readonly string[] =>
  FETCH_PATHS.has(routePath) ? ['GET', 'HEAD'] : GET_PATHS.has(routePath) ? ['GET'] : ['POST'];

export function makeMethodNotAllowedHandler(deps: { log: TaggedLogger }): HttpHandler {
  return httpStack({ log: deps.log }, async (event) => {
    // `ANY /imchannel/sendMessage`: the route that matched, with `{id}` rather than the id.
    const routePath = event.routeKey.split(' ')[1] ?? event.rawPath;
    throw new MethodNotAllowedError(event.requestContext.http.method, routePath, allowedMethods(routePath));
  });
}

/**
 * Production wiring. Not through startFunction, which reads the Redis settings (and its
 * token) that every other function needs: this one answers from the route alone, so its
 * role may read no secret at all.
 */
export function startMethodNotAllowed(): HttpHandler {
  const log = createLogger(METHOD_NOT_ALLOWED_TAG, { ...readLogConfig(), metrics: readMetricsConfig() });
  return makeMethodNotAllowedHandler({ log });
}
