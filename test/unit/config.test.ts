import {
  ConfigError,
  collectIssues,
  readCtliveApiToken,
  readCtliveConcurrency,
  readCtliveTarget,
  readInfobipConfig,
  readLogConfig,
  readMediaConfig,
  readRedisConfig,
  readRequiredPublicUrl,
  readRequiredWebhookAuth,
  readUrlToken,
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
    ['INFOBIP_SENDER', () => readInfobipConfig({ INFOBIP_SENDER: '+44 7860 099299' })],
    ['MEDIA_MAX_BYTES', () => readMediaConfig({ MEDIA_MAX_BYTES: '-1' })],
    ['LOG_FORMAT', () => readLogConfig({ LOG_FORMAT: 'xml' })],
    ['CTLIVE_TIMEOUT_MS', () => readCtliveTarget({ CTLIVE_TARGET: 'https://ctlive.example/in', CTLIVE_TIMEOUT_MS: '15001' })],
    ['CTLIVE_CONCURRENCY', () => readCtliveConcurrency({ CTLIVE_CONCURRENCY: '0' })],
    ['CTLIVE_CONCURRENCY', () => readCtliveConcurrency({ CTLIVE_CONCURRENCY: 'many' })],
    ['CTLIVE_CONCURRENCY', () => readCtliveConcurrency({ CTLIVE_CONCURRENCY: '51' })],
  ])('names %s when it is missing or malformed', (variable, read) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^${variable} `));
  });

  it('takes a ctlive timeout up to the most that still fits the webhooks 29 s', () => {
    const target = readCtliveTarget({ CTLIVE_TARGET: 'https://ctlive.example/in', CTLIVE_TIMEOUT_MS: '15000' });
    expect(target).toEqual(expect.objectContaining({ kind: 'http', timeoutMs: 15_000 }));
  });

  it('forwards 16 at once by default, and any whole number from 1 to 50 when set', () => {
    expect(readCtliveConcurrency({})).toBe(16);
    expect(readCtliveConcurrency({ CTLIVE_CONCURRENCY: '1' })).toBe(1);
    expect(readCtliveConcurrency({ CTLIVE_CONCURRENCY: '50' })).toBe(50);
  });

  it('applies the contract defaults', () => {
    expect(readMediaConfig({})).toEqual({ ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4_194_304 });
    expect(readInfobipConfig({})).toEqual({
      defaults: {},
      allowedHosts: ['*.api.infobip.com'],
      timeoutMs: 10_000,
      transport: 'omni',
    });
    expect(readLogConfig({})).toEqual({ format: 'json', level: 'INFO' });
  });

  it('keeps the business number as digits, without a leading + or 00', () => {
    expect(readInfobipConfig({ INFOBIP_SENDER: '+447860099299' }).defaults.sender).toBe('447860099299');
    expect(readInfobipConfig({ INFOBIP_SENDER: '00447860099299' }).defaults.sender).toBe('447860099299');
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

describe('collectIssues', () => {
  it('lets every reader note its problem and go on, so one run names them all', () => {
    const { value, issues } = collectIssues(() => ({
      redis: readRedisConfig({}),
      token: readCtliveApiToken({}),
      infobip: readInfobipConfig({ INFOBIP_TIMEOUT_MS: 'soon', INFOBIP_BASE_URL: 'ftp://x' }),
      target: readCtliveTarget({ CTLIVE_TARGET: 'ctlive' }),
      auth: readRequiredWebhookAuth({ INFOBIP_WEBHOOK_USERNAME: 'u', INFOBIP_WEBHOOK_HEADER: 'no colon' }),
    }));
    expect(issues).toEqual([
      { variable: 'UPSTASH_REDIS_REST_URL', reason: 'is required but not set' },
      { variable: 'UPSTASH_REDIS_REST_TOKEN', reason: 'is required but not set' },
      { variable: 'CTLIVE_API_TOKEN', reason: 'is required but not set' },
      { variable: 'INFOBIP_BASE_URL', reason: 'must be an absolute http(s) URL' },
      { variable: 'INFOBIP_TIMEOUT_MS', reason: 'must be a positive whole number, got "soon"' },
      { variable: 'CTLIVE_TARGET', reason: 'must be "lambda:<function name or ARN>" or an http(s):// URL' },
      { variable: 'INFOBIP_WEBHOOK_PASSWORD', reason: 'is required when the other webhook Basic credential is set' },
      { variable: 'INFOBIP_WEBHOOK_HEADER', reason: 'must look like "Name: value"' },
      {
        variable: 'INFOBIP_REPORT_TOKEN',
        reason: expect.stringMatching(
          /^\(or INFOBIP_WEBHOOK_USERNAME with INFOBIP_WEBHOOK_PASSWORD, or INFOBIP_WEBHOOK_HEADER\) is required/,
        ) as string,
      },
    ]);
    // The stand-ins are usable values: the wiring built everything it would have.
    expect(value?.infobip.timeoutMs).toBe(10_000);
    expect(value?.target).toEqual(expect.objectContaining({ kind: 'http' }));
  });

  it('notes both report tokens when both are malformed, never with a token itself', () => {
    const env = { INFOBIP_REPORT_TOKEN: 'short-current-secret', INFOBIP_REPORT_TOKEN_PREVIOUS: 'short-previous-secret' };
    const { issues } = collectIssues(() => readUrlToken(env));
    expect(issues.map((issue) => issue.variable)).toEqual(['INFOBIP_REPORT_TOKEN', 'INFOBIP_REPORT_TOKEN_PREVIOUS']);
    expect(issues.every((issue) => issue.reason.startsWith('must be 32 to 256 URL-safe characters'))).toBe(true);
    expect(JSON.stringify(issues)).not.toMatch(/short-(current|previous)-secret/);
  });

  it('names a variable once, by its first problem', () => {
    const { issues } = collectIssues(() => [readRequiredPublicUrl({}), readRequiredPublicUrl({ IMCHANNEL_PUBLIC_URL: 'x' })]);
    expect(issues).toEqual([{ variable: 'IMCHANNEL_PUBLIC_URL', reason: 'is required but not set' }]);
  });

  it('outside it, readers throw at the first problem again', () => {
    collectIssues(() => readCtliveApiToken({}));
    expect(() => readCtliveApiToken({})).toThrow(ConfigError);
  });

  it('adds a ConfigError the wiring throws itself, and drops a throw a stand-in caused', () => {
    const own = collectIssues(() => {
      readCtliveApiToken({});
      throw new ConfigError('IMCHANNEL_PUBLIC_URL', 'is too long');
    });
    expect(own).toEqual({
      value: undefined,
      issues: [
        { variable: 'CTLIVE_API_TOKEN', reason: 'is required but not set' },
        { variable: 'IMCHANNEL_PUBLIC_URL', reason: 'is too long' },
      ],
    });
    const caused = collectIssues(() => {
      if (readCtliveApiToken({}) === '') throw new TypeError('empty token');
    });
    expect(caused.issues.map((issue) => issue.variable)).toEqual(['CTLIVE_API_TOKEN']);
  });

  it('lets any other throw go on up when there was no configuration problem', () => {
    expect(() =>
      collectIssues(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow('a bug');
  });

  it('one ConfigError lists its issues in its message and its variables', () => {
    const error = new ConfigError([
      { variable: 'A', reason: 'is required but not set' },
      { variable: 'B', reason: 'must be a number' },
    ]);
    expect(error.message).toBe('A is required but not set; B must be a number');
    expect(error.variables).toEqual(['A', 'B']);
    expect(error.variable).toBe('A');
  });
});

describe('startFunction', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const captured = (run: () => void) => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      run();
    } finally {
      spy.mockRestore();
    }
    return writes;
  };

  it('refuses to start with one log line naming every missing variable at once', () => {
    process.env = { LOG_FORMAT: 'text' };
    const wire = () => {
      readCtliveApiToken(); // as the real sendMessage wiring does
      return handler;
    };
    const writes = captured(() => expect(() => startFunction('sendMessage', wire)).toThrow(ConfigError));
    expect(writes).toEqual([
      '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: UPSTASH_REDIS_REST_URL is required but not set; UPSTASH_REDIS_REST_TOKEN is required but not set; CTLIVE_API_TOKEN is required but not set\n',
    ]);
  });

  it('in JSON, the line has every reason and a variables array, the settings read before the wiring included', () => {
    process.env = { ...redisEnv, LOG_LEVEL: 'LOUD', SECRETS_SSM_PATH: 'imchannel/prod', MEDIA_TTL_SECONDS: 'a day' };
    const wire = () => {
      readMediaConfig();
      readRequiredPublicUrl();
      return handler;
    };
    const writes = captured(() => expect(() => startFunction('sendWhatsAppImageMessage', wire)).toThrow(ConfigError));
    expect(writes).toHaveLength(1);
    const line = JSON.parse(writes[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'ERROR',
      tag: 'sendWhatsAppImageMessage',
      variables: ['LOG_LEVEL', 'SECRETS_SSM_PATH', 'MEDIA_TTL_SECONDS', 'IMCHANNEL_PUBLIC_URL'],
    });
    expect(line.reason).toBe(
      'LOG_LEVEL must be DEBUG, INFO, WARN or ERROR, got "LOUD"; SECRETS_SSM_PATH must be an SSM path starting with "/", got "imchannel/prod"; MEDIA_TTL_SECONDS must be a positive whole number, got "a day"; IMCHANNEL_PUBLIC_URL is required but not set',
    );
  });

  it('a failure of the wiring that is not a configuration problem is still one line, and thrown', () => {
    process.env = { ...redisEnv, LOG_FORMAT: 'text' };
    const wire = (): typeof handler => {
      throw new Error('no such module');
    };
    const writes = captured(() => expect(() => startFunction('sendMessage', wire)).toThrow('no such module'));
    expect(writes).toEqual(['[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: Error: no such module\n']);
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

    it('required secrets whose parameters do not exist fail with one line naming every parameter', async () => {
      process.env = { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', LOG_FORMAT: 'text', SECRETS_SSM_PATH: '/imchannel/prod/' };
      const load = async () => ({ values: {}, missing: ['UPSTASH_REDIS_REST_TOKEN' as const, 'CTLIVE_API_TOKEN' as const] });
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
          '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: UPSTASH_REDIS_REST_TOKEN is required but the SSM parameter /imchannel/prod/UPSTASH_REDIS_REST_TOKEN does not exist; CTLIVE_API_TOKEN is required but the SSM parameter /imchannel/prod/CTLIVE_API_TOKEN does not exist\n',
        ]),
      );
    });
  });
});
