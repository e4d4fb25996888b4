import { ConfigError, readConfiguredSecrets, readLogConfig, readRedisConfig, type RedisConfig } from './config';
import { createLogger, type TaggedLogger } from './log';

export interface ColdStart {
  log: TaggedLogger;
  /** Every function is deployed with the Redis settings; a missing one stops it at start. */
  redisConfig: RedisConfig;
}

/**
 * Wires a function once per cold start. A configuration error becomes one log line naming
 * the variable, and the function refuses to start instead of failing a request later.
 */
export function coldStart<T>(tag: string, wire: (start: ColdStart) => T): T {
  let logConfig;
  try {
    logConfig = readLogConfig();
  } catch (error: unknown) {
    logConfig = { format: 'json', level: 'INFO' } as const;
    fail(createLogger(tag, logConfig), error);
  }
  const log = createLogger(tag, { ...logConfig, secrets: readConfiguredSecrets() });
  try {
    return wire({ log, redisConfig: readRedisConfig() });
  } catch (error: unknown) {
    fail(log, error);
  }
}

function fail(log: TaggedLogger, error: unknown): never {
  const reason = error instanceof ConfigError ? error.message : String(error);
  log.error('Configuration error, the function cannot start', { reason });
  throw error;
}
