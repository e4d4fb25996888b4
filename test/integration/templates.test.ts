/**
 * Templates on a real Redis (through the Upstash REST proxy) and the Infobip sandbox over
 * HTTP: the exact OMNI bodies, the catalogue read from the WhatsApp API and cached, the
 * check against it, how the sandbox (as WhatsApp) reports a template it does not take, and
 * a media header's file parked here and fetched back HEAD then GET.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { findRedis, type LocalRedis } from '../../tools/localRedis';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { redisKeys } from '../../lib/platform/redis';
import { startTemplateHarness, type TemplateHarness } from '../support/templateHarness';
import { sampleFile } from '../support/sampleFile';

const REPORTS_URL = 'http://127.0.0.1:9/reports';
const TOKEN = `ctlive-${randomUUID()}`;
const API_KEY = `sandbox-${randomUUID()}`;
// A sender of this run alone, so that no other run's cached catalogue is read.
const SENDER = `4479${randomInt(10_000_000, 99_999_999)}`;
// A messageId is an Idempotency-Key, kept in Redis for a day: fresh ones, so no earlier run's answer is replayed.
const RUN = randomUUID().slice(0, 8);

let redis: LocalRedis;
let direct: IORedis;
let proxy: UpstashProxy;
let sandbox: InfobipSandbox;
let harness: TemplateHarness;
const lines: string[] = [];
const sink = (line: string) => void lines.push(line);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  redis = await findRedis();
  direct = new IORedis(redis.url);
  proxy = await startUpstashProxy({ redisUrl: redis.url, token: `proxy-${randomUUID()}`, port: 0 });
  sandbox = await startInfobipSandbox({
    apiKey: API_KEY,
    port: 0,
    scenarioSender: SENDER,
    followUpDelayMs: 10,
    reportRetry: { maxRetries: 0 },
  });
  harness = await startTemplateHarness({
    redis: proxy,
    infobip: { baseUrl: sandbox.url, apiKey: API_KEY, sender: SENDER },
    ctliveApiToken: TOKEN,
    // Nobody answers there: the sandbox records each report's body all the same.
    notifyUrl: () => REPORTS_URL,
    sink,
  });
});

afterAll(async () => {
  await direct.del(redisKeys.templates(SENDER, sandbox.url));
  await harness.close();
  await sandbox.close();
  await proxy.close();
  direct.disconnect();
  await redis.stop();
});

beforeEach(async () => {
  sandbox.reset();
  lines.length = 0;
  await direct.del(redisKeys.templates(SENDER, sandbox.url));
});

async function send(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${harness.publicUrl}/sendWhatsAppTemplateMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ to: '39123456789', ...body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> } };
}

async function list(query = '') {
  const res = await fetch(`${harness.publicUrl}/templates${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> } };
}

const omniBodies = () => sandbox.received.filter((r) => r.path === '/omni/1/advanced').map((r) => r.body);
const reportError = async () => {
  const [report] = await sandbox.waitForDeliveryReports(1);
  return (report?.body as { results: { status: { groupName: string }; error: { name: string } }[] }).results[0];
};

describe('a template without header or buttons', () => {
  it('reaches Infobip as templateName, templateData and language, and WhatsApp delivers it', async () => {
    const sent = await send({
      templateName: 'order_update',
      language: 'en',
      placeholders: ['Ada', 'A-17'],
      messageId: `tpl-1-${RUN}`,
    });

    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ messageId: `tpl-1-${RUN}`, to: '39123456789', status: { groupName: 'PENDING' } });
    expect(omniBodies()).toEqual([
      {
        scenarioKey: 'TEST-SCENARIO',
        destinations: [{ to: { phoneNumber: '39123456789' }, messageId: `tpl-1-${RUN}` }],
        whatsApp: { templateName: 'order_update', templateData: ['Ada', 'A-17'], language: 'en' },
        notifyUrl: REPORTS_URL,
      },
    ]);
    expect(await reportError()).toMatchObject({ status: { groupName: 'DELIVERED' }, error: { name: 'NO_ERROR' } });
    expect(lines).toContain(
      `[IMCHANNEL] [sendWhatsAppTemplateMessage] No cached catalogue for sender [${SENDER}]: the template goes to Infobip unchecked`,
    );
    expect(lines.filter((line) => /\] (request to|response of) \[/.test(line))).toEqual([
      expect.stringMatching(
        /^\[IMCHANNEL\] \[sendWhatsAppTemplateMessage\] request to \[.*\/omni\/1\/advanced\] Data \[.*"templateName":"order_update".*\] with api key header$/,
      ),
      expect.stringMatching(
        /^\[IMCHANNEL\] \[sendWhatsAppTemplateMessage\] response of \[.*\/omni\/1\/advanced\]: \{"messages":/,
      ),
    ]);
  });

  it('uncached and with the wrong placeholder count, goes out and comes back UNDELIVERABLE with EC_INVALID_TEMPLATE_ARGS', async () => {
    const sent = await send({ templateName: 'order_update', language: 'en', placeholders: ['Ada'] });

    expect(sent.status).toBe(200);
    expect(await reportError()).toMatchObject({
      status: { groupName: 'UNDELIVERABLE' },
      error: { id: 7008, name: 'EC_INVALID_TEMPLATE_ARGS' },
    });
  });

  it('uncached and unknown (or in a language it lacks), comes back UNDELIVERABLE with EC_INVALID_TEMPLATE', async () => {
    const sent = await send({ templateName: 'order_update', language: 'de', placeholders: ['Ada', 'A-17'] });

    expect(sent.status).toBe(200);
    expect(await reportError()).toMatchObject({ error: { id: 7009, name: 'EC_INVALID_TEMPLATE' } });
  });
});

describe('the catalogue', () => {
  it('is read from Infobip once, then from Redis for TEMPLATES_CACHE_TTL_SECONDS', async () => {
    const first = await list();
    const second = await list();

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ sender: SENDER, cached: false });
    expect(second.body).toEqual({ ...first.body, cached: true });
    expect(sandbox.received.filter((r) => r.path === `/whatsapp/2/senders/${SENDER}/templates`)).toHaveLength(1);
    const ttl = await direct.ttl(redisKeys.templates(SENDER, sandbox.url));
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    const templates = first.body.templates as unknown[];
    expect(templates).toContainEqual({
      name: 'welcome_offer',
      language: 'en',
      category: 'MARKETING',
      status: 'APPROVED',
      header: { format: 'IMAGE', placeholders: 0 },
      body: { placeholders: 1 },
      buttons: [{ type: 'URL', placeholders: 1 }],
    });
    expect(templates).toContainEqual(
      expect.objectContaining({ name: 'ticket_followup', header: { format: 'TEXT', placeholders: 1 } }),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\[IMCHANNEL\] \[listTemplates\] request to \[.*\/whatsapp\/2\/senders\/\d+\/templates\] with api key header$/,
      ),
    );
  });

  it('refresh=true reads Infobip again, and a sender Infobip does not know is a 502 that says so', async () => {
    await list();
    const refreshed = await list('?refresh=true');
    const unknown = await list('?sender=15550001111');

    expect(refreshed.body.cached).toBe(false);
    expect(unknown.status).toBe(502);
    expect(unknown.body.error).toMatchObject({ code: 'INFOBIP_ERROR', upstreamStatus: 404, retryable: false });
  });

  it('once cached, refuses a wrong placeholder count, an unknown template or language with a 400, calling no Infobip', async () => {
    await list();
    const omniBefore = omniBodies().length;

    const mismatch = await send({ templateName: 'order_update', language: 'en', placeholders: ['Ada'] });
    const key = randomUUID();
    const keyed = await send(
      { templateName: 'order_update', language: 'en', placeholders: ['Ada', 'A-17', 'extra'] },
      { 'idempotency-key': key },
    );
    const unknown = await send({ templateName: 'no_such_template', language: 'en' });
    const language = await send({ templateName: 'order_update', language: 'fr', placeholders: ['Ada', 'A-17'] });
    const header = await send({ templateName: 'welcome_offer', language: 'en', placeholders: ['Ada'] });

    expect(mismatch).toMatchObject({
      status: 400,
      body: { error: { code: 'TEMPLATE_PLACEHOLDERS_MISMATCH', expected: 2, given: 1 } },
    });
    expect(keyed).toMatchObject({ status: 400, body: { error: { code: 'TEMPLATE_PLACEHOLDERS_MISMATCH', given: 3 } } });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'TEMPLATE_UNKNOWN', retryable: false } } });
    expect(language).toMatchObject({
      status: 400,
      body: { error: { code: 'TEMPLATE_LANGUAGE_UNKNOWN', languages: ['en', 'es'] } },
    });
    expect(header).toMatchObject({ status: 400, body: { error: { code: 'TEMPLATE_HEADER_MISMATCH', expected: 'IMAGE' } } });
    expect(omniBodies()).toHaveLength(omniBefore);

    // The refused keyed send released its key: the same key with the body fixed goes out.
    const fixed = await send(
      { templateName: 'order_update', language: 'en', placeholders: ['Ada', 'A-17'] },
      { 'idempotency-key': key },
    );
    expect(fixed.status).toBe(200);
    expect(omniBodies()).toHaveLength(omniBefore + 1);
  });
});

describe('a media template', () => {
  it('with a parked image: the OMNI body names its URL, and the sandbox fetches the bytes sent, HEAD then GET', async () => {
    const bytes = sampleFile('image/png', 20_000);
    const sent = await send({
      templateName: 'welcome_offer',
      language: 'en',
      placeholders: ['Ada'],
      header: { type: 'IMAGE', content: bytes.toString('base64'), contentType: 'image/png', fileName: 'offer.png' },
      buttons: [{ type: 'URL', parameter: 'spring-25' }],
      messageId: `tpl-media-${RUN}`,
    });
    const [head, get] = await sandbox.waitForMediaFetches(2);

    expect(sent.status).toBe(200);
    const mediaUrl = String(sent.body.mediaUrl);
    expect(mediaUrl).toBe(`${harness.publicUrl}/getImageMessage/${String(sent.body.mediaId)}`);
    expect(omniBodies()[0]).toMatchObject({
      whatsApp: {
        templateName: 'welcome_offer',
        mediaTemplateData: {
          header: { imageUrl: mediaUrl },
          body: { placeholders: ['Ada'] },
          buttons: [{ urlPlaceholder: 'spring-25' }],
        },
        language: 'en',
      },
    });
    expect((omniBodies()[0] as { whatsApp: Record<string, unknown> }).whatsApp).toEqual({
      templateName: 'welcome_offer',
      mediaTemplateData: {
        header: { imageUrl: mediaUrl },
        body: { placeholders: ['Ada'] },
        buttons: [{ urlPlaceholder: 'spring-25' }],
      },
      language: 'en',
    });
    expect(head).toMatchObject({ method: 'HEAD', status: 200, url: mediaUrl });
    expect(get).toMatchObject({ method: 'GET', status: 200, bodyBytes: bytes.length, bodySha256: sha256(bytes) });
    expect(await reportError()).toMatchObject({ status: { groupName: 'DELIVERED' } });
  });

  it('with a document URL and a location header, goes out as documentUrl + documentFilename and latitude + longitude', async () => {
    const document = await send({
      templateName: 'invoice_ready',
      language: 'en',
      placeholders: ['INV-9'],
      header: { type: 'DOCUMENT', url: 'https://files.example.com/inv-9.pdf', fileName: 'inv-9.pdf' },
    });
    const location = await send({
      templateName: 'store_location',
      language: 'en',
      header: { type: 'LOCATION', latitude: 45.4642, longitude: 9.19 },
    });

    expect(document.status).toBe(200);
    expect(location.status).toBe(200);
    expect(omniBodies().map((b) => (b as { whatsApp: unknown }).whatsApp)).toEqual([
      {
        templateName: 'invoice_ready',
        mediaTemplateData: {
          header: { documentUrl: 'https://files.example.com/inv-9.pdf', documentFilename: 'inv-9.pdf' },
          body: { placeholders: ['INV-9'] },
        },
        language: 'en',
      },
      {
        templateName: 'store_location',
        mediaTemplateData: { header: { latitude: 45.4642, longitude: 9.19 }, body: { placeholders: [] } },
        language: 'en',
      },
    ]);
  });

  it('refused by Infobip, forgets the parked file', async () => {
    sandbox.failNext({ status: 400 });
    const bytes = sampleFile('video/mp4', 5_000);
    const sent = await send({
      templateName: 'product_video',
      language: 'en',
      placeholders: ['the X1'],
      header: { type: 'VIDEO', content: bytes.toString('base64'), contentType: 'video/mp4', fileName: 'x1.mp4' },
    });

    expect(sent.status).toBe(502);
    expect(await direct.keys('IMChannel:MultimediaMessage:*')).not.toContainEqual(
      expect.stringContaining(String(sent.body.mediaId ?? 'none')),
    );
    const stored = lines.map((line) => /getVideoMessage\/([0-9a-f-]{36})/.exec(line)?.[1]).find(Boolean);
    expect(stored).toBeDefined();
    expect(await direct.exists(redisKeys.media(stored as string))).toBe(0);
  });
});
