import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { CtliveTarget } from '../platform/config';
import type { ForwardedEvent } from './events';
import { deadline } from '../platform/deadline';
import { reasonOf } from '../platform/errors';
import { noteInitWork } from '../platform/initWork';

/** Delivers one ctlive event (CONTRACT section 6). Throws `ForwardError` when ctlive did not take it. */
export interface Forwarder {
  /** Where events go, safe to log: a function name or a URL, never a token. */
  readonly target: string;
  /** The longest one forward can take before it fails, retries included. */
  readonly timeoutMs: number;
  forward(event: ForwardedEvent): Promise<void>;
}

export class ForwardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardError';
  }
}

/** An `Event` invoke only queues the event, so anything slower than this is a sick endpoint. */
export const LAMBDA_TIMEOUT_MS = 5_000;
/** One retry, with the SDK's backoff: throttling is often momentary, and Infobip retries the rest. */
export const LAMBDA_MAX_ATTEMPTS = 2;

export interface ForwarderDeps {
  /** Tests pass a client of their own; production creates one per cold start. */
  lambda?: LambdaClient;
  fetch?: typeof fetch;
}

export function createForwarder(target: CtliveTarget, deps: ForwarderDeps = {}): Forwarder {
  return target.kind === 'lambda' ? lazyLambdaForwarder(target, deps) : httpForwarder(target, deps.fetch ?? fetch);
}

/**
 * The AWS SDK is most of onMessage's bundle and of its cold start, so it is loaded only
 * for a Lambda target: the import starts at cold start (still during init, where Lambda
 * expects the work) and an http(s) target never reads it at all. The bundles are ES
 * modules with code splitting (serverless.yml, custom.esbuild), so this import() is a
 * chunk of its own, with the SDK in it, that only this line loads.
 */
function lazyLambdaForwarder(target: Extract<CtliveTarget, { kind: 'lambda' }>, deps: ForwarderDeps): Forwarder {
  const loading = import('./lambdaForwarder').then(({ createLambdaClient, lambdaForwarder }) =>
    lambdaForwarder(target, deps.lambda ?? createLambdaClient(target)),
  );
  loading.catch(() => undefined); // surfaces at the first forward, as a ForwardError
  noteInitWork(loading);
  return {
    target: `lambda:${target.functionName}`,
    timeoutMs: LAMBDA_TIMEOUT_MS * LAMBDA_MAX_ATTEMPTS,
    async forward(event) {
      let forwarder: Forwarder;
      try {
        forwarder = await loading;
      } catch (error: unknown) {
        throw new ForwardError(`The Lambda client could not be loaded: ${reasonOf(error)}`);
      }
      return forwarder.forward(event);
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
    timeoutMs: target.timeoutMs,
    async forward(event) {
      let res: Response;
      const timeout = deadline(target.timeoutMs);
      try {
        res = await fetchImpl(target.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(event),
          signal: timeout.signal,
        });
      } catch (error: unknown) {
        timeout.clear();
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
      timeout.clear();
      if (!res.ok) {
        throw new ForwardError(`ctlive answered ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}`);
      }
    },
  };
}
