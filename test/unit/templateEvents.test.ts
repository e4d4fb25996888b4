import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpEvent } from '../../lib/platform/http';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { createTemplatesClient, type Catalogue, type CatalogueCache } from '../../lib/templates/catalogue';
import { makeListTemplatesHandler } from '../../lib/templates/list';
import { makeSendTemplateHandler } from '../../lib/templates/send';
import { defaultTemplates } from '../../tools/infobipSandbox';
import { memoryIdempotency } from '../support/idempotencyFake';
import { captureLines, lambdaContext } from '../support/lambda';
import { fakeMediaStore } from '../support/mediaStoreFake';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

const EVENTS = join(__dirname, '../../events');
const NAME = /^(sendWhatsAppTemplateMessage|listTemplates)-(\d{3})-.+\.json$/;
const files = readdirSync(EVENTS).filter((name) => NAME.test(name));
const infobipConfig = {
  defaults: { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'k-0123456789', scenarioKey: 'S', sender: '44123456789' },
  allowedHosts: ['*.api.infobip.com'],
  timeoutMs: 1_000,
};

function handlerFor(name: string) {
  const sink = captureLines().sink;
  const stored = new Map<string, Catalogue>();
  const cache: CatalogueCache = {
    get: async (sender) => stored.get(sender),
    put: async (_baseUrl, catalogue) => void stored.set(catalogue.sender, catalogue),
  };
  if (name === 'listTemplates') {
    // What the sandbox serves: the default catalogue, in Infobip's shape.
    const fakeFetch = (async () => new Response(JSON.stringify({ templates: defaultTemplates() }))) as unknown as typeof fetch;
    return makeListTemplatesHandler({
      log: createLogger(name, { format: 'text', level: 'INFO', sink }),
      ctliveApiToken: 'imchannel-local-token',
      infobipConfig,
      templates: createTemplatesClient({ timeoutMs: 1_000, fetch: fakeFetch }),
      cache,
      cacheTtlSeconds: 300,
    });
  }
  const fakeFetch = (async () => new Response(JSON.stringify(omniSendResponse))) as unknown as typeof fetch;
  return makeSendTemplateHandler({
    idempotency: memoryIdempotency(),
    log: createLogger(name, { format: 'text', level: 'INFO', sink }),
    infobip: createInfobipClient({ timeoutMs: 1_000, fetch: fakeFetch }),
    infobipConfig,
    publicUrl: 'http://127.0.0.1:3000/imchannel',
    ctliveApiToken: 'imchannel-local-token',
    store: fakeMediaStore().store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * 1024 * 1024 },
    catalogue: cache,
  });
}

/** The events/ files of the template routes, as `serverless invoke local` runs them: each answers the status in its name. */
describe('events/sendWhatsAppTemplateMessage-*.json and events/listTemplates-*.json', () => {
  it('cover both routes, success and bad input', () => {
    for (const prefix of [
      'sendWhatsAppTemplateMessage-200-',
      'sendWhatsAppTemplateMessage-400-',
      'sendWhatsAppTemplateMessage-401-',
      'sendWhatsAppTemplateMessage-415-',
      'listTemplates-200-',
      'listTemplates-400-',
      'listTemplates-401-',
    ]) {
      expect(files.some((file) => file.startsWith(prefix))).toBe(true);
    }
  });

  it.each(files)('%s', async (file) => {
    const [, name = '', status = ''] = NAME.exec(file) ?? [];
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as HttpEvent;

    const res = await handlerFor(name)(event, lambdaContext(name));

    expect(res.statusCode).toBe(Number(status));
    const body = JSON.parse(String(res.body)) as { error?: { retryable?: unknown } };
    if (Number(res.statusCode) >= 400) expect(typeof body.error?.retryable).toBe('boolean');
  });
});
