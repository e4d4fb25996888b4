/**
 * Every file in events/ is a real API Gateway event for `serverless invoke local`; this
 * proves each one gets the answer its name promises, so the examples cannot rot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CtliveEvent } from '../../lib/inbound/events';
import type { Dedupe } from '../../lib/inbound/dedupe';
import type { HttpEvent } from '../../lib/platform/http';
import { KNOWN_MESSAGE_TYPES } from '../../lib/inbound/schemas';
import { createLogger } from '../../lib/platform/log';
import { makeOnDeliveryReportHandler, makeOnMessageHandler } from '../../lib/inbound/webhook';
import { captureLines, lambdaContext } from '../support/lambda';

const EVENTS_DIR = join(__dirname, '../../events');
const files = readdirSync(EVENTS_DIR).filter((f) => /^(onMessage|onDeliveryReport)-.+\.json$/.test(f));

const load = (file: string) => JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) as HttpEvent;

interface ExampleResult {
  messageId: string;
  message?: { type?: string };
  content?: Array<{ type?: string }>;
}
/** A notification without `results` (the identity change) has none. */
const resultsOf = (event: HttpEvent) => (JSON.parse(event.body ?? '') as { results?: ExampleResult[] }).results ?? [];

function run(file: string) {
  const event = load(file);
  const sent: CtliveEvent[] = [];
  const seen = new Set<string>();
  const dedupe: Dedupe = {
    claim: async (keys) =>
      keys.map(({ kind, messageId }) =>
        seen.has(`${kind}:${messageId}`) ? 'done' : (seen.add(`${kind}:${messageId}`), 'claimed'),
      ),
    settle: async () => undefined,
    abandon: async () => undefined,
  };
  const deps = {
    log: createLogger('test', { format: 'text', level: 'INFO', sink: captureLines().sink }),
    auth: {},
    dedupe,
    forwarder: { target: 'test', timeoutMs: 5_000, forward: async (e: CtliveEvent) => void sent.push(e) },
  };
  const handler = file.startsWith('onMessage') ? makeOnMessageHandler(deps) : makeOnDeliveryReportHandler(deps);
  return { event, sent, answer: handler(event, lambdaContext()) };
}

describe('events/', () => {
  it('has an onMessage event for every documented message type', () => {
    const types = files
      .filter((f) => f.startsWith('onMessage-') && !f.includes('-bad-'))
      .flatMap((f) => resultsOf(load(f)))
      .map((r) => r.message?.type ?? r.content?.[0]?.type);

    for (const type of KNOWN_MESSAGE_TYPES) expect(types).toContain(type);
  });

  it('has delivery, failed delivery and seen reports', () => {
    expect(files).toEqual(
      expect.arrayContaining(['onDeliveryReport-delivered.json', 'onDeliveryReport-failed.json', 'onDeliveryReport-seen.json']),
    );
  });

  const forwarding = files.filter((f) => !/-(bad|ack|identity-change)[-.]/.test(f));
  it.each(forwarding)('%s: 200, every result forwarded once', async (file) => {
    const { event, sent, answer } = run(file);
    const results = resultsOf(event);

    const res = await answer;

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual({ forwarded: results.length, duplicates: 0 });
    expect(sent.map((e) => e.messageId)).toEqual(results.map((r) => r.messageId));
    expect(sent.map((e) => e.raw)).toEqual(results);
  });

  it.each(files.filter((f) => f.includes('-ack-')))('%s: 200, acknowledged and not forwarded', async (file) => {
    const { sent, answer } = run(file);

    const res = await answer;

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toMatchObject({ forwarded: 0, ignored: 1 });
    expect(sent).toEqual([]);
  });

  it('onMessage-identity-change.json: 200, one identityChanged event', async () => {
    const { event, sent, answer } = run('onMessage-identity-change.json');

    expect((await answer).statusCode).toBe(200);
    expect(sent).toEqual([expect.objectContaining({ event: 'identityChanged', raw: JSON.parse(event.body ?? '') })]);
  });

  it.each(files.filter((f) => f.includes('-bad-')))('%s: 400, nothing forwarded', async (file) => {
    const { sent, answer } = run(file);

    expect((await answer).statusCode).toBe(400);
    expect(sent).toEqual([]);
  });
});
