import { WEBHOOK_MAX_BODY_BYTES } from '../../lib/inbound/webhook';
import { BASIC, result, setupWebhooks as setup } from '../support/inboundFakes';
import inboundText from '../fixtures/infobip/infobip-inbound-text.json';

describe('onMessage webhook', () => {
  it('logs the runbook line first, forwards the message and answers with the counts', async () => {
    const t = setup();

    const res = await t.message(inboundText);

    expect(res).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0 } });
    expect(t.lines[0]).toBe(`[IMCHANNEL] [onMessage] Message received ${JSON.stringify(inboundText)}`);
    expect(t.forwarder.sent).toEqual([
      expect.objectContaining({ event: 'message', text: 'Oh well', raw: inboundText.results[0] }),
    ]);
    const id = inboundText.results[0]!.messageId;
    expect(t.dedupe.calls).toEqual([`claim message ${id}`, `done message ${id}`]);
    expect(t.lines[1]).toBe(
      `[IMCHANNEL] [onMessage] Forwarded message event for messageId [${id}] to [https://ctlive.example/events]`,
    );
  });

  it('logs the body as received, compacted to one line', async () => {
    const t = setup();

    await t.message('{\n  "results": [ {"messageId": "m-1"} ]\n}', BASIC, true);

    expect(t.lines[0]).toBe('[IMCHANNEL] [onMessage] Message received {"results":[{"messageId":"m-1"}]}');
  });

  it('forwards every result of a batch, in order, and counts a repeated one as a duplicate', async () => {
    const t = setup();

    const first = await t.message({ results: [result('m-1'), result('m-2'), result('m-3')] });
    const again = await t.message({ results: [result('m-2'), result('m-4')] });

    expect(first.body).toEqual({ forwarded: 3, duplicates: 0 });
    expect(again.body).toEqual({ forwarded: 1, duplicates: 1 });
    expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-1', 'm-2', 'm-3', 'm-4']);
    expect(t.lines).toContain('[IMCHANNEL] [onMessage] Duplicate message event for messageId [m-2]: already forwarded, skipped');
  });

  it('forwards a result repeated inside one body once, and counts the repeat as a duplicate', async () => {
    const t = setup();

    const res = await t.message({ results: [result('m-1'), result('m-2'), result('m-1')] });

    expect(res).toEqual({ status: 200, body: { forwarded: 2, duplicates: 1 } });
    expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-1', 'm-2']);
    expect(t.dedupe.roundTrips).toBe(2);
  });

  it('a repeat inside the body shares the fate of its first copy when that forward fails', async () => {
    const t = setup();
    t.forwarder.failFor.add('m-1');

    const res = await t.message({ results: [result('m-1'), result('m-1')] });

    expect(res.status).toBe(503);
    expect(res.body.error).toEqual(expect.objectContaining({ forwarded: 0, duplicates: 0, notForwarded: ['m-1', 'm-1'] }));
    expect(t.dedupe.state.has('message:m-1')).toBe(false);
  });

  it('answers 200 with zero counts for an empty results array', async () => {
    const t = setup();

    expect(await t.message({ results: [] })).toEqual({ status: 200, body: { forwarded: 0, duplicates: 0 } });
  });

  describe('bad input: 400, nothing forwarded, an ERROR line with the tag', () => {
    it.each([
      ['not JSON', 'results=oops', true, 'INVALID_JSON'],
      ['no results array', { messageCount: 1 }, false, 'VALIDATION_FAILED'],
      ['results not objects', { results: ['m-1', 2] }, false, 'VALIDATION_FAILED'],
      ['a result without messageId', { results: [result('m-1'), { from: '39' }] }, false, 'VALIDATION_FAILED'],
    ])('%s', async (_label, body, raw, code) => {
      const t = setup();

      const res = await t.message(body, BASIC, raw);

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: expect.objectContaining({ code }) });
      expect(t.forwarder.sent).toEqual([]);
      expect(t.dedupe.calls).toEqual([]);
      expect(t.lines[0]).toMatch(/^\[IMCHANNEL\] \[onMessage\] Message received /);
      expect(t.lines[1]).toMatch(new RegExp(`^\\[IMCHANNEL\\] \\[onMessage\\] Request failed with 400 ${code}: .+`));
    });
  });

  it("413 above 6 MiB (Lambda's request limit), before logging or forwarding anything but the ERROR line", async () => {
    const t = setup();
    const padding = 'x'.repeat(WEBHOOK_MAX_BODY_BYTES);

    const res = await t.message({ results: [result('m-big', padding)] });

    expect(res.status).toBe(413);
    expect(t.forwarder.sent).toEqual([]);
    expect(t.lines).toEqual([expect.stringMatching(/^\[IMCHANNEL\] \[onMessage\] Request failed with 413 PAYLOAD_TOO_LARGE/)]);
  });

  it('accepts a body of exactly 6 MiB', async () => {
    const t = setup();
    const body = JSON.stringify({ results: [result('m-edge', '')] });
    const exact = body.replace('"text":""', `"text":"${'y'.repeat(WEBHOOK_MAX_BODY_BYTES - body.length)}"`);

    expect(Buffer.byteLength(exact)).toBe(WEBHOOK_MAX_BODY_BYTES);
    expect((await t.message(exact, BASIC, true)).status).toBe(200);
  });
});

describe('onDeliveryReport webhook', () => {
  const delivery = { messageId: 'out-1', to: '39123456789', status: { groupName: 'DELIVERED' }, doneAt: 'd', callbackData: 'cb' };
  const seen = { messageId: 'out-1', from: '44123456789', to: '39123456789', seenAt: 's' };

  it('logs the runbook line, forwards delivery and seen reports of the same message as two events', async () => {
    const t = setup();
    const body = { results: [delivery, seen] };

    const res = await t.report(body);

    expect(res).toEqual({ status: 200, body: { forwarded: 2, duplicates: 0 } });
    expect(t.lines[0]).toBe(`[IMCHANNEL] [onDeliveryReport] Report received ${JSON.stringify(body)}`);
    expect(t.forwarder.sent).toEqual([
      {
        event: 'delivery',
        messageId: 'out-1',
        to: '39123456789',
        status: { groupName: 'DELIVERED' },
        doneAt: 'd',
        callbackData: 'cb',
        raw: delivery,
      },
      { event: 'seen', messageId: 'out-1', from: '44123456789', to: '39123456789', seenAt: 's', raw: seen },
    ]);
    expect((await t.report(body)).body).toEqual({ forwarded: 0, duplicates: 2 });
  });

  it('rejects a report without messageId with 400 and an ERROR line tagged onDeliveryReport', async () => {
    const t = setup();

    const res = await t.report({ results: [{ to: '39' }] });

    expect(res.status).toBe(400);
    expect(t.forwarder.sent).toEqual([]);
    expect(t.lines[1]).toMatch(/^\[IMCHANNEL\] \[onDeliveryReport\] Request failed with 400 VALIDATION_FAILED: .*messageId/);
  });
});
