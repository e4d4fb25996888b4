import type { Context } from 'aws-lambda';
import {
  ConfigError,
  applySecrets,
  readConfiguredSecrets,
  readLogConfig,
  readMetricsConfig,
  readRedisConfig,
  readSecretsPath,
  type LogConfig,
  type RedisConfig,
  type SecretVariable,
} from './config';
import { createLogger, type TaggedLogger } from './log';
import { loadSecrets, secretParameterName, secretsLoadError, type SecretsRead } from './secrets';

export interface ColdStart {
  log: TaggedLogger;
  /** Every function is deployed with the Redis settings; a missing one stops it at start. */
  redisConfig: RedisConfig;
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface ColdStartDeps {
  /** The secrets this function uses: read from SSM when `SECRETS_SSM_PATH` is set. */
  secrets?: readonly SecretVariable[];
  /** Reads the named secrets under an SSM path (tests pass a fake). */
  loadSecrets?: (path: string, variables: readonly SecretVariable[]) => Promise<SecretsRead>;
}

/**
 * Wires a function once per cold start. A configuration error becomes one log line naming
 * the variable, and the function refuses to start instead of failing a request later.
 *
 * With `SECRETS_SSM_PATH` set (on AWS), the secrets are read from SSM first. That call is
 * started during init but can only be awaited by the first invocation, so a failure there
 * fails that invocation with the same one line; the next invocation tries again.
 */
export function startFunction<E, R>(
  tag: string,
  wire: (start: ColdStart) => Handler<E, R>,
  deps: ColdStartDeps = {},
): Handler<E, R> {
  let logConfig: LogConfig;
  try {
    logConfig = readLogConfig();
  } catch (error: unknown) {
    fail(createLogger(tag, { format: 'json', level: 'INFO' }), error);
  }
  const build = (fromSsm?: { path: string; missing: readonly SecretVariable[] }) => {
    const log = createLogger(tag, { ...logConfig, secrets: readConfiguredSecrets(), metrics: readMetricsConfig() });
    try {
      return wire({ log, redisConfig: readRedisConfig() });
    } catch (error: unknown) {
      // A secret the function needs whose parameter is not there: name the parameter.
      if (error instanceof ConfigError && fromSsm?.missing.includes(error.variable as SecretVariable)) {
        const name = secretParameterName(fromSsm.path, error.variable);
        fail(log, new ConfigError(error.variable, `is required but the SSM parameter ${name} does not exist`));
      }
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
  const load = deps.loadSecrets ?? loadSecrets;
  const start = () =>
    load(secretsPath, deps.secrets ?? []).then(
      ({ values, missing }) => {
        applySecrets(values);
        return build({ path: secretsPath, missing });
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
