import type { Redis } from '@upstash/redis';
import { accountScope, requestAccount } from '../../lib/platform/account';
import { notifyUrlFor } from '../../lib/platform/config';
import { accountKeys, redisKeys } from '../../lib/platform/redis';
import { reportTokenFor } from '../../lib/platform/reportToken';
import { createInboundMediaStep, type CopyRequest } from '../../lib/inboundMedia/step';
import { copyInboundMedia, NotYetError, type CopierDeps } from '../../lib/inboundMedia/copy';
import { createLogger } from '../../lib/platform/log';
import type { CtliveMessageEvent } from '../../lib/inbound/events';
import { ACCOUNTS, BASIC, PASSWORD, result, setupWebhooks } from '../support/inboundFakes';
import { captureLines } from '../support/lambda';

/**
 * Infobip's message ids are unique only within one Infobip account, and one deployment may
 * serve several: every key an id goes into names its account (docs/api.md, "Exactly once").
 */

const OWN = 'xxxx.api.infobip.com';
const OTHER = 'yyyy.api.infobip.com';
const SECRET = 'report-token-0123456789abcdef0123456789';

describe('the account of a send', () => {
  it("is the base URL's host, lower case; the deployment's own is the default (undefined)", () => {
    expect(accountScope('https://YYYY.api.infobip.com', `https://${OWN}`)).toBe(OTHER);
    expect(accountScope(`https://${OWN}`, `https://${OWN.toUpperCase()}`)).toBeUndefined();
    expect(accountScope(`https://${OWN}`, undefined)).toBe(OWN);
    expect(accountScope('http://127.0.0.1:4010', 'http://127.0.0.1:4010')).toBeUndefined();
    expect(accountScope('http://127.0.0.1:4011', 'http://127.0.0.1:4010')).toBe('127.0.0.1:4011');
  });
});

describe('the account a webhook URL names (?account=)', () => {
  it.each([
    ['none', undefined, undefined],
    ["the deployment's own", OWN, undefined],
    ['another on INFOBIP_ALLOWED_HOSTS', OTHER, OTHER],
  ])('%s', (_name, given, account) => {
    expect(requestAccount(given, ACCOUNTS)).toBe(account);
  });

  it.each([
    ['a host off the allowlist', 'evil.example.com'],
    ['the bare domain', 'api.infobip.com'],
    ['upper case (one account, one name)', 'YYYY.api.infobip.com'],
    ['a port', `${OTHER}:8443`],
    ['a path', `${OTHER}/x`],
    ['two values (API Gateway joins repeats with commas)', `${OTHER},${OWN}`],
    ['a line break', `${OTHER}\nx`],
    ['empty', ''],
  ])('400 INVALID_ACCOUNT for %s', (_name, given) => {
    expect(() => requestAccount(given, ACCOUNTS)).toThrow(expect.objectContaining({ statusCode: 400, code: 'INVALID_ACCOUNT' }));
  });

  it('a port only on this machine, as the local sandbox has', () => {
    expect(requestAccount('127.0.0.1:4011', { allowedHosts: ['127.0.0.1'] })).toBe('127.0.0.1:4011');
  });
});

describe('the Redis keys of an account', () => {
  it("keep the deployment's own account's names, so that nothing in Redis changes meaning at the upgrade", () => {
    expect(accountKeys(undefined).webhookEvent('message', 'wamid.A')).toBe(redisKeys.webhookEvent('message', 'wamid.A'));
    expect(accountKeys(undefined).reported('m-1')).toBe('IMChannel:Reported:m-1');
    expect(accountKeys(undefined).readMark('447860099299', 'wamid.A')).toBe('IMChannel:Read:447860099299:wamid.A');
  });

  it('name any other account before the rest, apart from every other key', () => {
    expect(accountKeys(OTHER).webhookEvent('seen', 'm-1')).toBe(`IMChannel:Account:${OTHER}/Webhook:seen:m-1`);
    expect(accountKeys(OTHER).reported('m-1')).toBe(`IMChannel:Account:${OTHER}/Reported:m-1`);
    expect(accountKeys(OTHER).readMark('447860099299', 'wamid.A')).toBe(`IMChannel:Account:${OTHER}/Read:447860099299:wamid.A`);
  });

  it('cannot meet: no id in one account makes the name of another id in another', () => {
    // An id that spells another account's name is still keyed under its own account.
    const spelled = `Account:${OTHER}/Reported:m-1`;
    expect(accountKeys(undefined).reported(spelled)).not.toBe(accountKeys(OTHER).reported('m-1'));
    expect(accountKeys(OWN).reported('m-1')).not.toBe(accountKeys(undefined).reported('m-1'));
    expect(accountKeys('127.0.0.1:4011').reported('x')).not.toBe(accountKeys('127.0.0.1').reported('4011:x'));
  });
});

describe("a notifyUrl's token is bound to its message and its account", () => {
  const notifyUrl = notifyUrlFor('https://imchannel.example/imchannel', { INFOBIP_REPORT_TOKEN: SECRET });
  const reportOf = (messageId: string) => ({
    results: [{ messageId, to: '39123456789', status: { groupName: 'DELIVERED' }, doneAt: 'now' }],
  });
  const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams) as Record<string, string>;

  it("names another account in the URL; the deployment's own as before, without", () => {
    expect(queryOf(notifyUrl('m-1', OTHER))).toEqual({ account: OTHER, token: reportTokenFor(SECRET, 'm-1', OTHER) });
    expect(queryOf(notifyUrl('m-1'))).toEqual({ token: reportTokenFor(SECRET, 'm-1') });
    expect(reportTokenFor(SECRET, 'm-1', OTHER)).not.toBe(reportTokenFor(SECRET, 'm-1'));
  });

  it("keys the report under the URL's account, and refuses the token with its account changed or dropped", async () => {
    const t = setupWebhooks({ basic: { username: 'infobip', password: PASSWORD }, token: { current: SECRET } });
    const query = queryOf(notifyUrl('m-1', OTHER));

    const own = await t.report(reportOf('m-1'), {}, false, query);
    const dropped = await t.report(reportOf('m-1'), {}, false, { token: query.token as string });
    const swapped = await t.report(reportOf('m-1'), {}, false, { ...query, account: 'zzzz.api.infobip.com' });
    const toOwn = await t.report(reportOf('m-1'), {}, false, { ...query, account: OWN });

    expect([own.status, dropped.status, swapped.status, toOwn.status]).toEqual([200, 401, 401, 401]);
    expect(t.dedupe.calls).toEqual([`claim delivery m-1 in ${OTHER}`, `done delivery m-1 in ${OTHER}`]);
    expect(t.dedupe.reports).toEqual([expect.objectContaining({ event: 'delivery', messageId: 'm-1', account: OTHER })]);
  });

  it("an old notifyUrl (no account) still brings its report, as the deployment's own account's", async () => {
    const t = setupWebhooks({ basic: { username: 'infobip', password: PASSWORD }, token: { current: SECRET } });

    const res = await t.report(reportOf('m-2'), {}, false, { token: reportTokenFor(SECRET, 'm-2') });

    expect(res.status).toBe(200);
    expect(t.dedupe.reports).toEqual([expect.objectContaining({ messageId: 'm-2', account: undefined })]);
  });
});

describe('webhooks with the credentials of an Infobip subscription', () => {
  it('take the account its URL names: the same messageId in two accounts is two messages, each forwarded', async () => {
    const t = setupWebhooks();

    const own = await t.message({ results: [result('wamid.SAME')] });
    const other = await t.message({ results: [result('wamid.SAME')] }, BASIC, false, { account: OTHER });
    const again = await t.message({ results: [result('wamid.SAME')] }, BASIC, false, { account: OTHER });

    expect([own.body, other.body, again.body]).toEqual([
      { forwarded: 1, duplicates: 0 },
      { forwarded: 1, duplicates: 0 },
      { forwarded: 0, duplicates: 1 },
    ]);
    expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['wamid.SAME', 'wamid.SAME']);
  });

  it('a report of another account leaves its mark under that account', async () => {
    const t = setupWebhooks();

    await t.report({ results: [{ messageId: 'm-3', seenAt: 'now' }] }, BASIC, false, { account: OTHER });

    expect(t.dedupe.reports).toEqual([{ event: 'seen', messageId: 'm-3', account: OTHER }]);
  });

  it('an account off INFOBIP_ALLOWED_HOSTS is a 400: nothing claimed or forwarded', async () => {
    const t = setupWebhooks();

    const res = await t.message({ results: [result('wamid.X')] }, BASIC, false, { account: 'evil.example.com' });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.objectContaining({ code: 'INVALID_ACCOUNT' }) });
    expect(t.dedupe.calls).toEqual([]);
    expect(t.forwarder.sent).toEqual([]);
  });
});

describe("a customer's file of another account", () => {
  const CONFIG = {
    publicUrl: 'https://imchannel.example/imchannel',
    linkSecret: 'inbound-link-secret-0123456789abcdef',
    linkTtlSeconds: 3600,
    allowedHosts: ['*.api.infobip.com'],
  };
  const SOURCE = `https://${OTHER}/whatsapp/1/senders/447860099299/media/abc`;

  it("is asked for with its account; the deployment's own is not named", async () => {
    const requests: CopyRequest[] = [];
    const step = createInboundMediaStep(CONFIG, { request: async (batch) => void requests.push(...batch) });
    const photo = (messageId: string) =>
      ({ event: 'message', channel: 'WHATSAPP', messageId, type: 'IMAGE', media: { url: SOURCE } }) as CtliveMessageEvent;

    await step.beforeForward(step.annotate(photo('wamid.P'), OTHER));
    await step.beforeForward(step.annotate(photo('wamid.Q'), undefined));

    expect(requests).toEqual([
      expect.objectContaining({ messageId: 'wamid.P', account: OTHER }),
      expect.not.objectContaining({ account: expect.anything() }),
    ]);
  });

  it("waits for its message's claim in that account, not for the same id's in another", async () => {
    const read: string[] = [];
    const redis = {
      get: async (key: string) => {
        read.push(key);
        return key === accountKeys(OTHER).webhookEvent('message', 'wamid.P') ? 'done' : null;
      },
    } as unknown as Redis;
    const claims: string[] = [];
    const deps = {
      log: createLogger('copyInboundMedia', { format: 'text', level: 'INFO', sink: captureLines().sink }),
      config: CONFIG,
      redis,
      dedupe: {
        claim: async (keys: { account?: string }[]) => keys.map((k) => (claims.push(String(k.account)), 'claimed' as const)),
        settle: async () => undefined,
        abandon: async () => undefined,
      },
      forwarder: { target: 'ctlive', timeoutMs: 1000, forward: async () => undefined },
      messageWaitMs: 0,
    } as unknown as CopierDeps;
    const request = (account?: string): CopyRequest => ({
      sourceUrl: 'https://evil.example.com/file',
      type: 'IMAGE',
      messageId: 'wamid.P',
      requestedAt: new Date().toISOString(),
      ...(account === undefined ? {} : { account }),
    });

    await expect(copyInboundMedia(request(OTHER), deps)).resolves.toBe('failed');
    await expect(copyInboundMedia(request(), deps)).rejects.toBeInstanceOf(NotYetError);

    expect(read).toEqual([accountKeys(OTHER).webhookEvent('message', 'wamid.P'), redisKeys.webhookEvent('message', 'wamid.P')]);
    expect(claims).toEqual([OTHER, 'undefined']);
  });
});
