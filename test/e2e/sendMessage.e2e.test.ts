import { reportTokenFor } from '../../lib/platform/reportToken';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/wait';
import { expectMatchesOpenApi } from '../support/openapi';
import { startLocalStack, type LocalStack } from '../../tools/stack';
import omniTextRequest from '../fixtures/infobip/infobip-omni-send-text.request.json';

/** The whole local stack over HTTP, as ctlive sees it: serverless-offline, the sandbox, real Redis. */
describe('sendMessage through the local stack', () => {
  let stack: LocalStack;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: (line) => output.push(line) });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  }, 30_000);
  beforeEach(() => {
    stack.sandbox.reset();
    output.length = 0;
  });

  const post = (body: unknown, token = stack.token) =>
    fetch(`${stack.apiUrl}/sendMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('makes the sandbox receive the runbook OMNI request and prints the two runbook lines', async () => {
    const res = await post({
      to: '39123456789',
      text: 'Service Message - Chat Closed Success.',
      infobip: { scenarioKey: omniTextRequest.scenarioKey },
    });

    expect(res.status).toBe(200);
    const body = (await res.json()) as { messageId: string; status: { name: string } };
    expectMatchesOpenApi('POST', res.url, res.status, body);
    expect(body.status.name).toBe('PENDING_ENROUTE');
    expect(stack.sandbox.received).toHaveLength(1);
    const sent = stack.sandbox.received[0];
    expect(sent?.headers.authorization).toBe(`App ${stack.env.INFOBIP_API_KEY}`);
    const { notifyUrl, ...omni } = sent?.body as { notifyUrl: string };
    // The notifyUrl's token is bound to the message, so IMChannel chose its id.
    const destination = { ...omniTextRequest.destinations[0], messageId: body.messageId };
    expect(omni).toEqual({ ...omniTextRequest, destinations: [destination] });
    const reportToken = reportTokenFor(stack.env.INFOBIP_REPORT_TOKEN as string, body.messageId);
    expect(notifyUrl).toBe(`${stack.apiUrl}/onDeliveryReport?token=${reportToken}`);

    const omniUrl = `${stack.sandbox.url}/omni/1/advanced`;
    await waitFor(() => output.some((line) => line.includes('response of')));
    expect(output).toContain(
      `[IMCHANNEL] [sendMessage] request to [${omniUrl}] Data [${JSON.stringify(sent?.body).replace(reportToken, '***')}] with api key header`,
    );
    expect(output.join('\n')).not.toContain(reportToken);
    expect(output.find((line) => line.startsWith(`[IMCHANNEL] [sendMessage] response of [${omniUrl}]: {"messages":[`))).toContain(
      body.messageId,
    );
    expect(output.join('\n')).not.toContain(stack.env.INFOBIP_API_KEY);
  });

  it('on the OMNI default, a quote goes through the WhatsApp API as context.replyToMessageId, from INFOBIP_SENDER', async () => {
    const replyTo = 'wamid.HBgLMzkxMjM0NTY3ODkVAgASGBQzQUY2QjYzRDM0RjVCMzM4QTFBRQA=';

    const res = await post({ to: '39123456789', text: 'About this one', replyTo });

    const body = (await res.json()) as { transport: string };
    expect(res.status).toBe(200);
    expectMatchesOpenApi('POST', res.url, res.status, body);
    expect(body.transport).toBe('whatsapp');
    expect(stack.sandbox.received.map((r) => r.path)).toEqual(['/whatsapp/1/message/text']);
    expect(stack.sandbox.received[0]?.body).toMatchObject({
      from: stack.env.INFOBIP_SENDER,
      content: { text: 'About this one' },
      context: { replyToMessageId: replyTo },
    });
  });

  it('answers 401 to a wrong token and sends nothing', async () => {
    const res = await post({ to: '39123456789', text: 'hi' }, 'wrong');
    expect(res.status).toBe(401);
    const body: unknown = await res.json();
    expect(body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), retryable: false } });
    expectMatchesOpenApi('POST', res.url, res.status, body);
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it('answers 502 with Infobip reason when the sandbox refuses', async () => {
    stack.sandbox.failNext({ status: 500 });
    const res = await post({ to: '39123456789', text: 'hi' });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; upstreamStatus: number } };
    expect(body.error).toMatchObject({ code: 'INFOBIP_ERROR', upstreamStatus: 500 });
    expectMatchesOpenApi('POST', res.url, res.status, body);
    const errorLine = await waitFor(() => output.find((line) => line.includes('Request failed with 502')));
    expect(errorLine).toMatch(
      /^\[IMCHANNEL\] \[sendMessage\] Request failed with 502 INFOBIP_ERROR \(messageId \[[^\]]+\]\): Infobip refused/,
    );
  });

  it.each([
    ['fails validation', JSON.stringify({ to: 'not a number', text: '' }), 400, 'VALIDATION_FAILED'],
    ['is not JSON', '{"to":', 400, 'INVALID_JSON'],
    [
      'names settings nobody has',
      JSON.stringify({ to: '39123456789', text: 'hi', infobip: { baseUrl: 'https://evil.invalid' } }),
      400,
      'VALIDATION_FAILED',
    ],
    ['is above the body limit', JSON.stringify({ to: '39123456789', text: 'x'.repeat(300 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'],
  ])('answers a body that %s as docs/openapi.json describes, and sends nothing', async (_label, raw, status, code) => {
    const res = await fetch(`${stack.apiUrl}/sendMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: raw,
    });
    const body = (await res.json()) as { error: { code: string } };
    expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
    expectMatchesOpenApi('POST', res.url, res.status, body);
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it.each(['openapi.json', 'ctlive-events.schema.json'])('serves docs/%s from the local stack, as committed', async (name) => {
    const res = await fetch(`${stack.docs.url}/${name}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync(join(__dirname, '../../docs', name), 'utf8'));
  });
});
