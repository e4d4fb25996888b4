import type { Context } from 'aws-lambda';
import {
  ConfigError,
  applySecrets,
  readConfiguredSecrets,
  readLogConfig,
  readRedisConfig,
  readSecretsPath,
  type LogConfig,
  type RedisConfig,
} from './config';
import { createLogger, type TaggedLogger } from './log';
import { loadSecrets, secretsLoadError } from './secrets';

export interface ColdStart {
  log: TaggedLogger;
  /** Every function is deployed with the Redis settings; a missing one stops it at start. */
  redisConfig: RedisConfig;
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface ColdStartDeps {
  /** Reads the secrets under an SSM path (tests pass a fake). */
  loadSecrets?: (path: string) => Promise<Record<string, string>>;
}

/**
 * Wires a function once per cold start. A configuration error becomes one log line naming
 * the variable, and the function refuses to start instead of failing a request later.
 *
 * With `SECRETS_SSM_PATH` set (on AWS), the secrets are read from SSM first. That call is
 * started during init but can only be awaited by the first invocation, so a failure there
 * fails that invocation with the same one line; the next invocation tries again.
 */
export function coldStart<E, R>(tag: string, wire: (start: ColdStart) => Handler<E, R>, deps: ColdStartDeps = {}): Handler<E, R> {
  let logConfig: LogConfig;
  try {
    logConfig = readLogConfig();
  } catch (error: unknown) {
    fail(createLogger(tag, { format: 'json', level: 'INFO' }), error);
  }
  const build = () => {
    const log = createLogger(tag, { ...logConfig, secrets: readConfiguredSecrets() });
    try {
      return wire({ log, redisConfig: readRedisConfig() });
    } catch (error: unknown) {
      fail(log, error);
    }
  };

  let path: string | undefined;
  try {
    path = readSecretsPath();
  } catch (error: unknown) {
    fail(createLogger(tag, logConfig), error);
  }
  if (path === undefined) return build();

  const secretsPath = path;
  const load = deps.loadSecrets ?? ((p: string) => loadSecrets(p));
  const start = () =>
    load(secretsPath).then(
      (secrets) => {
        applySecrets(secrets);
        return build();
      },
      (error: unknown) => fail(createLogger(tag, logConfig), secretsLoadError(secretsPath, error)),
    );
  let ready = start();
  ready.catch(() => undefined); // awaited by the first invocation, not here
  return async (event, context) => {
    let handler: Handler<E, R>;
    try {
      handler = await ready;
    } catch (error: unknown) {
      ready = start();
      ready.catch(() => undefined);
      throw error;
    }
    return handler(event, context);
  };
}

function fail(log: TaggedLogger, error: unknown): never {
  const reason = error instanceof ConfigError ? error.message : String(error);
  log.error('Configuration error, the function cannot start', { reason });
  throw error;
}
