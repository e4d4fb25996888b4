import { result, setupWebhooks as setup } from '../support/inboundFakes';

describe('onMessage webhook', () => {
  describe('failures: 503 so that Infobip retries', () => {
    it('a failed forward releases the claim, logs the messageId, and the retry goes through once', async () => {
      const t = setup();
      t.forwarder.failFor.add('m-1');

      const res = await t.message({ results: [result('m-1')] });

      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: expect.objectContaining({ code: 'CTLIVE_UNAVAILABLE', forwarded: 0, duplicates: 0, notForwarded: ['m-1'] }),
      });
      expect(t.dedupe.calls).toEqual(['claim message m-1', 'release message m-1']);
      expect(t.lines).toContain(
        '[IMCHANNEL] [onMessage] Forwarding the message event to [https://ctlive.example/events] failed, claim released (messageId [m-1]): ForwardError: ctlive answered 503',
      );

      t.forwarder.failFor.clear();
      expect((await t.message({ results: [result('m-1')] })).body).toEqual({ forwarded: 1, duplicates: 0 });
      expect((await t.message({ results: [result('m-1')] })).body).toEqual({ forwarded: 0, duplicates: 1 });
      expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-1']);
    });

    it('a partly failed batch keeps the forwarded ones done and stops at the failure; the retry sends only the rest', async () => {
      const t = setup();
      t.forwarder.failFor.add('m-2');
      const batch = { results: [result('m-1'), result('m-2'), result('m-3')] };

      const res = await t.message(batch);

      expect(res.status).toBe(503);
      expect(res.body.error).toEqual(expect.objectContaining({ forwarded: 1, notForwarded: ['m-2', 'm-3'] }));
      // The 503 line names the held-back results, so a search by m-3's id finds why it waits.
      expect(t.lines).toContainEqual(
        expect.stringMatching(
          /^\[IMCHANNEL\] \[onMessage\] Request failed with 503 CTLIVE_UNAVAILABLE.*notForwarded \[m-2, m-3\]/,
        ),
      );
      expect(t.dedupe.state.get('message:m-1')).toBe('done');
      expect(t.dedupe.state.has('message:m-2')).toBe(false);
      expect(t.dedupe.state.has('message:m-3')).toBe(false);

      t.forwarder.failFor.clear();
      expect((await t.message(batch)).body).toEqual({ forwarded: 2, duplicates: 1 });
      expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
    });

    it('Redis unreachable: 503 and nothing forwarded without a claim', async () => {
      const t = setup();
      t.dedupe.down = true;

      const res = await t.message({ results: [result('m-1'), result('m-2')] });

      expect(res.status).toBe(503);
      expect(res.body.error).toEqual(expect.objectContaining({ code: 'REDIS_UNAVAILABLE', notForwarded: ['m-1', 'm-2'] }));
      expect(t.forwarder.sent).toEqual([]);
      expect(t.lines).toContain(
        '[IMCHANNEL] [onMessage] Could not claim the message event in Redis, not forwarded (messageId [m-1]): Error: redis unreachable',
      );
      // Claims a slow Redis took anyway are cleaned up, so the retry is not held off.
      expect(t.dedupe.calls).toEqual(['claim message m-1', 'claim message m-2', 'abandon message m-1', 'abandon message m-2']);
    });

    it('a copy that arrives while the first is being forwarded is not forwarded, holds back its conversation, and gets 503', async () => {
      const t = setup();
      t.dedupe.state.set('message:m-1', 'claimed');
      const otherCustomer = { ...result('m-3'), from: '39000000003' };

      const res = await t.message({ results: [result('m-1'), result('m-2'), otherCustomer] });

      expect(res.status).toBe(503);
      expect(res.body.error).toEqual(
        expect.objectContaining({ code: 'FORWARD_IN_PROGRESS', forwarded: 1, notForwarded: ['m-1', 'm-2'] }),
      );
      // m-2 would overtake m-1, which another request is still forwarding: it waits for the retry.
      expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-3']);
      expect(t.dedupe.state.get('message:m-1')).toBe('claimed'); // the other request's claim, left alone
      expect(t.dedupe.state.has('message:m-2')).toBe(false);
    });

    it('stops forwarding while time is left to mark the forwarded ones done; the retry brings the rest', async () => {
      let remaining = 20_000;
      const t = setup(undefined, () => remaining);
      const forward = t.forwarder.forward.bind(t.forwarder);
      t.forwarder.forward = async (event) => {
        remaining -= 3_000; // a slow ctlive: each forward takes 3 s of the function's time
        await forward(event);
      };
      const batch = { results: ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'].map((id) => result(id)) };

      const res = await t.message(batch);

      // 5 s forward timeout + the closing Redis round trip no longer fit in 11 s.
      expect(res.status).toBe(503);
      expect(res.body.error).toEqual(
        expect.objectContaining({ code: 'OUT_OF_TIME', forwarded: 3, notForwarded: ['m-4', 'm-5'] }),
      );
      expect(t.dedupe.state.get('message:m-3')).toBe('done');
      expect(t.dedupe.state.has('message:m-4')).toBe(false);
      expect(t.lines).toContainEqual(
        expect.stringContaining("Not enough time left to forward 2 more result(s) safely; released for Infobip's retry (503)"),
      );

      remaining = 29_000;
      expect((await t.message(batch)).body).toEqual({ forwarded: 2, duplicates: 3 });
      expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    });

    it('forwarded but not marked done (Redis went away after): still a success, with an ERROR line', async () => {
      const t = setup();
      t.dedupe.markDoneFails = true;

      const res = await t.message({ results: [result('m-1')] });

      expect(res).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0 } });
      expect(t.lines).toContain(
        '[IMCHANNEL] [onMessage] Forwarded, but could not mark it done in Redis (messageId [m-1]): Error: redis went away',
      );
    });
  });
});
