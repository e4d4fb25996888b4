/**
 * Typed errors, mapped to responses in one place (`toHttpResponse` in lib/platform/http.ts).
 * The message is written for the caller: it is what the response body says.
 */

/** What a 409, 429 or 503 tells the caller to wait when nothing better is known (`Retry-After`). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export class AppError extends Error {
  /** For the log line only, never the response: the message this failure concerns. */
  messageId?: string;
  /** For the log line only: why, when the response says less (which part of the credentials failed). */
  logReason?: string;
  /**
   * The body's `retryable`: whether the same request may succeed later. By default a 409,
   * a 429 and the upstream failures (502, 503, 504) are; a caller's mistake (4xx) and an
   * unexpected failure (500) are not.
   */
  retryable: boolean;
  /** `Retry-After` in seconds: a 409, 429 or 503 always carries one. */
  retryAfterSeconds?: number;
  /** Infobip may have accepted the message although this failed (a timeout, a connection lost mid-call). */
  outcomeUnknown?: boolean;
  /** A 4xx that is a dependency's doing, not the caller's (Infobip throttling): logged as ERROR. */
  dependencyFailure?: boolean;
  /** Further response headers the status calls for (`Allow` on a 405). */
  headers?: Record<string, string>;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
    this.retryable = statusCode === 409 || statusCode === 429 || (statusCode >= 502 && statusCode <= 504);
    if (statusCode === 409 || statusCode === 429 || statusCode === 503) this.retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, issues?: unknown) {
    super(400, 'VALIDATION_FAILED', message, issues === undefined ? undefined : { details: issues });
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(400, code, message, details);
  }
}

export class UnsupportedContentTypeError extends AppError {
  constructor(given: string | undefined) {
    super(
      415,
      'CONTENT_TYPE_NOT_JSON',
      `Send the body as JSON with the header "Content-Type: application/json" (got ${given === undefined ? 'none' : `"${given.slice(0, 100)}"`})`,
    );
  }
}

export class UnauthorizedError extends AppError {
  /** `why` goes to the log only (never a credential); the caller learns no more than 401. */
  constructor(why?: string, message = 'Missing or invalid credentials') {
    super(401, 'UNAUTHORIZED', message);
    this.logReason = why;
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'NOT_FOUND', message);
  }
}

/** The local stack was asked under a name that is not this machine's (a DNS rebinding page). */
export class ForeignHostError extends AppError {
  constructor(message: string) {
    super(403, 'HOST_NOT_LOCAL', message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number, what = 'Request body', hint?: string) {
    super(413, 'PAYLOAD_TOO_LARGE', `${what} is larger than ${limitBytes} bytes${hint ? `: ${hint}` : ''}`, { limitBytes });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  /** `route`: the send route that does take this type, when one does. */
  constructor(contentType: string, allowed: readonly string[], route?: string) {
    const where = route === undefined ? '' : `: send it with POST ${route}`;
    super(415, 'UNSUPPORTED_MEDIA_TYPE', `Content type "${contentType}" is not allowed here${where}`, {
      allowed: [...allowed],
      ...(route === undefined ? {} : { route }),
    });
  }
}

/** A known route called with a method it does not take (RFC 9110: a 405 lists the ones it does). */
export class MethodNotAllowedError extends AppError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(405, 'METHOD_NOT_ALLOWED', `${path} does not take ${method}: use ${allowed.join(' or ')}`, { allowed: [...allowed] });
    this.headers = { allow: allowed.join(', ') };
  }
}

/**
 * The file's leading bytes do not fit its declared content type (lib/media/magic.ts).
 * `detected`: the types the bytes do fit, when they look like something known.
 */
export class ContentMismatchError extends AppError {
  constructor(message: string, detected?: readonly string[]) {
    super(415, 'CONTENT_MISMATCH', message, detected === undefined ? undefined : { detected: [...detected] });
  }
}

/** A file WhatsApp would not show as a sticker (lib/media/sticker.ts): 422 with the limit and what was found. */
export class StickerRefusedError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super(422, 'STICKER_REFUSED', message, details);
  }
}

export class InfobipError extends AppError {
  constructor(message: string, upstreamStatus?: number, serviceException?: unknown) {
    super(502, 'INFOBIP_ERROR', message, {
      ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
      ...(serviceException === undefined ? {} : { serviceException }),
    });
    // Unreachable or failing (5xx, or a 2xx that is no OMNI answer) may pass later; an
    // Infobip 4xx (a bad key, a bad request) fails the same way every time.
    this.retryable = upstreamStatus === undefined || upstreamStatus < 400 || upstreamStatus >= 500;
  }
}

/**
 * Infobip throttled the call (429). Infobip's rate-limit page asks for backoff and retries
 * and documents no header (infobip.com/docs, developer resources, "Rate limits and
 * throttling"), so its `Retry-After` is passed on when it sends one, else the default.
 */
export class InfobipRateLimitedError extends AppError {
  constructor(retryAfterSeconds: number | undefined, serviceException?: unknown) {
    super(429, 'INFOBIP_RATE_LIMITED', 'Infobip is throttling the sends (429): retry after the Retry-After seconds', {
      upstreamStatus: 429,
      ...(serviceException === undefined ? {} : { serviceException }),
    });
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
    this.dependencyFailure = true;
  }
}

/**
 * Infobip answered 200 but its status says REJECTED (group 5, e.g.
 * REJECTED_DESTINATION_NOT_REGISTERED): nothing will be delivered, so it is not a success.
 * 422: the request was well formed, but Infobip will not carry it; resending it unchanged
 * will not help.
 */
export class InfobipRejectedError extends AppError {
  constructor(messageId: string, status: { groupName: string; name: string; description: string }) {
    super(422, 'INFOBIP_REJECTED', `Infobip rejected the message: ${status.name} (${status.description})`, {
      messageId,
      status,
    });
  }
}

export class InfobipTimeoutError extends AppError {
  constructor(timeoutMs: number) {
    super(504, 'INFOBIP_TIMEOUT', `Infobip did not answer within ${timeoutMs} ms`);
    this.outcomeUnknown = true;
  }
}

export class UnavailableError extends AppError {
  constructor(code: string, message: string) {
    super(503, code, message);
  }
}

export const reasonOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
