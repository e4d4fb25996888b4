import type { Config } from 'jest';
import base from './jest.config';

/**
 * `npm run test:reliability`: faults, floods and hostile input (test/reliability). Its own
 * config, so the quick jest projects can run without it; `npm test` runs both.
 */
const [unit] = base.projects as Config[];

const config: Config = {
  testTimeout: 120_000,
  // Load and fault tests share one Redis, one sink and fixed expectations about timing.
  maxWorkers: 1,
  projects: [{ ...unit, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.test.ts'] }],
};

export default config;
