import { createLogger } from '../../lib/platform/log';
import { createTemplatesClient, type Catalogue, type CatalogueCache } from '../../lib/templates/catalogue';
import { makeListTemplatesHandler } from '../../lib/templates/list';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

const TOKEN = 'ctlive-token-0123456789';
const API_KEY = 'infobip-key-abcdef0123456789';
const OTHER_KEY = 'per-request-key-9876543210abcdef';
const BASE_URL = 'https://xxxx.api.infobip.com';

const INFOBIP_ANSWER = {
  templates: [
    {
      id: '111',
      businessAccountId: 222,
      name: 'media_template_with_buttons',
      language: 'en',
      status: 'APPROVED',
      category: 'MARKETING',
      structure: {
        header: { format: 'TEXT', text: 'Order {{1}}' },
        body: { text: 'Hello {{1}}, it ships on {{2}}' },
        buttons: [
          { type: 'QUICK_REPLY', text: 'OK' },
          { type: 'URL', text: 'Track', url: 'https://track.example.com/{{1}}' },
        ],
        type: 'MEDIA',
      },
      quality: 'HIGH',
    },
  ],
};

function setup(options: { sender?: string; status?: number } = {}) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(
      JSON.stringify(options.status ? { requestError: { serviceException: { text: 'Nope' } } } : INFOBIP_ANSWER),
      {
        status: options.status ?? 200,
      },
    );
  }) as unknown as typeof fetch;
  const stored = new Map<string, { catalogue: Catalogue; ttl: number }>();
  const cache: CatalogueCache = {
    async get(sender, baseUrl) {
      return stored.get(`${sender} ${baseUrl}`)?.catalogue;
    },
    async put(baseUrl, catalogue, ttl) {
      stored.set(`${catalogue.sender} ${baseUrl}`, { catalogue, ttl });
    },
  };
  const { lines, sink } = captureLines();
  const handler = makeListTemplatesHandler({
    log: createLogger('listTemplates', { format: 'text', level: 'INFO', sink, secrets: [TOKEN] }),
    ctliveApiToken: TOKEN,
    infobipConfig: {
      defaults: { baseUrl: BASE_URL, apiKey: API_KEY, ...(options.sender ? { sender: options.sender } : {}) },
      allowedHosts: ['*.api.infobip.com'],
      timeoutMs: 200,
    },
    templates: createTemplatesClient({ timeoutMs: 200, fetch: fakeFetch, now: () => new Date('2025-03-01T10:00:00Z') }),
    cache,
    cacheTtlSeconds: 300,
  });
  const list = async (query?: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({
        method: 'GET',
        path: '/imchannel/templates',
        ...(query ? { query } : {}),
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      }),
      lambdaContext('listTemplates'),
    );
    return { status: res.statusCode, body: JSON.parse(String(res.body)) };
  };
  return { list, calls, stored, lines };
}

describe('GET /imchannel/templates', () => {
  it("reads the deployment sender's templates from Infobip, summarised, and caches them for TEMPLATES_CACHE_TTL_SECONDS", async () => {
    const t = setup({ sender: '44123456789' });
    const res = await t.list();
    expect(res).toEqual({
      status: 200,
      body: {
        sender: '44123456789',
        fetchedAt: '2025-03-01T10:00:00.000Z',
        cached: false,
        templates: [
          {
            name: 'media_template_with_buttons',
            language: 'en',
            category: 'MARKETING',
            status: 'APPROVED',
            header: { format: 'TEXT', placeholders: 1 },
            body: { placeholders: 2 },
            buttons: [
              { type: 'QUICK_REPLY', placeholders: 0 },
              { type: 'URL', placeholders: 1 },
            ],
          },
        ],
      },
    });
    expect(t.calls.map((c) => c.url)).toEqual([`${BASE_URL}/whatsapp/2/senders/44123456789/templates`]);
    expect((t.calls[0]?.init.headers as Record<string, string>).authorization).toBe(`App ${API_KEY}`);
    expect(t.stored.get(`44123456789 ${BASE_URL}`)?.ttl).toBe(300);
    expect((await t.list()).body.cached).toBe(true);
    expect(t.calls).toHaveLength(1);
  });

  it('takes the sender from the query (a leading + dropped) and a per-request key from its header, never logging it', async () => {
    const t = setup();
    const res = await t.list({ sender: '+15550001111' }, { 'infobip-api-key': OTHER_KEY });
    expect(res.status).toBe(200);
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/2/senders/15550001111/templates`);
    expect((t.calls[0]?.init.headers as Record<string, string>).authorization).toBe(`App ${OTHER_KEY}`);
    expect(t.lines.join('\n')).not.toContain(OTHER_KEY);
    expect(t.lines.join('\n')).not.toContain(API_KEY);
  });

  it.each([
    ['an API key in the query', { sender: '44123456789', apiKey: 'x' }, 'API_KEY_IN_QUERY'],
    ['an unknown query parameter', { sender: '44123456789', lang: 'en' }, 'VALIDATION_FAILED'],
    ['a sender that is no number', { sender: 'acme' }, 'VALIDATION_FAILED'],
    ['no sender anywhere', undefined, 'VALIDATION_FAILED'],
    ['a base URL off the allowlist', { sender: '44123456789', baseUrl: 'https://evil.example.com' }, 'VALIDATION_FAILED'],
    ['refresh that is not a boolean', { sender: '44123456789', refresh: 'yes' }, 'VALIDATION_FAILED'],
  ])('%s is a 400 and calls no Infobip', async (_why, query, code) => {
    const t = setup();
    const res = await t.list(query);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, retryable: false });
    expect(t.calls).toHaveLength(0);
  });

  it('without the bearer token is a 401', async () => {
    const t = setup({ sender: '44123456789' });
    const res = await t.list(undefined, { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect(t.calls).toHaveLength(0);
  });

  it("an Infobip refusal is a 502 with Infobip's status and text, not cached", async () => {
    const t = setup({ sender: '44123456789', status: 401 });
    const res = await t.list();
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'INFOBIP_ERROR', upstreamStatus: 401, retryable: false });
    expect(res.body.error.message).toContain('Nope');
    expect(t.stored.size).toBe(0);
  });
});
