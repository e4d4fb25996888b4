/**
 * Templates through the whole local stack over HTTP, as ctlive and Infobip see it:
 * serverless-offline serving the esbuild bundles, the Upstash proxy on a real Redis, and
 * the Infobip sandbox, which receives the exact OMNI body, serves the sender's catalogue,
 * and fetches a media header's parked file HEAD then GET.
 */
import { createHash, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { startLocalStack, type LocalStack } from '../../tools/stack';
import { redisKeys } from '../../lib/platform/redis';
import { expectMatchesOpenApi } from '../support/openapi';
import { sampleFile } from '../support/sampleFile';
import { waitFor } from '../support/wait';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('templates through the local stack', () => {
  let stack: LocalStack;
  let direct: IORedis;
  const output: string[] = [];
  const catalogueKey = () => redisKeys.templates(String(stack.env.INFOBIP_SENDER), stack.sandbox.url);

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: (line) => output.push(line) });
    direct = new IORedis(stack.redisUrl);
  }, 180_000);
  afterAll(async () => {
    if (direct && stack) await direct.del(catalogueKey());
    direct?.disconnect();
    await stack?.stop();
  }, 30_000);
  beforeEach(async () => {
    stack.sandbox.reset();
    output.length = 0;
    await direct.del(catalogueKey());
  });

  const call = async (method: 'GET' | 'POST', route: string, body?: unknown) => {
    const res = await fetch(`${stack.apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${stack.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> };
    // Every answer in these tests, success or not, is checked against docs/openapi.json.
    expectMatchesOpenApi(method, res.url.split('?')[0] as string, res.status, json);
    return { status: res.status, body: json };
  };
  const omniBodies = () => stack.sandbox.received.filter((r) => r.path === '/omni/1/advanced').map((r) => r.body);

  it('a template reaches the sandbox as the exact OMNI body, with the two runbook lines', async () => {
    const messageId = `e2e-tpl-${randomUUID()}`;
    const sent = await call('POST', '/sendWhatsAppTemplateMessage', {
      to: '39123456789',
      templateName: 'order_update',
      language: 'en',
      placeholders: ['Ada', 'A-17'],
      messageId,
    });

    expect(sent.status).toBe(200);
    expect(omniBodies()).toEqual([
      {
        scenarioKey: 'LOCAL-SCENARIO-KEY',
        destinations: [{ to: { phoneNumber: '39123456789' }, messageId }],
        whatsApp: { templateName: 'order_update', templateData: ['Ada', 'A-17'], language: 'en' },
        notifyUrl: expect.stringContaining('/onDeliveryReport'),
      },
    ]);
    const lines = () => output.filter((line) => line.startsWith('[IMCHANNEL] [sendWhatsAppTemplateMessage] '));
    await waitFor(() => lines().filter((l) => / (request to|response of) \[/.test(l)).length >= 2, 10_000, 'two runbook lines');
    expect(lines().filter((l) => / (request to|response of) \[/.test(l))).toEqual([
      expect.stringMatching(
        /request to \[.*\/omni\/1\/advanced\] Data \[.*"templateName":"order_update".*\] with api key header$/,
      ),
      expect.stringMatching(/response of \[.*\/omni\/1\/advanced\]: \{"messages":/),
    ]);
    const [report] = await stack.sandbox.waitForDeliveryReports(1, 30_000);
    const [result] = (report?.body as { results: { status: { name: string } }[] }).results;
    expect(result?.status.name).toBe('DELIVERED_TO_HANDSET');
  });

  it('a media template with a parked image: the sandbox fetches it HEAD then GET, byte for byte', async () => {
    const bytes = sampleFile('image/png', 50_001);
    const sent = await call('POST', '/sendWhatsAppTemplateMessage', {
      to: '39123456789',
      templateName: 'welcome_offer',
      language: 'en',
      placeholders: ['Ada'],
      header: { type: 'IMAGE', content: bytes.toString('base64'), contentType: 'image/png', fileName: 'offer.png' },
      buttons: [{ type: 'URL', parameter: 'spring-25' }],
    });
    const [head, get] = await stack.sandbox.waitForMediaFetches(2, 30_000);

    expect(sent.status).toBe(200);
    const mediaUrl = `${stack.apiUrl}/getImageMessage/${String(sent.body.mediaId)}`;
    expect(sent.body.mediaUrl).toBe(mediaUrl);
    expect((omniBodies()[0] as { whatsApp: unknown }).whatsApp).toEqual({
      templateName: 'welcome_offer',
      mediaTemplateData: {
        header: { imageUrl: mediaUrl },
        body: { placeholders: ['Ada'] },
        buttons: [{ urlPlaceholder: 'spring-25' }],
      },
      language: 'en',
    });
    expect({ method: head?.method, status: head?.status, error: head?.error }).toEqual({
      method: 'HEAD',
      status: 200,
      error: undefined,
    });
    expect({ method: get?.method, status: get?.status, bodyBytes: get?.bodyBytes, bodySha256: get?.bodySha256 }).toEqual({
      method: 'GET',
      status: 200,
      bodyBytes: bytes.length,
      bodySha256: sha256(bytes),
    });
  });

  it('the catalogue comes from the sandbox, then from Redis; once cached, a wrong placeholder count is a 400 and nothing is sent', async () => {
    const first = await call('GET', '/templates');
    const second = await call('GET', '/templates');
    const refused = await call('POST', '/sendWhatsAppTemplateMessage', {
      to: '39123456789',
      templateName: 'order_update',
      language: 'en',
      placeholders: ['Ada'],
    });

    expect(first).toMatchObject({ status: 200, body: { sender: stack.env.INFOBIP_SENDER, cached: false } });
    expect(second.body.cached).toBe(true);
    expect(first.body.templates).toContainEqual(
      expect.objectContaining({ name: 'order_update', language: 'en', body: { placeholders: 2 } }),
    );
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: 'TEMPLATE_PLACEHOLDERS_MISMATCH', expected: 2, given: 1 } },
    });
    expect(omniBodies()).toEqual([]);
    expect(stack.sandbox.received.filter((r) => r.path.endsWith('/templates'))).toHaveLength(1);
  });

  it('an API key in the query string is refused before anything is called', async () => {
    const res = await call('GET', '/templates?apiKey=secret-in-a-url');
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'API_KEY_IN_QUERY', retryable: false } } });
    expect(stack.sandbox.received).toEqual([]);
  });
});
