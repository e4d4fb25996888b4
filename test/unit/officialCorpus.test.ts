import { notifyUrlFor } from '../../lib/platform/config';
import { reportTokenFor } from '../../lib/platform/reportToken';
import { readdirSync, readFileSync } from 'node:fs';
import { memoryIdempotency } from '../support/idempotencyFake';
import { join } from 'node:path';
import { toMessageEvent, toReportEvent, type CtliveEvent } from '../../lib/inbound/events';
import { webhookEvents } from '../../lib/inbound/notifications';
import { KNOWN_MESSAGE_TYPES } from '../../lib/inbound/schemas';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { createLogger } from '../../lib/platform/log';
import type { MediaKind } from '../../lib/media/kinds';
import { setupWebhooks } from '../support/inboundFakes';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { ok, REPORT_TOKEN, setupSend, TOKEN, type Call } from '../support/mediaSendSetup';
import { expectCtliveEvent } from '../support/openapi';

/**
 * Samples written from Infobip's published specification (test/fixtures/infobip/official/README.md
 * names the schema of each), run through the real parsing and the real handlers, each
 * compared with its `<name>.expected.json`.
 */
const DIR = join(__dirname, '../fixtures/infobip/official');
const files = readdirSync(DIR).filter((file) => file.endsWith('.json'));
const samples = files.filter((file) => !file.endsWith('.expected.json')).map((file) => file.slice(0, -'.json'.length));
const expectations = files
  .filter((file) => file.endsWith('.expected.json'))
  .map((file) => file.slice(0, -'.expected.json'.length));
const readme = readFileSync(join(DIR, 'README.md'), 'utf8');

type Json = Record<string, unknown>;
const read = (name: string) => JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Json;
const sample = (name: string) => ({ body: read(name), expected: read(`${name}.expected`) });
const withoutRaw = ({ raw: _raw, ...event }: CtliveEvent) => event;

const isOmniSend = (name: string) => name.startsWith('omni-request-') || name.startsWith('omni-response-');
const webhookSamples = samples.filter((name) => !isOmniSend(name));

describe('the corpus', () => {
  it('pairs every sample with an expectation, and every expectation with a sample', () => {
    expect(samples.filter((name) => !expectations.includes(name))).toEqual([]);
    expect(expectations.filter((name) => !samples.includes(name))).toEqual([]);
    expect(samples.length).toBeGreaterThan(80);
  });

  it('names the source of every sample in its README', () => {
    expect(samples.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('has every documented message type in the WhatsApp API shape', () => {
    const types = webhookSamples
      .filter((name) => name.startsWith('whatsapp-inbound-'))
      .flatMap((name) => (read(name).results as { message: { type: string } }[]).map((r) => r.message.type));

    expect(KNOWN_MESSAGE_TYPES.filter((type) => !types.includes(type))).toEqual([]);
  });

  it.each(['omni', 'whatsapp', 'messages-api'])('has every report kind in the %s shape', (shape) => {
    for (const kind of ['delivered', 'undeliverable', 'rejected', 'expired', 'failed']) {
      expect(samples).toContain(`${shape}-delivery-${kind}`);
    }
    expect(samples).toContain(`${shape}-seen`);
  });
});

describe.each(webhookSamples)('%s', (name) => {
  const { body, expected } = sample(name);
  const webhook = expected.webhook as 'onMessage' | 'onDeliveryReport';
  const toEvent = webhook === 'onMessage' ? toMessageEvent : toReportEvent;

  it('parses to the expected ctlive events, each with what Infobip sent as raw', () => {
    const { events, notForwarded } = webhookEvents(body, toEvent);

    expect(events.map(withoutRaw)).toEqual(expected.events);
    expect(notForwarded).toEqual(expected.notForwarded ?? []);
    const results = (body.results as unknown[] | undefined) ?? [body];
    for (const event of events) expect(results).toContain(event.raw);
  });

  it('expects events that match docs/ctlive-events.schema.json', () => {
    for (const event of expected.events as Json[]) expectCtliveEvent({ ...event, raw: {} });
    for (const event of webhookEvents(body, toEvent).events) expectCtliveEvent(event);
  });

  it(`is answered 200 by ${webhook}, and ctlive gets the events once`, async () => {
    const t = setupWebhooks();
    const call = webhook === 'onMessage' ? t.message : t.report;

    const first = await call(body);
    const again = await call(body);

    const events = expected.events as unknown[];
    const ignored = (expected.notForwarded as unknown[] | undefined)?.length;
    expect(first).toEqual({ status: 200, body: { forwarded: events.length, duplicates: 0, ...(ignored ? { ignored } : {}) } });
    expect(again.body).toMatchObject({ forwarded: 0, duplicates: events.length });
    expect(t.forwarder.sent.map(withoutRaw)).toEqual(events);
  });
});

/** The sendMessage handler over a fake Infobip (it cannot run here) answering `answer`. */
function sendMessageHandler(answer: () => Response, publicUrl?: string) {
  const calls: Call[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer();
  }) as unknown as typeof fetch;
  const { sink } = captureLines();
  const handler = makeSendMessageHandler({
    idempotency: memoryIdempotency(),
    log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink, secrets: [TOKEN] }),
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 200 },
    notifyUrl: publicUrl === undefined ? undefined : notifyUrlFor(publicUrl, { INFOBIP_REPORT_TOKEN: REPORT_TOKEN }),
    ctliveApiToken: TOKEN,
  });
  const send = async (body: unknown) => {
    const res = await handler(apiEvent({ body, headers: { authorization: `Bearer ${TOKEN}` } }), lambdaContext('sendMessage'));
    return { status: res.statusCode, body: JSON.parse(String(res.body)) as Json };
  };
  return { calls, send };
}

const sentRequest = (calls: Call[]) => JSON.parse(String(calls[0]?.init.body)) as Json;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The sample's request as IMChannel now makes it: a notifyUrl's token is bound to the
 * message (lib/platform/reportToken.ts), so a send without a messageId of its own is given a
 * fresh UUID; the sample's token becomes the HMAC of that id. These set-ups have no
 * INFOBIP_BASE_URL, so the account the ctlive call names (`baseUrl`'s host) is not the
 * deployment's own: the URL names it, and the token is bound to it too.
 */
function withBoundToken(sample: Json, sent: Json, baseUrl: string): Json {
  const account = new URL(baseUrl).host;
  const url = sample.notifyUrl;
  if (typeof url !== 'string') return sample;
  const [destination] = sample.destinations as Json[];
  const [sentDestination] = sent.destinations as Json[];
  const messageId = (destination?.messageId ?? sentDestination?.messageId) as string;
  if (destination?.messageId === undefined) expect(messageId).toMatch(UUID_V4);
  return {
    ...sample,
    destinations: [{ ...destination, messageId }],
    notifyUrl: url.replace(/token=[^&]+/, `account=${account}&token=${reportTokenFor(REPORT_TOKEN, messageId, account)}`),
  };
}

describe.each(samples.filter((name) => name.startsWith('omni-request-')))('%s', (name) => {
  const { body: omniRequest, expected } = sample(name);
  const { baseUrl } = (expected.ctlive as { infobip: { baseUrl: string } }).infobip;

  it('is the OMNI request IMChannel makes of the ctlive call', async () => {
    if (expected.route === 'sendMessage') {
      const { calls, send } = sendMessageHandler(ok, expected.publicUrl as string | undefined);

      expect((await send(expected.ctlive)).status).toBe(200);
      expect(sentRequest(calls)).toEqual(withBoundToken(omniRequest, sentRequest(calls), baseUrl));
    } else {
      const t = setupSend(expected.route as MediaKind);

      const res = await t.send(expected.ctlive);

      expect(res.status).toBe(200);
      const sample = JSON.parse(JSON.stringify(omniRequest).replace('{mediaId}', String(res.body.mediaId))) as Json;
      expect(sentRequest(t.infobipCalls)).toEqual(withBoundToken(sample, sentRequest(t.infobipCalls), baseUrl));
    }
  });
});

describe.each(samples.filter((name) => name.startsWith('omni-response-')))('%s', (name) => {
  const { body: omniResponse, expected } = sample(name);

  it('is answered to ctlive as expected', async () => {
    const { send } = sendMessageHandler(
      () => new Response(JSON.stringify(omniResponse), { status: expected.httpStatus as number }),
    );

    const { ctlive } = read('omni-request-text.expected') as { ctlive: Json };
    const res = await send({ ...ctlive, to: '41793026731' });

    expect(res).toMatchObject(expected.ctlive as Json);
  });
});
