import { LambdaClient } from '@aws-sdk/client-lambda';
import { createForwarder } from '../../lib/inbound/forwarder';
import { INIT_WORK_KEY, initWorkSettled, noteInitWork } from '../../lib/platform/initWork';

/**
 * Init work (lib/platform/initWork.ts): what a function starts at cold start without
 * awaiting it, noted where whatever loads the bundle (the bench's cold-init child, a test)
 * can wait for it, and what it failed with.
 */

const store = globalThis as typeof globalThis & { [INIT_WORK_KEY]?: unknown };

beforeEach(() => {
  delete store[INIT_WORK_KEY];
});

describe('noteInitWork', () => {
  it('is found under the registered symbol, so a copy of this module in another bundle finds it too', async () => {
    noteInitWork(Promise.resolve('done'));
    const pieces = (globalThis as Record<symbol, unknown>)[Symbol.for('imchannel.initWork')];
    expect(Array.isArray(pieces) && pieces.length).toBe(1);
    await expect(initWorkSettled()).resolves.toEqual([]);
  });

  it('waits for every piece and gives what the failed ones failed with, never rejecting', async () => {
    let finish: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    const failure = new Error('chunk missing');
    noteInitWork(slow);
    noteInitWork(Promise.reject(failure));
    let settled = false;
    const outcome = initWorkSettled().then((failed) => {
      settled = true;
      return failed;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    finish();
    await expect(outcome).resolves.toEqual([failure]);
  });

  it('settles at once when nothing was started', async () => {
    await expect(initWorkSettled()).resolves.toEqual([]);
  });
});

describe('the lazy Lambda forwarder', () => {
  it('notes the load of the Lambda client as init work; an http target notes nothing', async () => {
    createForwarder({ kind: 'http', url: 'http://127.0.0.1:9/events', timeoutMs: 1000 });
    expect(store[INIT_WORK_KEY]).toBeUndefined();

    createForwarder({ kind: 'lambda', functionName: 'ctlive-inbound' }, { lambda: new LambdaClient({ region: 'eu-west-1' }) });
    expect(Array.isArray(store[INIT_WORK_KEY]) && (store[INIT_WORK_KEY] as unknown[]).length).toBe(1);
    await expect(initWorkSettled()).resolves.toEqual([]);
  });
});
