import { reportTokenFor } from '../../lib/platform/reportToken';
import { randomUUID } from 'node:crypto';
import { inboundMessagePayload, postWebhook } from '../../tools/infobipSandbox';
import { startLocalStack, webhookAuthOf, type LocalStack } from '../../tools/stack';
import { waitFor } from '../support/wait';
import { expectCtliveEvent, expectMatchesOpenApi } from '../support/openapi';

interface CtliveEvent {
  event: string;
  messageId: string;
  text?: string;
  callbackData?: string;
  status?: { name: string };
}

const byMessageId = (events: unknown[], messageId: string) =>
  (events as CtliveEvent[]).filter((event) => event.messageId === messageId);

/** Infobip's webhooks through the whole local stack, to ctlive over both forwarding paths. */
describe('inbound through the local stack, CTLIVE_TARGET=http', () => {
  let stack: LocalStack;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: (line) => output.push(line) });
  }, 120_000);
  afterAll(() => stack?.stop(), 30_000);
  // Everything ctlive received in these tests has the shape docs/ctlive-events.schema.json describes.
  afterEach(() => stack.sink.received.forEach(expectCtliveEvent));

  const post = async (route: string, body: unknown) => {
    const res = await postWebhook(`${stack.apiUrl}/${route}`, body, webhookAuthOf(stack.env));
    expectMatchesOpenApi('POST', `${stack.apiUrl}/${route}`, res.status, JSON.parse(res.body));
    return res;
  };

  it('forwards a customer message to ctlive once, after the runbook line', async () => {
    const messageId = `wamid.E2E${randomUUID()}`;
    const payload = inboundMessagePayload({ text: 'Oh well', messageId });

    const first = await post('onMessage', payload);
    const again = await post('onMessage', payload);

    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ forwarded: 1, duplicates: 0 });
    expect(JSON.parse(again.body)).toEqual({ forwarded: 0, duplicates: 1 });
    expect(byMessageId(stack.sink.received, messageId)).toEqual([
      expect.objectContaining({ event: 'message', messageId, text: 'Oh well' }),
    ]);
    const received = await waitFor(() => output.find((line) => line.startsWith('[IMCHANNEL] [onMessage] Message received')));
    expect(received).toBe(`[IMCHANNEL] [onMessage] Message received ${JSON.stringify(payload)}`);
  });

  it('answers 401 to a webhook without credentials and forwards nothing', async () => {
    const messageId = `wamid.E2E${randomUUID()}`;
    const res = await postWebhook(`${stack.apiUrl}/onMessage`, inboundMessagePayload({ messageId }));
    expect(res.status).toBe(401);
    expectMatchesOpenApi('POST', `${stack.apiUrl}/onMessage`, res.status, JSON.parse(res.body));
    expect(byMessageId(stack.sink.received, messageId)).toEqual([]);
  });

  it('turns an outbound message into a delivery event at ctlive, through notifyUrl', async () => {
    const callbackData = `conversation-${randomUUID()}`;
    const res = await fetch(`${stack.apiUrl}/sendMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '39123456789', text: 'Your ticket is closed', callbackData }),
    });
    const { messageId } = (await res.json()) as { messageId: string };

    const [delivery] = await waitFor(() => {
      const found = byMessageId(stack.sink.received, messageId);
      return found.length > 0 && found;
    });

    expect(delivery).toMatchObject({ event: 'delivery', messageId, callbackData, status: { name: 'DELIVERED_TO_HANDSET' } });
    expectCtliveEvent(delivery);
    expect(output.some((line) => line.startsWith('[IMCHANNEL] [onDeliveryReport] Report received {"results":[{'))).toBe(true);
    // The sandbox, like Infobip, posts a notifyUrl's report with no credentials: only the
    // URL's own token let it in.
    // The sandbox records the post once IMChannel answered it, after the forward.
    const report = await waitFor(() => stack.sandbox.deliveryReports.find((r) => JSON.stringify(r.body).includes(messageId)));
    expect(report).toMatchObject({
      url: `${stack.apiUrl}/onDeliveryReport?token=${reportTokenFor(stack.env.INFOBIP_REPORT_TOKEN as string, messageId)}`,
      status: 200,
    });
  });
});

describe('inbound through the local stack, CTLIVE_TARGET=lambda (serverless-offline invoke endpoint)', () => {
  let stack: LocalStack;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      freePorts: true,
      env: { CTLIVE_TARGET: 'lambda:imchannel-local-ctliveSink' },
      output: (line) => output.push(line),
    });
  }, 120_000);
  afterAll(() => stack?.stop(), 30_000);

  it('invokes the ctlive function with the event', async () => {
    const messageId = `wamid.E2E${randomUUID()}`;
    const res = await postWebhook(
      `${stack.apiUrl}/onMessage`,
      inboundMessagePayload({ text: 'via Lambda', messageId }),
      webhookAuthOf(stack.env),
    );

    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ forwarded: 1, duplicates: 0 });
    // An Event invoke answers 202 before the function runs: wait for its line.
    const line = await waitFor(
      () => output.find((l) => l.startsWith('[IMCHANNEL] [ctliveSink] ctlive received') && l.includes(messageId)),
      15_000,
      'the ctliveSink function to log the event',
    );
    const event = JSON.parse(line.slice(line.indexOf('{'))) as CtliveEvent;
    expect(event).toMatchObject({ event: 'message', messageId, text: 'via Lambda' });
    expectCtliveEvent(event);
    expect(output.some((l) => l.includes('[ctliveSink] Not a ctlive event'))).toBe(false);
    expect(stack.sink.received).toEqual([]);
  });
});
