import { createInfobipClient } from '../../lib/outbound/infobip';
import { memoryIdempotency } from '../support/idempotencyFake';
import { createLogger } from '../../lib/platform/log';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { freePort } from '../../tools/ports';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

const TOKEN = 'ctlive-integration-token';
const API_KEY = 'sandbox-integration-key-0123456789';

/** sendMessage's handler against the Infobip sandbox over real HTTP on 127.0.0.1. */
describe('sendMessage against the Infobip sandbox', () => {
  let sandbox: InfobipSandbox;
  const { lines, sink } = captureLines();

  beforeAll(async () => {
    sandbox = await startInfobipSandbox({ apiKey: API_KEY, port: 0, deliveryReports: false });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    lines.length = 0;
  });

  const handlerFor = (baseUrl: string, apiKey = API_KEY, timeoutMs = 1_000) =>
    makeSendMessageHandler({
      idempotency: memoryIdempotency(),
      log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink }),
      infobip: createInfobipClient({ timeoutMs }),
      infobipConfig: { defaults: { baseUrl, apiKey, scenarioKey: 'SCENARIO' }, allowedHosts: ['127.0.0.1'], timeoutMs },
      ctliveApiToken: TOKEN,
    });

  const send = async (handler: ReturnType<typeof handlerFor>, body: unknown) => {
    const res = await handler(apiEvent({ body, headers: { authorization: `Bearer ${TOKEN}` } }), lambdaContext());
    return { status: res.statusCode, body: JSON.parse(String(res.body)) };
  };

  it('is accepted by the sandbox and returns its messageId', async () => {
    const res = await send(handlerFor(sandbox.url), { to: '39123456789', text: 'Hello', messageId: 'ctlive-1' });

    expect(res).toEqual({
      status: 200,
      body: {
        messageId: 'ctlive-1',
        to: '39123456789',
        status: expect.objectContaining({ name: 'PENDING_ENROUTE' }),
        transport: 'omni',
      },
    });
    expect(sandbox.received).toHaveLength(1);
    expect(sandbox.received[0]?.body).toEqual({
      scenarioKey: 'SCENARIO',
      destinations: [{ to: { phoneNumber: '39123456789' }, messageId: 'ctlive-1' }],
      whatsApp: { text: 'Hello' },
    });
  });

  it('maps a wrong API key to 502 with the upstream status and Infobip text', async () => {
    const res = await send(handlerFor(sandbox.url, 'wrong-key-0123456789'), { to: '39123456789', text: 'Hello' });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({
      code: 'INFOBIP_ERROR',
      upstreamStatus: 401,
      serviceException: { text: 'Invalid login details' },
    });
    expect(lines.join('\n')).not.toContain('wrong-key-0123456789');
  });

  it('maps an HTML error page to 502', async () => {
    sandbox.failNext({ status: 502, body: '<html><body>Bad gateway</body></html>' });
    const res = await send(handlerFor(sandbox.url), { to: '39123456789', text: 'Hello' });
    expect(res.status).toBe(502);
    expect(res.body.error.upstreamStatus).toBe(502);
  });

  it('maps a 200 with a garbage body to 502', async () => {
    sandbox.failNext({ status: 200, body: 'garbage' });
    const res = await send(handlerFor(sandbox.url), { to: '39123456789', text: 'Hello' });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('INFOBIP_ERROR');
  });

  it('maps a slow Infobip to 504 after INFOBIP_TIMEOUT_MS', async () => {
    sandbox.failNext({ delayMs: 1_500 });
    const res = await send(handlerFor(sandbox.url, API_KEY, 300), { to: '39123456789', text: 'Hello' });
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('INFOBIP_TIMEOUT');
  });

  it('maps a refused connection to 502 and logs it at ERROR with the tag', async () => {
    const closedPort = await freePort();
    const res = await send(handlerFor(`http://127.0.0.1:${closedPort}`), { to: '39123456789', text: 'Hello', messageId: 'm-9' });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/^Could not reach Infobip/);
    expect(lines.at(-1)).toMatch(/^\[IMCHANNEL\] \[sendMessage\] Request failed with 502 INFOBIP_ERROR \(messageId \[m-9\]\)/);
  });
});
