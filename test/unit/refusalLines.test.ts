import { reportTokenFor } from '../../lib/platform/reportToken';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { memoryIdempotency } from '../support/idempotencyFake';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { checkWebhookAuth } from '../../lib/platform/auth';
import type { WebhookAuthConfig } from '../../lib/platform/config';
import { UnauthorizedError } from '../../lib/platform/errors';
import { createLogger } from '../../lib/platform/log';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

/**
 * The log line of a refused request answers the runbook's questions: why, which customer,
 * which message; and its level says whose fault it was (WARN the caller's, ERROR ours).
 */
const TOKEN = 'ctlive-token-0123456789';

function setup(answer: () => Response | Promise<Response>) {
  const { lines, sink } = captureLines();
  const log = createLogger('sendMessage', { format: 'json', level: 'INFO', sink, secrets: [TOKEN] });
  const handler = makeSendMessageHandler({
    idempotency: memoryIdempotency(),
    log,
    infobip: createInfobipClient({ timeoutMs: 200, fetch: (async () => answer()) as unknown as typeof fetch }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 200 },
    ctliveApiToken: TOKEN,
  });
  const send = async (body: unknown, headers: Record<string, string>) => {
    await handler(apiEvent({ body, headers }), lambdaContext('sendMessage'));
    return lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => String(e.message).includes('Request failed'));
  };
  return { send };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const infobip = { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'infobip-key-abcdef0123456789', scenarioKey: 'S' };

describe('the line of a refused request', () => {
  it('says which field failed, the number and the message id, at WARN', async () => {
    const [line] = await setup(() => new Response('{}')).send(
      { to: '+39 123 456 789', text: 'x', messageId: 'm-77', infobip },
      auth,
    );

    expect(line).toMatchObject({ level: 'WARN', messageId: 'm-77', to: '+39 123 456 789' });
    expect(String(line?.message)).toMatch(
      /^\[IMCHANNEL\] \[sendMessage\] Request failed with 400 VALIDATION_FAILED \(messageId \[m-77\]\): Request body failed validation: to: .+ \(to \[\+39 123 456 789\]\)$/,
    );
  });

  it.each([
    ['no header', {}, 'no Authorization header'],
    ['another scheme', { authorization: `Basic ${TOKEN}` }, 'the Authorization header is not "Bearer <token>"'],
    ['a wrong token', { authorization: 'Bearer not-the-token-at-all' }, 'the bearer token is not CTLIVE_API_TOKEN'],
  ])('401 with %s: says which part failed, never the credential, at WARN', async (_name, headers, why) => {
    const [line] = await setup(() => new Response('{}')).send({ to: '39123456789', text: 'x' }, headers);

    expect(line?.level).toBe('WARN');
    expect(String(line?.message)).toContain(`Request failed with 401 UNAUTHORIZED: Missing or invalid credentials (${why})`);
    expect(JSON.stringify(line)).not.toContain('not-the-token-at-all');
  });

  it('is ERROR when Infobip fails, not the caller', async () => {
    const [line] = await setup(() => new Response('oops', { status: 500 })).send({ to: '39123456789', text: 'x', infobip }, auth);

    expect(line).toMatchObject({ level: 'ERROR', to: '39123456789' });
    expect(String(line?.message)).toContain('Request failed with 502 INFOBIP_ERROR');
  });
});

describe('webhook credentials', () => {
  const config = {
    basic: { username: 'infobip', password: 'webhook-pass-0123456789' },
    header: { name: 'x-hook', value: 'hook-value-0123456789' },
  };
  const reasonOf = (headers: Record<string, string>, query?: Record<string, string>, auth: WebhookAuthConfig = config) => {
    try {
      checkWebhookAuth({ headers, query }, auth);
      return 'accepted';
    } catch (error: unknown) {
      return error instanceof UnauthorizedError ? error.logReason : String(error);
    }
  };

  it('names each method that failed, and how', () => {
    const basic = `Basic ${Buffer.from('infobip:wrong').toString('base64')}`;
    expect(reasonOf({})).toBe('no Basic credentials, no x-hook header');
    expect(reasonOf({ authorization: basic, 'x-hook': 'wrong' })).toBe(
      'Basic credentials do not match, the x-hook header does not match',
    );
    const good = `Basic ${Buffer.from('infobip:webhook-pass-0123456789').toString('base64')}`;
    expect(reasonOf({ authorization: good, 'x-hook': 'hook-value-0123456789' })).toBe('accepted');
  });

  const TOKEN = 'report-token-0123456789abcdef0123456789';
  const PREVIOUS = 'previous-token-0123456789abcdef01234567';
  const withToken: WebhookAuthConfig = { ...config, token: { current: TOKEN, previous: PREVIOUS } };

  it("takes the bare secret as the URL's token only while the configuration says so, the previous one during a rotation", () => {
    const until = { ...withToken, unboundTokenUntil: Date.now() + 60_000 };
    expect(reasonOf({}, { token: TOKEN }, until)).toBe('accepted');
    expect(reasonOf({}, { token: PREVIOUS }, until)).toBe('accepted');
    const over = { ...withToken, unboundTokenUntil: Date.now() - 1 };
    expect(reasonOf({}, { token: TOKEN }, over)).toBe(
      "no Basic credentials, no x-hook header, the URL's token is the bare secret, which this route does not take",
    );
    expect(reasonOf({}, { token: TOKEN }, { token: { current: TOKEN } })).not.toBe('accepted');
  });

  it('lets a bound token through to the body check only where reports arrive, and binds it to one message', () => {
    const bound = reportTokenFor(TOKEN, 'm-1');
    const binding = checkWebhookAuth({ headers: {}, query: { token: bound } }, withToken, { acceptsBoundToken: true });
    expect(binding?.('m-1')).toBe(true);
    expect(binding?.('m-2')).toBe(false);
    const old = checkWebhookAuth({ headers: {}, query: { token: reportTokenFor(PREVIOUS, 'm-1') } }, withToken, {
      acceptsBoundToken: true,
    });
    expect(old?.('m-1')).toBe(true);
    expect(reasonOf({}, { token: bound }, withToken)).toBe(
      "no Basic credentials, no x-hook header, the URL's token does not match",
    );
  });

  it('accepts the header credentials without a token, and names every failure, never a value', () => {
    const good = `Basic ${Buffer.from('infobip:webhook-pass-0123456789').toString('base64')}`;
    expect(reasonOf({ authorization: good, 'x-hook': 'hook-value-0123456789' }, {}, withToken)).toBe('accepted');
    expect(reasonOf({}, {}, withToken)).toBe('no Basic credentials, no x-hook header, no token in the URL');
    const wrong = reasonOf({ 'x-hook': 'hook-value-0123456789' }, { token: `${TOKEN}x` }, withToken);

    expect(wrong).toBe("no Basic credentials, the URL's token does not match");
    expect(reasonOf({}, { token: `${PREVIOUS}x` }, { token: { current: TOKEN } })).not.toContain(PREVIOUS);
  });
});
