import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { makeSendLocationHandler } from '../../lib/messages/location';
import { makeSendContactHandler } from '../../lib/messages/contact';
import type { HttpEvent } from '../../lib/platform/http';
import { memoryIdempotency } from '../support/idempotencyFake';
import { captureLines, lambdaContext } from '../support/lambda';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

const EVENTS = join(__dirname, '../../events');
const ROUTES = {
  sendWhatsAppLocationMessage: makeSendLocationHandler,
  sendWhatsAppContactMessage: makeSendContactHandler,
} as const;

/** The events/ files are what `serverless invoke local` runs: each answers the status in its name. */
describe.each(Object.entries(ROUTES))('events/%s-*.json', (name, make) => {
  const files = readdirSync(EVENTS).filter((file) => new RegExp(`^${name}-\\d{3}-.+\\.json$`).test(file));

  it('covers success, 401, 413 and the bad input of each field kind', () => {
    const statuses = new Set(files.map((file) => file.slice(name.length + 1, name.length + 4)));
    expect([...statuses].sort()).toEqual(['200', '400', '401', '413']);
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('%s', async (file) => {
    const expected = Number(new RegExp(`^${name}-(\\d{3})-`).exec(file)?.[1]);
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as HttpEvent;
    const sent: unknown[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      sent.push(JSON.parse(String(init.body)));
      return new Response(JSON.stringify(omniSendResponse));
    }) as unknown as typeof fetch;
    const handler = make({
      idempotency: memoryIdempotency(),
      log: createLogger(name, { format: 'text', level: 'INFO', sink: captureLines().sink }),
      infobip: createInfobipClient({ timeoutMs: 1_000, fetch: fakeFetch }),
      infobipConfig: {
        defaults: { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'k-0123456789', scenarioKey: 'S' },
        allowedHosts: ['*.api.infobip.com'],
        timeoutMs: 1_000,
      },
      ctliveApiToken: 'imchannel-local-token',
    });

    const res = await handler(event, lambdaContext(name));

    expect(res.statusCode).toBe(expected);
    expect(sent).toHaveLength(expected === 200 ? 1 : 0);
  });
});
