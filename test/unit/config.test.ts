import {
  ConfigError,
  readCtliveApiToken,
  readInfobipConfig,
  readLogConfig,
  readMediaConfig,
  readRedisConfig,
  readRequiredPublicUrl,
} from '../../lib/config';
import { coldStart } from '../../lib/runtime';

const redisEnv = { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', UPSTASH_REDIS_REST_TOKEN: 't' };

describe('config', () => {
  it.each([
    ['CTLIVE_API_TOKEN', () => readCtliveApiToken({})],
    ['CTLIVE_API_TOKEN', () => readCtliveApiToken({ CTLIVE_API_TOKEN: '   ' })],
    ['UPSTASH_REDIS_REST_URL', () => readRedisConfig({ UPSTASH_REDIS_REST_TOKEN: 't' })],
    ['UPSTASH_REDIS_REST_URL', () => readRedisConfig({ ...redisEnv, UPSTASH_REDIS_REST_URL: 'not a url' })],
    ['UPSTASH_REDIS_REST_TOKEN', () => readRedisConfig({ UPSTASH_REDIS_REST_URL: 'http://x' })],
    ['IMCHANNEL_PUBLIC_URL', () => readRequiredPublicUrl({})],
    ['INFOBIP_TIMEOUT_MS', () => readInfobipConfig({ INFOBIP_TIMEOUT_MS: '10s' })],
    ['MEDIA_MAX_BYTES', () => readMediaConfig({ MEDIA_MAX_BYTES: '-1' })],
    ['LOG_FORMAT', () => readLogConfig({ LOG_FORMAT: 'xml' })],
  ])('names %s when it is missing or malformed', (variable, read) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^${variable} `));
  });

  it('applies the contract defaults', () => {
    expect(readMediaConfig({})).toEqual({ ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4_194_304 });
    expect(readInfobipConfig({})).toEqual({ defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 10_000 });
    expect(readLogConfig({})).toEqual({ format: 'json', level: 'INFO' });
  });

  it('splits the allowlist and keeps the deployment defaults', () => {
    const config = readInfobipConfig({
      INFOBIP_ALLOWED_HOSTS: ' *.api.infobip.com , 127.0.0.1 ',
      INFOBIP_BASE_URL: 'https://abc.api.infobip.com/',
      INFOBIP_API_KEY: 'k',
      INFOBIP_SCENARIO_KEY: 's',
    });
    expect(config.allowedHosts).toEqual(['*.api.infobip.com', '127.0.0.1']);
    expect(config.defaults).toEqual({ baseUrl: 'https://abc.api.infobip.com', apiKey: 'k', scenarioKey: 's' });
  });
});

describe('coldStart', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses to start with one log line naming the missing variable', () => {
    process.env = { LOG_FORMAT: 'text' };
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      expect(() => coldStart('sendMessage', () => 'handler')).toThrow(/UPSTASH_REDIS_REST_URL/);
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual([
      '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: UPSTASH_REDIS_REST_URL is required but not set\n',
    ]);
  });

  it('wires the handler once when the configuration is complete', () => {
    process.env = { ...redisEnv, LOG_FORMAT: 'text' };
    const wire = jest.fn(() => 'handler');
    expect(coldStart('sendMessage', wire)).toBe('handler');
    expect(wire).toHaveBeenCalledTimes(1);
  });
});
