import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { CtliveTarget } from '../platform/config';
import { reasonOf } from '../platform/errors';
import { ForwardError, LAMBDA_MAX_ATTEMPTS, LAMBDA_TIMEOUT_MS, type Forwarder } from './forwarder';

/**
 * The `lambda:<name>` ctlive target, and the copy trigger's invoke of the copier. Only
 * `createForwarder` (for that target) and the copy trigger (at the first file) import this
 * module, with a dynamic import() that esbuild splits into a chunk of its own, so
 * the AWS SDK stays out of every cold start that does not need it.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

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

/**
 * An asynchronous invoke (`InvocationType: Event`): Lambda answers 202 once it holds the event.
 * The copy trigger reaches the SDK through this function, never by an import() of the SDK
 * package itself, which would put every command, waiter and paginator of the Lambda client
 * in its chunk instead of the one command used.
 */
export function invokeEvent(
  client: LambdaClient,
  functionName: string,
  payload: unknown,
  timeoutMs: number,
): Promise<InvokeCommandOutput> {
  return client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }),
    { abortSignal: AbortSignal.timeout(timeoutMs) },
  );
}

export function lambdaForwarder(target: Extract<CtliveTarget, { kind: 'lambda' }>, client: LambdaClient): Forwarder {
  return {
    target: `lambda:${target.functionName}`,
    timeoutMs: LAMBDA_TIMEOUT_MS * LAMBDA_MAX_ATTEMPTS,
    async forward(event) {
      let result: InvokeCommandOutput;
      try {
        result = await invokeEvent(client, target.functionName, event, LAMBDA_TIMEOUT_MS * LAMBDA_MAX_ATTEMPTS);
      } catch (error: unknown) {
        throw new ForwardError(`Lambda invoke of ${target.functionName} failed: ${reasonOf(error)}`);
      }
      // A queued event is 202; anything else means Lambda did not accept it.
      if (result.StatusCode !== 202 || result.FunctionError !== undefined) {
        const detail = result.FunctionError === undefined ? '' : ` (${result.FunctionError})`;
        throw new ForwardError(`Lambda invoke of ${target.functionName} answered ${String(result.StatusCode)}${detail}, not 202`);
      }
    },
  };
}
