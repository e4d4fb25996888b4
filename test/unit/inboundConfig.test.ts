import { ConfigError, readRequiredWebhookAuth } from '../../lib/platform/config';

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
      /INFOBIP_WEBHOOK_USERNAME .*INFOBIP_WEBHOOK_HEADER is required outside local development/,
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
