/**
 * Typed errors, mapped to responses in one place (`toHttpResponse` in lib/platform/http.ts).
 * The message is written for the caller: it is what the response body says.
 */
export class AppError extends Error {
  /** For the log line only, never the response: the message this failure concerns. */
  messageId?: string;
  /** For the log line only: why, when the response says less (which part of the credentials failed). */
  logReason?: string;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
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

export class InfobipError extends AppError {
  constructor(message: string, upstreamStatus?: number, serviceException?: unknown) {
    super(502, 'INFOBIP_ERROR', message, {
      ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
      ...(serviceException === undefined ? {} : { serviceException }),
    });
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
  }
}

export class UnavailableError extends AppError {
  constructor(code: string, message: string) {
    super(503, code, message);
  }
}

export const reasonOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
