import type { Context } from 'aws-lambda';
import {
  ConfigError,
  applySecrets,
  collectIssues,
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
 * Wires a function once per cold start. Every configuration problem the wiring meets is
 * collected (`collectIssues`), so one log line names them all, and the function refuses to
 * start instead of failing a request later.
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
  const settings = collectIssues(() => ({ logConfig: readLogConfig(), path: readSecretsPath() }));
  // readLogConfig and readSecretsPath only ever note problems: they always give a value.
  const { logConfig, path } = settings.value as { logConfig: LogConfig; path: string | undefined };
  const build = (fromSsm?: { path: string; missing: readonly SecretVariable[] }) => {
    const log = createLogger(tag, { ...logConfig, secrets: readConfiguredSecrets(), metrics: readMetricsConfig() });
    let wiring: ReturnType<typeof collectIssues<Handler<E, R>>>;
    try {
      wiring = collectIssues(() => wire({ log, redisConfig: readRedisConfig() }));
    } catch (error: unknown) {
      fail(log, error); // not a configuration problem, but the function cannot start either
    }
    // A secret the function needs whose parameter is not there: name the parameter.
    const issues = [...settings.issues, ...wiring.issues].map((issue) =>
      fromSsm?.missing.includes(issue.variable as SecretVariable)
        ? {
            ...issue,
            reason: `is required but the SSM parameter ${secretParameterName(fromSsm.path, issue.variable)} does not exist`,
          }
        : issue,
    );
    if (issues.length > 0) fail(log, new ConfigError(issues));
    return wiring.value as Handler<E, R>; // set whenever no issue was found
  };
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

/** The one line of a function that cannot start: every problem in `reason`, their variables in `variables`. */
function fail(log: TaggedLogger, error: unknown): never {
  if (error instanceof ConfigError) {
    log.error('Configuration error, the function cannot start', { reason: error.message, variables: error.variables });
  } else {
    log.error('Configuration error, the function cannot start', { reason: String(error) });
  }
  throw error;
}
