import { LOCAL_CREDENTIALS } from '../../tools/localCredentials';
import { banner, type BannerStack } from '../../tools/start';

/** A stack as startLocalStack returns it, with `env` the functions' and `fromEnvironment` what the caller set. */
function stackWith(userEnv: Record<string, string>): BannerStack {
  const sinkUrl = 'http://127.0.0.1:8077/ctlive';
  const env: Record<string, string> = {
    ...LOCAL_CREDENTIALS,
    CTLIVE_TARGET: sinkUrl,
    CTLIVE_TARGET_TOKEN: 'generated-sink-token',
    UPSTASH_REDIS_REST_TOKEN: 'generated-proxy-token',
    INFOBIP_API_KEY: 'sandbox-generated-key',
    ...userEnv,
  };
  return {
    apiUrl: 'http://127.0.0.1:3000/imchannel',
    token: env.CTLIVE_API_TOKEN as string,
    env,
    fromEnvironment: Object.keys(userEnv),
    redisUrl: userEnv.REDIS_URL ?? 'redis://127.0.0.1:6379',
    sandbox: { url: 'http://127.0.0.1:8078' },
    proxy: { url: 'http://127.0.0.1:8079' },
    sink: { url: sinkUrl },
    docs: { url: 'http://127.0.0.1:8076' },
    sinkFunctionName: 'imchannel-local-ctliveSink',
  };
}

const line = (text: string, label: string) => text.split('\n').find((l) => l.trimStart().startsWith(label)) ?? '';
const curl = (text: string) => line(text, 'curl');

describe('the npm start banner', () => {
  it("says which Redis database the stack uses: its own (1), apart from the tests' and the bench's", () => {
    const own = banner({ ...stackWith({}), redisUrl: 'redis://127.0.0.1:6379/1', redisDatabase: 1 });
    const other = banner({ ...stackWith({ REDIS_URL: 'redis://127.0.0.1:6379/4' }), redisDatabase: 4 });

    expect(line(own, 'Redis database')).toMatch(
      /^ {2}Redis database {3}1 {3}\(the local stack's own: the tests and the bench use 0/,
    );
    expect(line(other, 'Redis database')).toContain("4   (from REDIS_URL; the local stack's own is 1)");
  });

  it("prints the stack's own credentials, so the curl example works as pasted", () => {
    const text = banner(stackWith({}));

    expect(line(text, 'ctlive token')).toContain(LOCAL_CREDENTIALS.CTLIVE_API_TOKEN);
    expect(line(text, 'webhook auth')).toContain(`Basic infobip:${LOCAL_CREDENTIALS.INFOBIP_WEBHOOK_PASSWORD}`);
    expect(line(text, 'webhook auth')).toContain(
      `reports by notifyUrl's ?token= (an HMAC of the messageId under ${LOCAL_CREDENTIALS.INFOBIP_REPORT_TOKEN})`,
    );
    expect(curl(text)).toContain(`-H "Authorization: Bearer ${LOCAL_CREDENTIALS.CTLIVE_API_TOKEN}"`);
    expect(text).not.toContain('from your environment');
  });

  it('names a ctlive token from the environment, in the list and in the curl example, and never prints it', () => {
    const token = 'my-own-ctlive-token-3f9a';

    const text = banner(stackWith({ CTLIVE_API_TOKEN: token }));

    expect(text).not.toContain(token);
    expect(line(text, 'ctlive token')).toContain('$CTLIVE_API_TOKEN (from your environment)');
    expect(curl(text)).toContain('-H "Authorization: Bearer $CTLIVE_API_TOKEN"');
  });

  it('names a webhook Basic password from the environment, and the user name too when it is the one given', () => {
    const password = 'my-own-webhook-password-77c1';

    const onlyPassword = banner(stackWith({ INFOBIP_WEBHOOK_PASSWORD: password }));
    const both = banner(stackWith({ INFOBIP_WEBHOOK_USERNAME: 'acme-user', INFOBIP_WEBHOOK_PASSWORD: password }));

    expect(onlyPassword).not.toContain(password);
    expect(line(onlyPassword, 'webhook auth')).toBe(
      `  webhook auth     Basic infobip:$INFOBIP_WEBHOOK_PASSWORD (from your environment) and reports by notifyUrl's ?token= (an HMAC of the messageId under ${LOCAL_CREDENTIALS.INFOBIP_REPORT_TOKEN})`,
    );
    expect(both).not.toContain(password);
    expect(both).not.toContain('acme-user');
    expect(line(both, 'webhook auth')).toContain(
      'Basic $INFOBIP_WEBHOOK_USERNAME:$INFOBIP_WEBHOOK_PASSWORD (from your environment)',
    );
  });

  it('names a webhook header from the environment without its value, next to Basic', () => {
    const text = banner(stackWith({ INFOBIP_WEBHOOK_HEADER: 'X-Webhook-Secret: my-own-header-value-0b2e' }));

    expect(text).not.toContain('my-own-header-value-0b2e');
    expect(line(text, 'webhook auth')).toContain('and header $INFOBIP_WEBHOOK_HEADER (from your environment)');
  });

  it('says "none" when the environment switched webhook auth off', () => {
    const text = banner(stackWith({ INFOBIP_WEBHOOK_USERNAME: '', INFOBIP_WEBHOOK_PASSWORD: '', INFOBIP_REPORT_TOKEN: '' }));

    expect(line(text, 'webhook auth')).toBe('  webhook auth     none');
  });

  it('names a report token from the environment without printing it', () => {
    const token = 'my-own-report-token-0123456789abcdef0123';
    const text = banner(stackWith({ INFOBIP_REPORT_TOKEN: token }));

    expect(text).not.toContain(token);
    expect(line(text, 'webhook auth')).toContain(
      "notifyUrl's ?token= (an HMAC of the messageId under $INFOBIP_REPORT_TOKEN (from your environment))",
    );
  });

  it('names a Redis URL or ctlive target from the environment that carries a password, and prints one without', () => {
    const withPassword = banner(
      stackWith({
        REDIS_URL: 'redis://:redis-pass-91@10.0.0.5:6379',
        CTLIVE_TARGET: 'https://user:target-pass-42@ctlive.example.com/inbound',
      }),
    );
    const plain = banner(stackWith({ REDIS_URL: 'redis://10.0.0.5:6379', CTLIVE_TARGET: 'https://ctlive.example.com/inbound' }));

    expect(withPassword).not.toContain('redis-pass-91');
    expect(withPassword).not.toContain('target-pass-42');
    expect(line(withPassword, 'Upstash proxy')).toContain('(Redis at $REDIS_URL (from your environment))');
    expect(line(withPassword, 'ctlive target')).toContain('$CTLIVE_TARGET (from your environment)');
    expect(line(plain, 'Upstash proxy')).toContain('(Redis at redis://10.0.0.5:6379)');
    expect(line(plain, 'ctlive target')).toContain('https://ctlive.example.com/inbound');
  });

  it('never shows the secrets the stack passes to the functions but the banner has no line for', () => {
    const text = banner(
      stackWith({
        INFOBIP_API_KEY: 'my-own-infobip-key',
        UPSTASH_REDIS_REST_TOKEN: 'my-own-upstash-token',
        CTLIVE_TARGET_TOKEN: 'my-own-target-token',
      }),
    );

    for (const secret of [
      'my-own-infobip-key',
      'my-own-upstash-token',
      'my-own-target-token',
      'generated-sink-token',
      'generated-proxy-token',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('points to npm run env:local for the environment of serverless invoke local, and prints none of its secrets', () => {
    const text = banner(stackWith({}));

    expect(line(text, 'invoke local')).toBe(
      '  invoke local     eval "$(npm run -s env:local)"   (its environment, secrets included, for serverless invoke local)',
    );
    for (const secret of ['generated-sink-token', 'generated-proxy-token', 'sandbox-generated-key'])
      expect(text).not.toContain(secret);
  });

  it("shows the local S3 and the streaming route, never the S3 key pair's secret", () => {
    const secret = 'local-s3-secret-0f3c9a';
    const stack = {
      ...stackWith({}),
      s3: { url: 'http://127.0.0.1:8075', bucket: 'imchannel-local-media' },
      streamUrl: 'http://127.0.0.1:8074',
    };
    stack.env = {
      ...stack.env,
      MEDIA_S3_ACCESS_KEY_ID: 'LOCALKEY',
      MEDIA_S3_SECRET_ACCESS_KEY: secret,
      MEDIA_FETCH_MODE: 'stream',
    };

    const text = banner(stack);

    expect(line(text, 'S3 (s3rver)')).toContain(
      'http://127.0.0.1:8075   (bucket imchannel-local-media; uploads: POST http://127.0.0.1:3000/imchannel/media)',
    );
    expect(line(text, 'streaming fetch')).toContain('http://127.0.0.1:8074');
    expect(text).not.toContain(secret);
  });
});
