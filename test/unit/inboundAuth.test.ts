import { reportTokenFor } from '../../lib/platform/reportToken';
import { BASIC, PASSWORD, result, setupWebhooks as setup } from '../support/inboundFakes';
import inboundText from '../fixtures/infobip/infobip-inbound-text.json';

describe('onMessage webhook', () => {
  describe('webhook auth: wrong or missing is 401, nothing forwarded or logged as received', () => {
    const basicOf = (user: string, pass: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    });

    it.each([
      ['no credentials', {}],
      ['a wrong password', basicOf('infobip', 'nope')],
      ['a wrong user', basicOf('someone', PASSWORD)],
      ['a bearer token instead', { authorization: `Bearer ${PASSWORD}` }],
    ])('Basic configured, %s', async (_label, headers) => {
      const t = setup();

      const res = await t.message(inboundText, headers);

      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.objectContaining({ code: 'UNAUTHORIZED' }) });
      expect(t.forwarder.sent).toEqual([]);
      expect(t.lines.join('\n')).not.toContain('Message received');
    });

    it('a static header: only the right value passes', async () => {
      const t = setup({ header: { name: 'x-infobip-secret', value: 's3cret-value' } });

      expect((await t.message(inboundText, { 'x-infobip-secret': 'wrong' })).status).toBe(401);
      expect((await t.message(inboundText, {})).status).toBe(401);
      expect((await t.message(inboundText, { 'X-Infobip-Secret': 's3cret-value' })).status).toBe(200);
    });

    it('Basic and a header both configured: both are required', async () => {
      const t = setup({ basic: { username: 'infobip', password: PASSWORD }, header: { name: 'x-key', value: 'k-123456' } });

      expect((await t.message(inboundText, BASIC)).status).toBe(401);
      expect((await t.message(inboundText, { 'x-key': 'k-123456' })).status).toBe(401);
      expect((await t.message(inboundText, { ...BASIC, 'x-key': 'k-123456' })).status).toBe(200);
    });

    it("a notifyUrl's token lets in its own message's report alone (Infobip sends a notifyUrl no credentials)", async () => {
      const secret = 'report-token-0123456789abcdef0123456789';
      const t = setup({ basic: { username: 'infobip', password: PASSWORD }, token: { current: secret } });
      const reportOf = (messageId: string) => ({
        results: [{ messageId, to: '39123456789', status: { groupName: 'DELIVERED' } }],
      });
      const token = reportTokenFor(secret, 'r-1');

      expect((await t.report(reportOf('r-1'), {}, false, { token })).status).toBe(200);
      expect((await t.report(reportOf('r-2'), {}, false, { token })).status).toBe(401);
      expect(
        (await t.report({ results: [...reportOf('r-1').results, ...reportOf('r-3').results] }, {}, false, { token })).status,
      ).toBe(401);
      expect((await t.report(reportOf('r-4'), {}, false, { token: secret })).status).toBe(401);
      expect((await t.report(reportOf('r-5'), {}, false, { token: `${token.slice(0, -1)}x` })).status).toBe(401);
      expect((await t.report(reportOf('r-6'), {}, false, {})).status).toBe(401);
      expect((await t.report(reportOf('r-7'), BASIC, false, {})).status).toBe(200);
      expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['r-1', 'r-7']);
      expect(t.lines.join('\n')).not.toContain(token);
      expect(t.lines.join('\n')).not.toContain('r-2');
    });

    it("a notifyUrl's token never opens onMessage, not even for its own message's id", async () => {
      const secret = 'report-token-0123456789abcdef0123456789';
      const t = setup({ basic: { username: 'infobip', password: PASSWORD }, token: { current: secret } });
      const token = reportTokenFor(secret, 'wamid.1');

      expect((await t.message({ results: [result('wamid.1')] }, {}, false, { token })).status).toBe(401);
      expect((await t.message({ results: [result('wamid.1')] }, {}, false, { token: secret })).status).toBe(401);
      expect(t.forwarder.sent).toEqual([]);
    });

    it('nothing configured (allowed only locally): no check', async () => {
      const t = setup({});

      expect((await t.message(inboundText, {})).status).toBe(200);
    });

    it('the password never reaches a log line', async () => {
      const t = setup();

      await t.message(inboundText, basicOf('infobip', `${PASSWORD}x`));
      await t.message({ results: [result('m-1', PASSWORD)] });

      expect(t.lines.join('\n')).not.toContain(PASSWORD);
    });
  });
});
