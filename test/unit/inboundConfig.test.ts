import { reportTokenFor } from '../../lib/platform/reportToken';
import {
  ConfigError,
  readConfiguredSecrets,
  readNotifyUrl,
  readRequiredWebhookAuth,
  readUrlToken,
} from '../../lib/platform/config';

const BASIC = { INFOBIP_WEBHOOK_USERNAME: 'infobip', INFOBIP_WEBHOOK_PASSWORD: 'pw-123456' };

describe('readRequiredWebhookAuth: webhook auth must be configured outside local development', () => {
  it('uses Basic and/or the header when configured', () => {
    expect(readRequiredWebhookAuth(BASIC)).toEqual({
      auth: { basic: { username: 'infobip', password: 'pw-123456' } },
      open: false,
    });
    expect(readRequiredWebhookAuth({ INFOBIP_WEBHOOK_HEADER: 'X-Key: abc def' })).toEqual({
      auth: { header: { name: 'x-key', value: 'abc def' } },
      open: false,
    });
  });

  it('refuses to start with nothing configured, naming the variables', () => {
    expect(() => readRequiredWebhookAuth({})).toThrow(ConfigError);
    expect(() => readRequiredWebhookAuth({ INFOBIP_WEBHOOK_USERNAME: ' ', INFOBIP_WEBHOOK_HEADER: '' })).toThrow(
      /INFOBIP_REPORT_TOKEN .*INFOBIP_WEBHOOK_USERNAME .*INFOBIP_WEBHOOK_HEADER\) is required outside local development/,
    );
  });

  it.each([
    ['serverless-offline (IS_OFFLINE=true)', { IS_OFFLINE: 'true' }],
    ['an explicit INFOBIP_WEBHOOK_AUTH=none', { INFOBIP_WEBHOOK_AUTH: 'none' }],
    ['INFOBIP_WEBHOOK_AUTH=NONE in capitals', { INFOBIP_WEBHOOK_AUTH: 'NONE' }],
  ])('allows no auth under %s, and says it is open', (_label, env) => {
    expect(readRequiredWebhookAuth(env)).toEqual({ auth: {}, open: true });
  });

  it('does not take IS_OFFLINE=false as offline', () => {
    expect(() => readRequiredWebhookAuth({ IS_OFFLINE: 'false' })).toThrow(ConfigError);
  });

  it('still checks credentials under serverless-offline when they are configured', () => {
    expect(readRequiredWebhookAuth({ ...BASIC, IS_OFFLINE: 'true' }).open).toBe(false);
  });

  it('rejects "none" together with credentials, and any other value', () => {
    expect(() => readRequiredWebhookAuth({ ...BASIC, INFOBIP_WEBHOOK_AUTH: 'none' })).toThrow(
      /INFOBIP_WEBHOOK_AUTH is "none" but/,
    );
    expect(() => readRequiredWebhookAuth({ INFOBIP_WEBHOOK_AUTH: 'off' })).toThrow(/INFOBIP_WEBHOOK_AUTH can only be "none"/);
  });

  it('keeps the existing checks: half a Basic pair, a malformed header', () => {
    expect(() => readRequiredWebhookAuth({ INFOBIP_WEBHOOK_USERNAME: 'infobip', IS_OFFLINE: 'true' })).toThrow(
      /INFOBIP_WEBHOOK_PASSWORD/,
    );
    expect(() => readRequiredWebhookAuth({ INFOBIP_WEBHOOK_HEADER: 'no colon' })).toThrow(/INFOBIP_WEBHOOK_HEADER/);
  });
});

describe('the report token: the credential a notifyUrl carries', () => {
  const TOKEN = 'a'.repeat(31) + 'Z';
  const OLD = 'b'.repeat(40);
  const PUBLIC = { IMCHANNEL_PUBLIC_URL: 'https://host/tenant/imchannel' };

  it('alone is enough webhook auth, with the previous one kept during a rotation', () => {
    expect(readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN })).toEqual({
      auth: { token: { current: TOKEN } },
      open: false,
    });
    expect(readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN, INFOBIP_REPORT_TOKEN_PREVIOUS: OLD }).auth.token).toEqual({
      current: TOKEN,
      previous: OLD,
    });
  });

  it.each([
    ['too short', { INFOBIP_REPORT_TOKEN: 'short-token' }, 'INFOBIP_REPORT_TOKEN must be 32 to 256 URL-safe characters'],
    ['not URL-safe', { INFOBIP_REPORT_TOKEN: `${TOKEN}&x=1` }, 'INFOBIP_REPORT_TOKEN must be 32 to 256 URL-safe characters'],
    [
      'a previous one alone',
      { INFOBIP_REPORT_TOKEN_PREVIOUS: OLD },
      'INFOBIP_REPORT_TOKEN is required when INFOBIP_REPORT_TOKEN_PREVIOUS',
    ],
  ])('refuses a token that is %s, without printing it', (_label, env, message) => {
    let error: unknown;
    try {
      readUrlToken(env);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(message);
    for (const value of Object.values(env)) expect(String(error)).not.toContain(value);
  });

  it('goes into every notifyUrl bound to its message, never as itself (the URL Infobip posts reports to)', () => {
    const notifyUrl = readNotifyUrl({ ...PUBLIC, INFOBIP_REPORT_TOKEN: TOKEN });
    expect(notifyUrl?.('m-1')).toBe(`https://host/tenant/imchannel/onDeliveryReport?token=${reportTokenFor(TOKEN, 'm-1')}`);
    expect(notifyUrl?.('m-2')).not.toBe(notifyUrl?.('m-1'));
    expect(notifyUrl?.('m-1')).not.toContain(TOKEN);
    expect(readNotifyUrl({ INFOBIP_REPORT_TOKEN: TOKEN })).toBeUndefined();
  });

  it('is required with a public URL, except where the webhooks may run open', () => {
    expect(() => readNotifyUrl(PUBLIC)).toThrow(/INFOBIP_REPORT_TOKEN is required when IMCHANNEL_PUBLIC_URL is set/);
    expect(readNotifyUrl({ ...PUBLIC, IS_OFFLINE: 'true' })?.('m')).toBe('https://host/tenant/imchannel/onDeliveryReport');
    expect(readNotifyUrl({ ...PUBLIC, INFOBIP_WEBHOOK_AUTH: 'none' })?.('m')).toBe(
      'https://host/tenant/imchannel/onDeliveryReport',
    );
  });

  it('opens onMessage only where the deployment opted in, and the bare secret on reports only until a set time', () => {
    const basic = { INFOBIP_WEBHOOK_USERNAME: 'infobip', INFOBIP_WEBHOOK_PASSWORD: 'password-0123456789' };
    expect(readRequiredWebhookAuth({ ...basic, INFOBIP_REPORT_TOKEN: TOKEN }, 'onMessage').auth.token).toBeUndefined();
    expect(() => readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN }, 'onMessage')).toThrow(
      /INFOBIP_WEBHOOK_USERNAME with INFOBIP_WEBHOOK_PASSWORD \(or INFOBIP_WEBHOOK_HEADER\) is required/,
    );
    expect(
      readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN, INFOBIP_ONMESSAGE_URL_TOKEN: 'true' }, 'onMessage').auth,
    ).toEqual({ token: { current: TOKEN }, unboundTokenUntil: Number.POSITIVE_INFINITY });
    expect(() => readRequiredWebhookAuth({ ...basic, INFOBIP_ONMESSAGE_URL_TOKEN: 'yes' }, 'onMessage')).toThrow(
      /INFOBIP_ONMESSAGE_URL_TOKEN must be "true" or "false"/,
    );
    const soon = new Date(Date.now() + 48 * 3_600_000).toISOString();
    expect(
      readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN, INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL: soon }).auth.unboundTokenUntil,
    ).toBe(Date.parse(soon));
    const late = new Date(Date.now() + 30 * 24 * 3_600_000).toISOString();
    expect(() => readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN, INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL: late })).toThrow(
      /at most 7 days ahead/,
    );
    expect(() =>
      readRequiredWebhookAuth({ INFOBIP_REPORT_TOKEN: TOKEN, INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL: 'tomorrow' }),
    ).toThrow(/must be an ISO 8601 time/);
  });

  it('is scrubbed from logs like every other secret', () => {
    expect(readConfiguredSecrets({ INFOBIP_REPORT_TOKEN: TOKEN, INFOBIP_REPORT_TOKEN_PREVIOUS: OLD })).toEqual([TOKEN, OLD]);
  });
});
