import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import {
  AppError,
  BadRequestError,
  ForeignHostError,
  PayloadTooLargeError,
  UnsupportedContentTypeError,
  reasonOf,
} from './errors';
import { readLocalHostsOnly } from './config';
import { FOREIGN_HOST_MESSAGE, isLocalHost } from './localHost';
import type { TaggedLogger } from './log';

/** The event as handlers see it, after the shared stack has read the body. */
export type HttpEvent = APIGatewayProxyEventV2 & {
  /** The body as received, decoded from base64 when API Gateway encoded it. */
  rawBody?: string;
  /** The parsed JSON body, when the stack was asked to parse it. */
  jsonBody?: unknown;
};
export type HttpResponse = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

export interface HttpStackOptions {
  log: TaggedLogger;
  /** Requests above this many bytes get 413 before anything else reads them. */
  maxBodyBytes?: number;
  /** Parse the body as JSON (400 `INVALID_JSON` when it is not). */
  json?: boolean;
  /** Said after a 413's limit: what the caller should do about it (the file limit, say). */
  tooLargeHint?: string;
  /** Runs before the body is read or parsed, so bad credentials get 401, not 400 or 413. */
  authorize?: (event: HttpEvent) => void;
  /** Refuse a `Host` that is not a local name (403): default, under serverless-offline only. */
  localHostsOnly?: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The one place errors become responses: a 500 never carries the internal error. */
export function toHttpResponse(error: unknown): HttpResponse {
  if (error instanceof AppError) {
    const retryAfter: Record<string, string> =
      error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
    return jsonResponse(
      error.statusCode,
      { error: { code: error.code, message: error.message, retryable: error.retryable, ...error.details } },
      { ...retryAfter, ...error.headers },
    );
  }
  return jsonResponse(500, { error: { code: 'INTERNAL_ERROR', message: 'Internal error', retryable: false } });
}

export function readBody(event: HttpEvent, maxBytes: number, hint?: string): string {
  const body = event.body ?? '';
  const encoding = event.isBase64Encoded ? 'base64' : 'utf8';
  if (Buffer.byteLength(body, encoding) > maxBytes) throw new PayloadTooLargeError(maxBytes, 'Request body', hint);
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** Where JSON.parse gave up, when V8 says (it does for most errors, not for every one). */
function jsonErrorPosition(raw: string, error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const at = /at position (\d+)/.exec(message)?.[1];
  if (at !== undefined) return Number(at);
  return /end of JSON input/.test(message) ? raw.length : undefined;
}

/**
 * How deep a JSON body may nest. Infobip's payloads and every request body here stay well
 * under 16 levels; past 64, a body is refused before JSON.parse, so nothing downstream
 * (validation, the idempotency fingerprint, a log line) walks a structure deep enough to
 * exhaust the stack.
 */
export const JSON_MAX_DEPTH = 64;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The position where the text first nests deeper than `max`, in one pass; undefined if it never does. */
export function tooDeepAt(raw: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth += 1;
      if (depth > max) return i;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth -= 1;
  }
  return undefined;
}

/** 400 `JSON_TOO_DEEP` for a body nesting deeper than JSON_MAX_DEPTH, before anything parses or walks it. */
export function checkJsonDepth(raw: string): void {
  const deepAt = tooDeepAt(raw, JSON_MAX_DEPTH);
  if (deepAt !== undefined) {
    throw new BadRequestError(
      'JSON_TOO_DEEP',
      `Request body nests arrays and objects more than ${JSON_MAX_DEPTH} levels deep (at position ${deepAt}); no request needs that many: flatten it`,
      { maxDepth: JSON_MAX_DEPTH, position: deepAt },
    );
  }
}

export function parseJson(raw: string): unknown {
  checkJsonDepth(raw);
  try {
    return JSON.parse(raw);
  } catch (error: unknown) {
    const position = jsonErrorPosition(raw, error);
    throw new BadRequestError(
      'INVALID_JSON',
      position === undefined ? 'Request body is not valid JSON' : `Request body is not valid JSON (at position ${position})`,
      position === undefined ? undefined : { position },
    );
  }
}

/** `application/json`, or any `…+json`, with or without parameters. */
const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

const LOGGED_FIELD_MAX = 100;

/** A string field of the parsed body, for the log line of a refusal; cut short, never trusted. */
function fieldOf(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value.slice(0, LOGGED_FIELD_MAX) : undefined;
}

/** What the log says of a refusal: the answer's message, then what it names first. */
function logReasonOf(error: AppError): string {
  const details = error.details?.details;
  const first = Array.isArray(details) ? (details[0] as { path?: unknown; message?: unknown } | undefined) : undefined;
  if (first && typeof first.message === 'string') {
    return `${error.message}: ${String(first.path ?? '(body)')}: ${first.message}`;
  }
  return error.logReason === undefined ? error.message : `${error.message} (${error.logReason})`;
}

/**
 * Every HTTP function: the middy stack, then one count of how the invocation ended and one
 * flush of its metrics, in `finally` so that an invocation that throws still publishes.
 */
export function httpStack(options: HttpStackOptions, handler: HttpHandler): HttpHandler {
  const stack = middyStack(options, handler);
  const { metrics } = options.log;
  return async (event, context) => {
    let statusCode = 500;
    try {
      const response = await stack(event, context);
      statusCode = response.statusCode ?? 200;
      return response;
    } finally {
      metrics.count('Requests');
      metrics.count('ServerErrors', {}, statusCode >= 500 ? 1 : 0);
      metrics.count('ClientErrors', {}, statusCode >= 400 && statusCode < 500 ? 1 : 0);
      metrics.flush();
    }
  };
}

function middyStack(options: HttpStackOptions, handler: HttpHandler) {
  const { log } = options;
  const localHostsOnly = options.localHostsOnly ?? readLocalHostsOnly();
  return middy<HttpEvent, HttpResponse>()
    .use(httpHeaderNormalizer())
    .use(injectLambdaContext(log.powertools, { resetKeys: true }))
    .use({
      before: (request) => {
        if (localHostsOnly && !isLocalHost(request.event.headers.host)) {
          throw new ForeignHostError(FOREIGN_HOST_MESSAGE);
        }
        options.authorize?.(request.event);
        // API Gateway base64-encodes bodies whose type it does not take for text, which
        // breaks large files on AWS: refuse them here, where the caller learns why.
        if (options.json && !JSON_CONTENT_TYPE.test(request.event.headers['content-type'] ?? '')) {
          throw new UnsupportedContentTypeError(request.event.headers['content-type']);
        }
        if (options.maxBodyBytes !== undefined || options.json) {
          const raw = readBody(request.event, options.maxBodyBytes ?? Number.POSITIVE_INFINITY, options.tooLargeHint);
          request.event.rawBody = raw;
          if (options.json) request.event.jsonBody = parseJson(raw);
        }
      },
      onError: (request) => {
        const { error } = request;
        if (error instanceof AppError) {
          // A caller's mistake is WARN; IMChannel's or a dependency's failure is ERROR, so
          // that an ERROR line means real trouble (CONTRACT section 7).
          const level = error.statusCode < 500 && !error.dependencyFailure ? 'warn' : 'error';
          const body = request.event.jsonBody;
          log[level](`Request failed with ${error.statusCode} ${error.code}`, {
            messageId: error.messageId ?? fieldOf(body, 'messageId'),
            reason: logReasonOf(error),
            to: fieldOf(body, 'to'),
          });
        } else {
          log.error('Request failed with an unexpected error', { reason: reasonOf(error) });
        }
        request.response = toHttpResponse(error);
      },
    })
    .handler(handler);
}
