/**
 * Fault matrix, ctlive side: the HTTP target answering 500, too slow,
 * or refusing connections, and the Lambda target throttled or failing, for both webhooks.
 * For each: 503 CTLIVE_UNAVAILABLE (so that Infobip retries), an ERROR line with the
 * function's tag and Infobip's messageId, no de-duplication claim left in Redis, nothing
 * delivered, and Infobip's retry, once ctlive is back, forwarded exactly once by the
 * same handler.
 */
import { randomUUID } from 'node:crypto';
import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createForwarder } from '../../lib/inbound/forwarder';
import { redisKeys } from '../../lib/platform/redis';
import { startCtliveSink, type CtliveSink } from '../../tools/ctliveSink';
import { freePort } from '../../tools/ports';
import { errorLinesSince, expectNothingLeaked } from './faultSupport/expectations';
import { tally } from './faultSupport/results';
import { basic, CTLIVE_TIMEOUT_MS, startStack, WEBHOOK_USER, type Reply, type Stack } from './faultSupport/stack';

let stack: Stack;
const figures = tally('faults.ctlive');
const lambda = mockClient(LambdaClient);
const extraSinks: CtliveSink[] = [];

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  figures.write();
  lambda.restore();
  for (const sink of extraSinks) await sink.close();
  await stack?.close();
});

beforeEach(() => {
  stack.sink.reset();
  lambda.reset();
});

type Route = 'onMessage' | 'onDeliveryReport';
const ROUTES: { route: Route; kind: string; result: (id: string) => Record<string, unknown> }[] = [
  {
    route: 'onMessage',
    kind: 'message',
    result: (id) => ({ from: '39123456789', to: '44123456789', messageId: id, message: { type: 'TEXT', text: 'Oh well' } }),
  },
  {
    route: 'onDeliveryReport',
    kind: 'delivery',
    result: (id) => ({
      messageId: id,
      to: '39123456789',
      status: { groupName: 'DELIVERED' },
      doneAt: '2025-02-27T15:44:57.000+0000',
    }),
  },
];

const newId = () => `wamid.FAULT${randomUUID().replace(/-/g, '').toUpperCase()}`;

async function post(handler: Parameters<Stack['call']>[0], body: unknown): Promise<Reply> {
  return stack.call(handler, { body, headers: basic(WEBHOOK_USER, stack.secrets.webhookPassword) });
}

async function expectFailedForward(reply: Reply, route: Route, kind: string, id: string, mark: number, reason: RegExp) {
  expect(reply.status).toBe(503);
  expect(reply.json.error).toEqual(expect.objectContaining({ code: 'CTLIVE_UNAVAILABLE', forwarded: 0, notForwarded: [id] }));
  const errors = errorLinesSince(stack, mark, route);
  const forwardLine = errors.find((entry) => entry.messageId === id);
  expect(forwardLine?.message).toMatch(
    new RegExp(
      `^\\[IMCHANNEL\\] \\[${route}\\] Forwarding the ${kind} event to \\[.+\\] failed, claim released \\(messageId \\[${id}\\]\\): `,
    ),
  );
  expect(forwardLine?.message).toMatch(reason);
  // No claim left behind: Infobip's retry must go through.
  expect(await stack.direct.exists(redisKeys.webhookEvent(kind, id))).toBe(0);
}

async function expectRetryForwardedOnce(handler: Parameters<Stack['call']>[0], body: unknown, kind: string, id: string) {
  const retry = await post(handler, body);
  expect(retry.status).toBe(200);
  expect(retry.json).toEqual({ forwarded: 1, duplicates: 0 });
  expect(await stack.direct.get(redisKeys.webhookEvent(kind, id))).toBe('done');
  const again = await post(handler, body);
  expect(again.json).toEqual({ forwarded: 0, duplicates: 1 });
}

describe.each(ROUTES)('$route, ctlive over HTTP', ({ route, kind, result }) => {
  const HTTP_FAULTS = [
    {
      name: 'ctlive answers 500',
      arm: () => stack.sink.failNext({ status: 500 }),
      reason: /ForwardError: ctlive answered 500/,
    },
    {
      name: 'ctlive is slower than CTLIVE_TIMEOUT_MS',
      arm: () => stack.sink.failNext({ delayMs: CTLIVE_TIMEOUT_MS * 5 }),
      reason: new RegExp(`ForwardError: ctlive did not answer within ${CTLIVE_TIMEOUT_MS} ms`),
    },
  ];

  it.each(HTTP_FAULTS)(
    '$name: 503, ERROR line, claim released, the retry forwarded once',
    figures.track(async ({ arm, reason }: (typeof HTTP_FAULTS)[number]) => {
      const handler = stack.webhooks()[route];
      const id = newId();
      const body = { results: [result(id)], messageCount: 1, pendingMessageCount: 0 };
      const mark = stack.lines.length;
      arm();

      const reply = await post(handler, body);

      await expectFailedForward(reply, route, kind, id, mark, reason);
      expect(stack.sink.received).toEqual([]);
      await expectRetryForwardedOnce(handler, body, kind, id);
      expect(stack.sink.received).toEqual([expect.objectContaining({ event: kind, messageId: id })]);
    }),
  );

  it(
    'ctlive refuses connections: 503, ERROR line, claim released; once it listens again the retry is forwarded once',
    figures.track(async () => {
      const port = await freePort();
      const handler = stack.webhooks({
        forwarder: createForwarder({
          kind: 'http',
          url: `http://127.0.0.1:${port}/events`,
          token: stack.secrets.targetToken,
          timeoutMs: CTLIVE_TIMEOUT_MS,
        }),
      })[route];
      const id = newId();
      const body = { results: [result(id)] };
      const mark = stack.lines.length;

      const reply = await post(handler, body);

      await expectFailedForward(reply, route, kind, id, mark, /ForwardError: ctlive could not be reached/);
      const back = await startCtliveSink({ port, token: stack.secrets.targetToken, log: () => undefined });
      extraSinks.push(back);
      await expectRetryForwardedOnce(handler, body, kind, id);
      expect(back.received).toEqual([expect.objectContaining({ event: kind, messageId: id })]);
    }),
  );
});

describe.each(ROUTES)('$route, ctlive as a Lambda function (CTLIVE_TARGET=lambda:…)', ({ route, kind, result }) => {
  const LAMBDA_FAULTS = [
    {
      name: 'the invoke is throttled',
      arm: () => lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} })),
      reason: /TooManyRequestsException: Rate exceeded/,
    },
    {
      name: 'the Lambda service fails',
      arm: () => lambda.on(InvokeCommand).rejects(new ServiceException({ message: 'Internal failure', $metadata: {} })),
      reason: /ServiceException: Internal failure/,
    },
    {
      name: 'the function does not exist',
      arm: () =>
        lambda.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} })),
      reason: /ResourceNotFoundException/,
    },
    {
      name: 'the invoke answers with a FunctionError',
      arm: () => lambda.on(InvokeCommand).resolves({ StatusCode: 202, FunctionError: 'Unhandled' }),
      reason: /answered 202 \(Unhandled\), not 202/,
    },
    {
      name: 'the invoke is not queued (status 500)',
      arm: () => lambda.on(InvokeCommand).resolves({ StatusCode: 500 }),
      reason: /answered 500, not 202/,
    },
  ];

  it.each(LAMBDA_FAULTS)(
    '$name: 503, ERROR line, claim released, the retry invokes once',
    figures.track(async ({ arm, reason }: (typeof LAMBDA_FAULTS)[number]) => {
      const forwarder = createForwarder(
        { kind: 'lambda', functionName: 'ctlive-inbound', region: 'eu-west-1' },
        { lambda: new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }) },
      );
      const handler = stack.webhooks({ forwarder })[route];
      const id = newId();
      const body = { results: [result(id)] };
      const mark = stack.lines.length;
      arm();

      const reply = await post(handler, body);

      await expectFailedForward(reply, route, kind, id, mark, reason);
      lambda.reset();
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      await expectRetryForwardedOnce(handler, body, kind, id);
      const invokes = lambda.commandCalls(InvokeCommand);
      expect(invokes).toHaveLength(1);
      const payload = JSON.parse(Buffer.from(invokes[0]?.args[0].input.Payload as Uint8Array).toString('utf8'));
      expect(payload).toEqual(expect.objectContaining({ event: kind, messageId: id }));
      expect(invokes[0]?.args[0].input.InvocationType).toBe('Event');
    }),
  );
});

it(
  'no response and no log line of the whole ctlive fault run holds a configured secret',
  figures.track(async () => {
    expect(stack.responses.length).toBeGreaterThanOrEqual(30);
    expectNothingLeaked(stack);
  }),
);
