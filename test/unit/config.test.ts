import {
  ConfigError,
  readCtliveApiToken,
  readCtliveTarget,
  readInfobipConfig,
  readLogConfig,
  readMediaConfig,
  readRedisConfig,
  readRequiredPublicUrl,
} from '../../lib/platform/config';
import type { SecretVariable } from '../../lib/platform/config';
import { startFunction } from '../../lib/platform/runtime';
import { SEND_SECRETS, type SecretsRead } from '../../lib/platform/secrets';
import { lambdaContext } from '../support/lambda';

const handler = async () => 'answer';

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
    ['CTLIVE_TIMEOUT_MS', () => readCtliveTarget({ CTLIVE_TARGET: 'https://ctlive.example/in', CTLIVE_TIMEOUT_MS: '15001' })],
  ])('names %s when it is missing or malformed', (variable, read) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^${variable} `));
  });

  it('takes a ctlive timeout up to the most that still fits the webhooks 29 s', () => {
    const target = readCtliveTarget({ CTLIVE_TARGET: 'https://ctlive.example/in', CTLIVE_TIMEOUT_MS: '15000' });
    expect(target).toEqual(expect.objectContaining({ kind: 'http', timeoutMs: 15_000 }));
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

describe('startFunction', () => {
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
      expect(() => startFunction('sendMessage', () => handler)).toThrow(/UPSTASH_REDIS_REST_URL/);
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual([
      '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: UPSTASH_REDIS_REST_URL is required but not set\n',
    ]);
  });

  it('wires the handler once when the configuration is complete', () => {
    process.env = { ...redisEnv, LOG_FORMAT: 'text' };
    const wire = jest.fn(() => handler);
    expect(startFunction('sendMessage', wire)).toBe(handler);
    expect(wire).toHaveBeenCalledTimes(1);
  });

  describe('with SECRETS_SSM_PATH', () => {
    const capture = () => {
      const writes: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        writes.push(String(chunk));
        return true;
      });
      return { writes, restore: () => spy.mockRestore() };
    };

    it('reads the secrets from SSM before wiring, and the wired function sees them', async () => {
      process.env = { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', LOG_FORMAT: 'text', SECRETS_SSM_PATH: '/imchannel/prod' };
      const load = jest.fn(async () => ({
        values: { UPSTASH_REDIS_REST_TOKEN: 'from-ssm', CTLIVE_API_TOKEN: 'ctlive-from-ssm' },
        missing: [],
      }));
      let seen: string | undefined;
      const wired = startFunction(
        'sendMessage',
        ({ redisConfig }) => {
          seen = redisConfig.token;
          return handler;
        },
        { secrets: SEND_SECRETS, loadSecrets: load },
      );

      await expect(wired({}, lambdaContext())).resolves.toBe('answer');
      await wired({}, lambdaContext());

      expect(load).toHaveBeenCalledTimes(1);
      expect(load).toHaveBeenCalledWith('/imchannel/prod', SEND_SECRETS);
      expect(seen).toBe('from-ssm');
    });

    it('fails the invocation with one line naming SECRETS_SSM_PATH when SSM fails, then tries again', async () => {
      process.env = { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', LOG_FORMAT: 'text', SECRETS_SSM_PATH: '/imchannel/prod' };
      const load = jest
        .fn<Promise<SecretsRead>, [string, readonly SecretVariable[]]>()
        .mockRejectedValueOnce(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }))
        .mockResolvedValueOnce({ values: { UPSTASH_REDIS_REST_TOKEN: 't' }, missing: [] });
      const out = capture();
      let wired;
      try {
        wired = startFunction('sendMessage', () => handler, { loadSecrets: load });
        await expect(wired({}, lambdaContext())).rejects.toThrow(/SECRETS_SSM_PATH/);
      } finally {
        out.restore();
      }
      expect(out.writes).toEqual([
        '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: SECRETS_SSM_PATH could not be read from SSM Parameter Store (/imchannel/prod): AccessDeniedException: User is not authorized\n',
      ]);
      await expect(wired({}, lambdaContext())).resolves.toBe('answer');
    });

    it('a required secret whose parameter does not exist fails with one line naming the parameter', async () => {
      process.env = { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', LOG_FORMAT: 'text', SECRETS_SSM_PATH: '/imchannel/prod/' };
      const load = async () => ({ values: { UPSTASH_REDIS_REST_TOKEN: 't' }, missing: ['CTLIVE_API_TOKEN' as const] });
      const out = capture();
      try {
        const wire = () => {
          readCtliveApiToken(); // as the real sendMessage wiring does
          return handler;
        };
        const wired = startFunction('sendMessage', wire, { secrets: SEND_SECRETS, loadSecrets: load });
        await expect(wired({}, lambdaContext())).rejects.toThrow(ConfigError);
      } finally {
        out.restore();
      }
      // One line per attempt (the failed invocation starts the next attempt at once).
      expect(new Set(out.writes)).toEqual(
        new Set([
          '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: CTLIVE_API_TOKEN is required but the SSM parameter /imchannel/prod/CTLIVE_API_TOKEN does not exist\n',
        ]),
      );
    });
  });
});
