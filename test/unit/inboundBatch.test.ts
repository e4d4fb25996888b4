import { setTimeout as sleep } from 'node:timers/promises';
import type { CtliveEvent } from '../../lib/inbound/events';
import { ForwardError, type Forwarder } from '../../lib/inbound/forwarder';
import { RECEIVED_PART_BYTES } from '../../lib/inbound/receivedLines';
import {
  makeOnDeliveryReportHandler,
  makeOnMessageHandler,
  WEBHOOK_MAX_BODY_BYTES,
  WEBHOOK_MAX_RESULTS,
} from '../../lib/inbound/webhook';
import { createLogger } from '../../lib/platform/log';
import { BASIC, memoryDedupe, PASSWORD, result } from '../support/inboundFakes';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

/** CloudWatch Logs' limit per event (256 KB). */
const CLOUDWATCH_EVENT_BYTES = 262_144;

/** A ctlive that takes `delayMs` per event and counts how many events it holds at once. */
function slowForwarder(delayMs: number) {
  const sent: CtliveEvent[] = [];
  const failFor = new Set<string>();
  let active = 0;
  let peak = 0;
  const forwarder: Forwarder = {
    target: 'https://ctlive.example/events',
    timeoutMs: 5_000,
    async forward(event) {
      active += 1;
      peak = Math.max(peak, active);
      try {
        // Uneven, so that forwards of one conversation run side by side would finish out of order.
        await sleep(delayMs + (Number(event.messageId.split('-').pop()) % 7 < 3 ? 3 : 0));
        if (failFor.has(event.messageId)) throw new ForwardError('ctlive answered 503');
        sent.push(event as CtliveEvent);
      } finally {
        active -= 1;
      }
    },
  };
  return { forwarder, sent, failFor, peak: () => peak };
}

function setup(options: { concurrency?: number; delayMs?: number; remainingMs?: () => number; format?: 'json' | 'text' } = {}) {
  const { lines, sink } = captureLines();
  const dedupe = memoryDedupe();
  const ctlive = slowForwarder(options.delayMs ?? 1);
  const deps = (tag: string) => ({
    log: createLogger(tag, { format: options.format ?? 'text', level: 'INFO', sink, secrets: [PASSWORD] }),
    auth: { basic: { username: 'infobip', password: PASSWORD } },
    dedupe,
    forwarder: ctlive.forwarder,
    concurrency: options.concurrency,
  });
  const handlers = {
    message: makeOnMessageHandler(deps('onMessage')),
    report: makeOnDeliveryReportHandler(deps('onDeliveryReport')),
  };
  const post = async (kind: keyof typeof handlers, body: unknown, raw = false) => {
    const context = { ...lambdaContext(), getRemainingTimeInMillis: options.remainingMs ?? (() => 29_000) };
    const res = await handlers[kind](apiEvent({ body, headers: BASIC, rawBody: raw }), context);
    return { status: res.statusCode, body: JSON.parse(String(res.body)) as Record<string, unknown> };
  };
  return { lines, dedupe, ctlive, post };
}

/** `count` results from `conversations` customers to one business number, interleaved as a busy line would be. */
const batchOf = (count: number, conversations: number, prefix = 'm') =>
  Array.from({ length: count }, (_, i) => ({
    ...result(`${prefix}-${i}`, `text ${i}`),
    from: `3900000${String(i % conversations).padStart(4, '0')}`,
  }));

/** Per customer, the messageIds in the order given. */
const byCustomer = (events: Array<{ from?: string; messageId: string }>) => {
  const out = new Map<string, string[]>();
  for (const e of events) out.set(String(e.from), [...(out.get(String(e.from)) ?? []), e.messageId]);
  return out;
};

describe('webhooks at batch sizes: a bounded pool, in order per conversation', () => {
  it('2,000 results: all forwarded once, at most `concurrency` at a time, each conversation in order, two Redis round trips', async () => {
    const t = setup({ concurrency: 8, delayMs: 1 });
    const results = batchOf(WEBHOOK_MAX_RESULTS, 12);

    const res = await t.post('message', { results, messageCount: results.length, pendingMessageCount: 0 });

    expect(res).toEqual({ status: 200, body: { forwarded: WEBHOOK_MAX_RESULTS, duplicates: 0 } });
    expect(t.ctlive.peak()).toBe(8);
    expect(new Set(t.ctlive.sent.map((e) => e.messageId)).size).toBe(WEBHOOK_MAX_RESULTS);
    expect(byCustomer(t.ctlive.sent as Array<{ from?: string; messageId: string }>)).toEqual(byCustomer(results));
    expect(t.dedupe.roundTrips).toBe(2);
  });

  it("the default pool is CTLIVE_CONCURRENCY's default, 16", async () => {
    const t = setup({ delayMs: 2 });
    await t.post('message', { results: batchOf(200, 50) });
    expect(t.ctlive.peak()).toBe(16);
  });

  it('one conversation is forwarded one result at a time, whatever the pool', async () => {
    const t = setup({ concurrency: 16, delayMs: 1 });
    const results = batchOf(30, 1);

    await t.post('message', { results });

    expect(t.ctlive.peak()).toBe(1);
    expect(t.ctlive.sent.map((e) => e.messageId)).toEqual(results.map((r) => r.messageId));
  });

  it('a failed forward holds back the rest of its conversation only; the retry brings them, in order', async () => {
    const t = setup({ concurrency: 4, delayMs: 1 });
    const results = batchOf(40, 4); // customer k has m-k, m-(k+4), m-(k+8)…
    t.ctlive.failFor.add('m-9'); // customer 1's third result

    const res = await t.post('message', { results });

    const heldBack = ['m-9', 'm-13', 'm-17', 'm-21', 'm-25', 'm-29', 'm-33', 'm-37'];
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: 'CTLIVE_UNAVAILABLE', forwarded: 32, notForwarded: heldBack }),
    );
    expect(t.ctlive.sent.map((e) => e.messageId)).not.toContain('m-13');
    for (const id of heldBack) expect(t.dedupe.state.has(`message:${id}`)).toBe(false);
    expect(t.dedupe.state.get('message:m-5')).toBe('done');
    expect(t.dedupe.roundTrips).toBe(2);

    t.ctlive.failFor.clear();
    const retry = await t.post('message', { results });

    expect(retry.body).toEqual({ forwarded: 8, duplicates: 32 });
    expect(byCustomer(t.ctlive.sent as Array<{ from?: string; messageId: string }>)).toEqual(byCustomer(results));
  });

  it('ctlive down: after 8 failures in a row nothing more is started, and everything is released for the retry', async () => {
    const t = setup({ concurrency: 4, delayMs: 1 });
    const results = batchOf(200, 200);
    for (const r of results) t.ctlive.failFor.add(r.messageId);
    let tried = 0;
    const forward = t.ctlive.forwarder.forward.bind(t.ctlive.forwarder);
    t.ctlive.forwarder.forward = async (event) => {
      tried += 1;
      await forward(event);
    };

    const res = await t.post('message', { results });

    expect(res.status).toBe(503);
    expect(res.body.error).toEqual(expect.objectContaining({ code: 'CTLIVE_UNAVAILABLE', forwarded: 0 }));
    expect((res.body.error as { notForwarded: string[] }).notForwarded).toHaveLength(200);
    // The eighth failure stops new starts; the three still running when it came finish.
    expect(tried).toBeGreaterThanOrEqual(8);
    expect(tried).toBeLessThanOrEqual(8 + 3);
    expect(t.dedupe.state.size).toBe(0); // every claim released
    expect(t.lines).toContainEqual(
      expect.stringContaining("8 forwards in a row failed: ctlive looks down, the rest released for Infobip's retry (503)"),
    );
  });

  it('failures scattered among successes do not stop the others', async () => {
    const t = setup({ concurrency: 4, delayMs: 1 });
    const results = batchOf(200, 200); // 200 conversations of one result
    results.forEach((r, i) => i % 3 === 0 && t.ctlive.failFor.add(r.messageId));

    const res = await t.post('message', { results });

    expect(res.body.error).toEqual(expect.objectContaining({ code: 'CTLIVE_UNAVAILABLE', forwarded: 133 }));
  });

  it('stops starting forwards while time is left to settle: forwarded ones done, the rest 503 OUT_OF_TIME in order', async () => {
    let remaining = 29_000;
    let costMs = 1_000;
    const t = setup({ concurrency: 4, delayMs: 1, remainingMs: () => remaining });
    const forward = t.ctlive.forwarder.forward.bind(t.ctlive.forwarder);
    t.ctlive.forwarder.forward = async (event) => {
      remaining -= costMs; // each forward costs a second of the function's time
      await forward(event);
    };
    const results = batchOf(40, 8);

    const res = await t.post('message', { results });

    // 5 s forward timeout + the closing Redis round trip (6.55 s): starts stop below 11.55 s left.
    expect(res.status).toBe(503);
    const error = res.body.error as { code: string; forwarded: number; notForwarded: string[] };
    expect(error.code).toBe('OUT_OF_TIME');
    expect(error.forwarded).toBe(18);
    expect(t.ctlive.sent).toHaveLength(18);
    for (const e of t.ctlive.sent) expect(t.dedupe.state.get(`message:${e.messageId}`)).toBe('done');
    for (const id of error.notForwarded) expect(t.dedupe.state.has(`message:${id}`)).toBe(false);

    remaining = 29_000;
    costMs = 0; // Infobip's retry finds a quick ctlive
    expect((await t.post('message', { results })).body).toEqual({ forwarded: 22, duplicates: 18 });
    expect(byCustomer(t.ctlive.sent as Array<{ from?: string; messageId: string }>)).toEqual(byCustomer(results));
  });

  it("reports: a conversation is one outbound message, so a failed delivery report holds back that message's seen report, nothing else", async () => {
    const t = setup({ concurrency: 4, delayMs: 1 });
    const report = (id: string, kind: 'delivery' | 'seen') =>
      kind === 'delivery'
        ? { messageId: id, to: '39123456789', status: { groupName: 'DELIVERED' }, doneAt: 'd' }
        : { messageId: id, from: '44123456789', to: '39123456789', seenAt: 's' };
    const results = [report('out-1', 'delivery'), report('out-2', 'delivery'), report('out-1', 'seen'), report('out-2', 'seen')];
    t.ctlive.failFor.add('out-1');

    const res = await t.post('report', { results });

    expect(res.status).toBe(503);
    // out-1's seen report waits for its delivery report; out-2, to the same customer, goes through.
    expect(t.ctlive.sent.map((e) => `${e.event}:${e.messageId}`)).toEqual(['delivery:out-2', 'seen:out-2']);
    expect(t.dedupe.state.has('seen:out-1')).toBe(false);
  });

  it(`more than ${WEBHOOK_MAX_RESULTS} results: 413 TOO_MANY_RESULTS, saying what to set, nothing forwarded or claimed`, async () => {
    const t = setup();

    const res = await t.post('message', { results: batchOf(WEBHOOK_MAX_RESULTS + 1, 10) });

    expect(res.status).toBe(413);
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: 'TOO_MANY_RESULTS', retryable: false, maxResults: 2000, results: 2001 }),
    );
    expect(String((res.body.error as { message: string }).message)).toMatch(/maxBucketSize to 2000 or less/);
    expect(t.ctlive.sent).toEqual([]);
    expect(t.dedupe.roundTrips).toBe(0);
  });

  describe("the received line within CloudWatch Logs' 256 KB per event", () => {
    const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

    it('a 2,000-result body near 6 MB, of texts that are 3 bytes a character: logged in parts, every result whole on one line', async () => {
      const t = setup({ format: 'json', concurrency: 16 });
      // Quotes and backslashes double when the line is escaped again as JSON: the worst case.
      const text = `ü€"\\${'東'.repeat(900)}`;
      const results = batchOf(WEBHOOK_MAX_RESULTS, 200).map((r) => ({ ...r, message: { type: 'TEXT', text } }));
      const body = JSON.stringify({ results, messageCount: results.length, pendingMessageCount: 0 });
      expect(bytes(body)).toBeGreaterThan(5_000_000);
      expect(bytes(body)).toBeLessThanOrEqual(WEBHOOK_MAX_BODY_BYTES);

      const res = await t.post('message', body, true);

      expect(res.status).toBe(200);
      const received = t.lines
        .map((l) => JSON.parse(l) as { message: string })
        .filter((l) => l.message.includes('Message received'));
      expect(received.length).toBeGreaterThan(1);
      for (const line of t.lines) expect(bytes(line)).toBeLessThan(CLOUDWATCH_EVENT_BYTES);
      // Each part is a body of its own, the parts in order, and together every result once.
      const parts = received.map(({ message }, i) => {
        const match = /^\[IMCHANNEL\] \[onMessage\] Message received (\{.*\}) \[part (\d+) of (\d+)\]$/.exec(message);
        expect(match).not.toBeNull();
        expect([Number(match?.[2]), Number(match?.[3])]).toEqual([i + 1, received.length]);
        expect(bytes(match?.[1] ?? '')).toBeLessThanOrEqual(RECEIVED_PART_BYTES);
        return JSON.parse(match?.[1] ?? '') as { results: unknown[]; messageCount: number; pendingMessageCount: number };
      });
      expect(parts.flatMap((p) => p.results)).toEqual(results);
      expect(parts.every((p) => p.messageCount === results.length && p.pendingMessageCount === 0)).toBe(true);
    });

    it('a small body is still one line, the body whole and nothing after it', async () => {
      const t = setup();
      const body = { results: [result('m-1')] };
      await t.post('message', body);
      expect(t.lines[0]).toBe(`[IMCHANNEL] [onMessage] Message received ${JSON.stringify(body)}`);
    });

    it('a large body that is not an Infobip payload: one line, cut with a note, then 400', async () => {
      const t = setup({ format: 'json' });
      const res = await t.post('message', `{"results": "${'x'.repeat(3_000_000)}`, true);
      expect(res.status).toBe(400);
      const first = JSON.parse(t.lines[0] ?? '') as { message: string };
      expect(first.message).toMatch(/^\[IMCHANNEL\] \[onMessage\] Message received \{"results": "x+…\[cut: \d+ more bytes\]$/);
      for (const line of t.lines) expect(bytes(line)).toBeLessThan(CLOUDWATCH_EVENT_BYTES);
    });

    it('one result larger than a part: its line is cut with a note, the other results are whole', async () => {
      const t = setup({ format: 'json' });
      const results = [result('m-small-1'), result('m-huge', 'h'.repeat(400_000)), result('m-small-2')];
      const res = await t.post('message', { results });
      expect(res.status).toBe(200);
      const messages = t.lines
        .map((l) => (JSON.parse(l) as { message: string }).message)
        .filter((m) => m.includes('Message received'));
      expect(messages).toHaveLength(3);
      expect(messages[1]).toMatch(/…\[cut: \d+ more bytes\] \[part 2 of 3\]$/);
      expect(messages[0]).toContain('"messageId":"m-small-1"');
      expect(messages[2]).toContain('"messageId":"m-small-2"');
      for (const line of t.lines) expect(bytes(line)).toBeLessThan(CLOUDWATCH_EVENT_BYTES);
    });
  });
});
