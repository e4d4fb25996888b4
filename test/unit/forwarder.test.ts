import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { CtliveEvent } from '../../lib/inbound/events';
import { createForwarder, ForwardError } from '../../lib/inbound/forwarder';
import { createLambdaClient } from '../../lib/inbound/lambdaForwarder';

const event: CtliveEvent = {
  event: 'message',
  channel: 'WHATSAPP',
  messageId: 'wamid.1',
  type: 'TEXT',
  text: 'Oh well',
  raw: { messageId: 'wamid.1', message: { type: 'TEXT', text: 'Oh well' } },
};

const lambdaTarget = { kind: 'lambda', functionName: 'ctlive-inbound', region: 'eu-west-1' } as const;

describe('lambda forwarder', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  const forwarder = () => createForwarder(lambdaTarget, { lambda: new LambdaClient({ region: 'eu-west-1' }) });

  it('invokes the function asynchronously (InvocationType Event) with the event as JSON', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

    await forwarder().forward(event);

    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.FunctionName).toBe('ctlive-inbound');
    expect(input.InvocationType).toBe('Event');
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'))).toEqual(event);
    expect(forwarder().target).toBe('lambda:ctlive-inbound');
  });

  it.each([
    [
      'throttled',
      new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }),
      /TooManyRequestsException: Rate exceeded/,
    ],
    [
      'a missing function',
      new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }),
      /ResourceNotFoundException/,
    ],
    ['a Lambda service error', new ServiceException({ message: 'Internal', $metadata: {} }), /ServiceException: Internal/],
    ['a network error', new Error('connect ECONNREFUSED'), /ECONNREFUSED/],
  ])('%s becomes a ForwardError naming the function and the cause', async (_label, error, reason) => {
    lambda.on(InvokeCommand).rejects(error);

    const promise = forwarder().forward(event);

    await expect(promise).rejects.toBeInstanceOf(ForwardError);
    await expect(promise).rejects.toThrow(/Lambda invoke of ctlive-inbound failed/);
    await expect(promise).rejects.toThrow(reason);
  });

  it.each([
    ['a status other than 202', { StatusCode: 200 }, /answered 200, not 202/],
    ['a function error', { StatusCode: 202, FunctionError: 'Unhandled' }, /\(Unhandled\)/],
    ['no status at all', {}, /answered undefined/],
  ])('%s is a failure: the event was not queued', async (_label, output, reason) => {
    lambda.on(InvokeCommand).resolves(output);

    await expect(forwarder().forward(event)).rejects.toThrow(reason);
  });
});

describe('loading the AWS SDK', () => {
  /** Builds a forwarder in a fresh module registry and tells whether the SDK was required. */
  async function sdkLoadedFor(target: Parameters<typeof createForwarder>[0]): Promise<boolean> {
    let loaded = false;
    let created: ReturnType<typeof createForwarder> | undefined;
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@aws-sdk/client-lambda', () => {
        loaded = true;
        return jest.requireActual('@aws-sdk/client-lambda');
      });
      const isolated = jest.requireActual<typeof import('../../lib/inbound/forwarder')>('../../lib/inbound/forwarder');
      created = isolated.createForwarder(target, { fetch: async () => new Response('') });
      await new Promise((resolve) => setTimeout(resolve, 50)); // a lazy import settles
    });
    jest.dontMock('@aws-sdk/client-lambda');
    expect(created).toBeDefined();
    return loaded;
  }

  it('is never loaded for an http(s) ctlive target', async () => {
    await expect(sdkLoadedFor({ kind: 'http', url: 'https://ctlive.example/in', timeoutMs: 1000 })).resolves.toBe(false);
  });

  it('is loaded at cold start for a lambda ctlive target', async () => {
    await expect(sdkLoadedFor(lambdaTarget)).resolves.toBe(true);
  });
});

describe('createLambdaClient', () => {
  it('points at the configured endpoint, with placeholder credentials only for a loopback one', async () => {
    const client = createLambdaClient({ ...lambdaTarget, endpoint: 'http://127.0.0.1:3002' });

    const endpoint = await client.config.endpoint?.();
    expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe('http://127.0.0.1:3002');
    await expect(client.config.credentials()).resolves.toEqual(expect.objectContaining({ accessKeyId: 'local' }));
    expect(await client.config.region()).toBe('eu-west-1');
  });

  it('leaves credentials to the default chain for a non-loopback endpoint', async () => {
    const client = createLambdaClient({ ...lambdaTarget, endpoint: 'https://lambda.eu-west-1.amazonaws.com' });

    // Without AWS credentials on this machine the chain fails; either way it is not the placeholder.
    const credentials = await client.config.credentials().catch(() => undefined);
    expect(credentials?.accessKeyId).not.toBe('local');
  });
});

describe('http forwarder', () => {
  const target = { kind: 'http', url: 'https://ctlive.example/events', token: 'target-token-123', timeoutMs: 50 } as const;

  function fakeFetch(answer: (init: RequestInit) => Promise<Response>) {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const impl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return answer(init);
    }) as unknown as typeof fetch;
    return { calls, impl };
  }

  it('POSTs the event as JSON with the bearer token', async () => {
    const { calls, impl } = fakeFetch(async () => new Response('', { status: 202 }));

    await createForwarder(target, { fetch: impl }).forward(event);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(target.url);
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer target-token-123' });
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual(event);
  });

  it('sends no Authorization header when no token is configured', async () => {
    const { calls, impl } = fakeFetch(async () => new Response('ok'));

    await createForwarder({ ...target, token: undefined }, { fetch: impl }).forward(event);

    expect(calls[0]!.init.headers).toEqual({ 'content-type': 'application/json' });
  });

  it.each([
    [500, /ctlive answered 500: boom/],
    [503, /ctlive answered 503/],
    [401, /ctlive answered 401/],
  ])('a %i answer is a failure', async (status, reason) => {
    const { impl } = fakeFetch(async () => new Response(status === 500 ? 'boom' : '', { status }));

    await expect(createForwarder(target, { fetch: impl }).forward(event)).rejects.toThrow(reason);
  });

  it('gives up after the timeout', async () => {
    const { impl } = fakeFetch(
      (init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );

    const started = Date.now();
    await expect(createForwarder(target, { fetch: impl }).forward(event)).rejects.toThrow('ctlive did not answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports an unreachable ctlive with the cause', async () => {
    const { impl } = fakeFetch(async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    });

    await expect(createForwarder(target, { fetch: impl }).forward(event)).rejects.toThrow(
      'ctlive could not be reached: TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:9)',
    );
  });
});
