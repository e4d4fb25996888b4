import type { Context } from 'aws-lambda';
import type { HttpEvent } from '../../lib/platform/http';

export interface EventOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Send `body` exactly as given (a string), not as JSON. */
  rawBody?: boolean;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string>;
  /** The query string's parameters, as API Gateway parses them. */
  query?: Record<string, string>;
}

/** An API Gateway HTTP API (payload 2.0) event, as the Lambda receives it. */
export function apiEvent(options: EventOptions = {}): HttpEvent {
  const method = options.method ?? 'POST';
  const path = options.path ?? '/imchannel/test';
  const body = options.body === undefined ? undefined : options.rawBody ? String(options.body) : JSON.stringify(options.body);
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'test-request',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    pathParameters: options.pathParameters,
    body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

export function lambdaContext(functionName = 'test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'test-request',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A logger sink that keeps lines for assertions. */
export function captureLines() {
  const lines: string[] = [];
  return { lines, sink: (line: string) => void lines.push(line) };
}
