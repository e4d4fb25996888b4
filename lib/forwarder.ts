import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { CtliveTarget } from './config';
import type { CtliveEvent } from './ctliveEvents';
import { reasonOf } from './errors';

/** Delivers one ctlive event (CONTRACT section 6). Throws `ForwardError` when ctlive did not take it. */
export interface Forwarder {
  /** Where events go, safe to log: a function name or a URL, never a token. */
  readonly target: string;
  forward(event: CtliveEvent): Promise<void>;
}

export class ForwardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardError';
  }
}

/** An `Event` invoke only queues the event, so anything slower than this is a sick endpoint. */
const LAMBDA_TIMEOUT_MS = 5_000;
/** One retry, with the SDK's backoff: throttling is often momentary, and Infobip retries the rest. */
const LAMBDA_MAX_ATTEMPTS = 2;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface ForwarderDeps {
  /** Tests pass a client of their own; production creates one per cold start. */
  lambda?: LambdaClient;
  fetch?: typeof fetch;
}

export function createForwarder(target: CtliveTarget, deps: ForwarderDeps = {}): Forwarder {
  return target.kind === 'lambda'
    ? lambdaForwarder(target, deps.lambda ?? createLambdaClient(target))
    : httpForwarder(target, deps.fetch ?? fetch);
}

export function createLambdaClient(target: Extract<CtliveTarget, { kind: 'lambda' }>): LambdaClient {
  return new LambdaClient({
    ...(target.region === undefined ? {} : { region: target.region }),
    ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }),
    // serverless-offline's invoke endpoint checks no signature, and a developer's machine
    // may have no AWS credentials at all; anything else gets the normal credential chain.
    ...(isLoopback(target.endpoint) ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    maxAttempts: LAMBDA_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: LAMBDA_TIMEOUT_MS, requestTimeout: LAMBDA_TIMEOUT_MS },
  });
}

function isLoopback(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    return LOOPBACK_HOSTS.has(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}

function lambdaForwarder(target: Extract<CtliveTarget, { kind: 'lambda' }>, client: LambdaClient): Forwarder {
  return {
    target: `lambda:${target.functionName}`,
    async forward(event) {
      let result: InvokeCommandOutput;
      try {
        result = await client.send(
          new InvokeCommand({
            FunctionName: target.functionName,
            InvocationType: 'Event',
            Payload: Buffer.from(JSON.stringify(event)),
          }),
          { abortSignal: AbortSignal.timeout(LAMBDA_TIMEOUT_MS * LAMBDA_MAX_ATTEMPTS) },
        );
      } catch (error: unknown) {
        throw new ForwardError(`Lambda invoke of ${target.functionName} failed: ${reasonOf(error)}`);
      }
      // A queued event is 202; anything else means Lambda did not accept it.
      if (result.StatusCode !== 202 || result.FunctionError !== undefined) {
        const detail = result.FunctionError === undefined ? '' : ` (${result.FunctionError})`;
        throw new ForwardError(
          `Lambda invoke of ${target.functionName} answered ${String(result.StatusCode)}${detail}, not 202`,
        );
      }
    },
  };
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a TLS error…). */
const causeOf = (error: unknown): string =>
  error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';

function httpForwarder(target: Extract<CtliveTarget, { kind: 'http' }>, fetchImpl: typeof fetch): Forwarder {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  return {
    target: target.url,
    async forward(event) {
      let res: Response;
      try {
        res = await fetchImpl(target.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(target.timeoutMs),
        });
      } catch (error: unknown) {
        // The abort reason is a DOMException, which need not be an `Error` of this realm.
        const timedOut = typeof error === 'object' && error !== null && 'name' in error && error.name === 'TimeoutError';
        throw new ForwardError(
          timedOut
            ? `ctlive did not answer within ${target.timeoutMs} ms`
            : `ctlive could not be reached: ${reasonOf(error)}${causeOf(error)}`,
        );
      }
      // Drained either way, so the connection goes back to the keep-alive pool.
      const body = await res.text().catch(() => '');
      if (!res.ok) {
        throw new ForwardError(`ctlive answered ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}`);
      }
    },
  };
}
