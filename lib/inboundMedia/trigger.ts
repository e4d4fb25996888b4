import { reasonOf } from '../platform/errors';
import type { CopyRequest, CopyTrigger } from './step';

/**
 * The copy of each file is an asynchronous invoke of copyInboundMedia (`InvocationType:
 * Event`): once Lambda answers 202 it owns the request, retries it on failure (the function's
 * `maximumRetryAttempts`) and sends what still fails to the failure destination
 * (serverless.yml), with no queue of our own to run. A throttled invoke (the copier's reserved
 * concurrency, which keeps Infobip's 15 downloads/s) waits in Lambda's own queue for hours.
 * The SDK is a chunk of its own that only the first file's copy loads.
 */

export class CopyTriggerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyTriggerError';
  }
}

export function createCopyTrigger(copier: { functionName: string; endpoint?: string; region?: string }): CopyTrigger {
  // Loaded by the first file, not at cold start: most messages carry none, and an onMessage
  // that only ever sees text never parses the SDK. A failed load is tried again next time.
  let loading: ReturnType<typeof loadClient> | undefined;
  const loadClient = () =>
    import('../inbound/lambdaForwarder').then(({ createLambdaClient, invokeEvent }) => ({
      invokeEvent,
      client: createLambdaClient({ kind: 'lambda', ...copier }),
    }));
  const invoke = async (request: CopyRequest) => {
    loading ??= loadClient().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    const { invokeEvent, client } = await loading;
    const result = await invokeEvent(client, copier.functionName, request, 10_000);
    if (result.StatusCode !== 202) throw new Error(`Lambda answered ${String(result.StatusCode)}, not 202`);
  };
  return {
    async request(requests) {
      try {
        await Promise.all(requests.map(invoke));
      } catch (error: unknown) {
        throw new CopyTriggerError(`The copy of a file could not be handed to ${copier.functionName}: ${reasonOf(error)}`);
      }
    },
  };
}
