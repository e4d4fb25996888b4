import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { LAST_MESSAGE_MEMBER, WINDOW_MS } from '../../lib/conversation/window';
import { redisKeys } from '../../lib/platform/redis';
import { inboundMessagePayload, postWebhook } from '../../tools/infobipSandbox';
import { startLocalStack, webhookAuthOf, type LocalStack } from '../../tools/stack';
import { expectMatchesOpenApi } from '../support/openapi';
import { waitFor } from '../support/wait';

/**
 * The 24-hour window through the whole local stack with CONVERSATION_WINDOW_POLICY=enforce:
 * the customer's message reaches onMessage as Infobip sends it (its receivedAt a day and
 * more ago, as a late webhook would be), and ctlive's text to that customer is refused
 * without the sandbox hearing of it, while a reply after a fresh message goes out.
 */
describe('the 24-hour window through the local stack (enforce)', () => {
  let stack: LocalStack;
  let direct: IORedis;
  const output: string[] = [];
  const used: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      freePorts: true,
      env: { CONVERSATION_WINDOW_POLICY: 'enforce' },
      output: (line) => output.push(line),
    });
    direct = new IORedis(stack.redisUrl);
  }, 120_000);
  afterAll(async () => {
    if (used.length > 0) await direct?.del(...used);
    direct?.disconnect();
    await stack?.stop();
  }, 30_000);
  beforeEach(() => {
    stack.sandbox.reset();
    output.length = 0;
  });

  const customer = () => {
    const number = `39${Math.floor(1e9 + Math.random() * 9e9)}`;
    used.push(redisKeys.conversation(stack.env.INFOBIP_SENDER as string, number));
    return number;
  };
  const customerWrote = async (from: string, at: number) => {
    const body = inboundMessagePayload({
      from,
      to: stack.env.INFOBIP_SENDER,
      text: 'Hello?',
      messageId: `wamid.E2E${randomUUID().replace(/-/g, '')}`,
      extra: { receivedAt: new Date(at).toISOString().replace('Z', '+0000') },
    });
    const res = await postWebhook(`${stack.apiUrl}/onMessage`, body, webhookAuthOf(stack.env));
    expect(res.status).toBe(200);
  };
  const sendText = (to: string) =>
    fetch(`${stack.apiUrl}/sendMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to, text: 'Sorry for the wait' }),
    });
  const omniCalls = () => stack.sandbox.received.filter((r) => r.path === '/omni/1/advanced');

  it('a text to a customer whose window closed is refused with 422 and never reaches the sandbox', async () => {
    const to = customer();
    const wrote = Date.now() - WINDOW_MS - 2 * 3600_000;
    await customerWrote(to, wrote);
    expect(Number(await direct.zscore(redisKeys.conversation(stack.env.INFOBIP_SENDER as string, to), LAST_MESSAGE_MEMBER))).toBe(
      wrote,
    );

    const res = await sendText(to);

    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; retryable: boolean } };
    expectMatchesOpenApi('POST', res.url, res.status, body);
    const closedAt = new Date(wrote + WINDOW_MS).toISOString();
    expect(body.error).toMatchObject({
      code: 'CONVERSATION_WINDOW_CLOSED',
      retryable: false,
      conversationWindow: { open: false, closedAt },
    });
    expect(body.error.message).toContain(closedAt);
    expect(omniCalls()).toHaveLength(0);
    await waitFor(() => output.some((line) => line.includes('CONVERSATION_WINDOW_CLOSED')));
    expect(output.some((line) => line.includes('request to ['))).toBe(false);
  });

  it('once the customer writes again, the same text goes out and the answer says when the window closes', async () => {
    const to = customer();
    await customerWrote(to, Date.now() - 2 * WINDOW_MS);
    const wrote = Date.now() - 60_000;
    await customerWrote(to, wrote);
    // A late copy of the old message changes nothing.
    await customerWrote(to, Date.now() - 2 * WINDOW_MS);

    const res = await sendText(to);

    expect(res.status).toBe(200);
    const body = (await res.json()) as { conversationWindow: unknown };
    expectMatchesOpenApi('POST', res.url, res.status, body);
    expect(body.conversationWindow).toEqual({ open: true, closesAt: new Date(wrote + WINDOW_MS).toISOString() });
    expect(omniCalls()).toHaveLength(1);
  });

  it('a customer never seen is unknown, not closed: the text goes out', async () => {
    const res = await sendText(customer());

    expect(res.status).toBe(200);
    expect(((await res.json()) as { conversationWindow: unknown }).conversationWindow).toEqual({
      open: null,
      reason: 'NO_RECORD',
    });
    expect(omniCalls()).toHaveLength(1);
  });
});
