import { readdirSync, readFileSync } from 'node:fs';
import { memoryIdempotency } from '../support/idempotencyFake';
import { join } from 'node:path';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { makeSendMessageHandler } from '../../lib/messages/text';
import type { HttpEvent } from '../../lib/platform/http';
import { captureLines, lambdaContext } from '../support/lambda';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

const EVENTS = join(__dirname, '../../events');
const files = readdirSync(EVENTS).filter((name) => /^sendMessage-\d{3}-.+\.json$/.test(name));

/** The events/ files are what `serverless invoke local` runs: each answers the status in its name. */
describe('events/sendMessage-*.json', () => {
  it('covers success and every kind of bad input', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('%s', async (file) => {
    const expected = Number(/^sendMessage-(\d{3})-/.exec(file)?.[1]);
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as HttpEvent;
    const fakeFetch = (async () => new Response(JSON.stringify(omniSendResponse))) as unknown as typeof fetch;
    const handler = makeSendMessageHandler({
      idempotency: memoryIdempotency(),
      log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink: captureLines().sink }),
      infobip: createInfobipClient({ timeoutMs: 1_000, fetch: fakeFetch }),
      infobipConfig: {
        defaults: { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'k-0123456789', scenarioKey: 'S' },
        allowedHosts: ['*.api.infobip.com'],
        timeoutMs: 1_000,
      },
      ctliveApiToken: 'imchannel-local-token',
    });

    const res = await handler(event, lambdaContext('sendMessage'));

    expect(res.statusCode).toBe(expected);
  });
});
