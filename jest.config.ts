import type { Config } from 'jest';

const transform: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
};

const project = (name: string, extra: Partial<Config> = {}): Config => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

const config: Config = {
  projects: [
    project('unit'),
    project('integration', { testTimeout: 30_000 }),
    project('e2e', { testTimeout: 120_000 }),
  ],
};

export default config;
