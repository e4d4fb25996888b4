import type { Config } from 'jest';

// middy ships ES modules only; ts-jest turns them into CommonJS like our own files.
const tsJest: [string, Record<string, unknown>] = [
  'ts-jest',
  { tsconfig: { module: 'commonjs', moduleResolution: 'node10', allowJs: true, isolatedModules: true } },
];
const transform: Config['transform'] = {
  '^.+\\.ts$': tsJest,
  '^.+/node_modules/@middy/.+\\.js$': tsJest,
};

const project = (name: string, extra: Partial<Config> = {}): Config => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

const config: Config = {
  // Per-project timeouts are not honoured by jest; slow hooks pass their own.
  testTimeout: 30_000,
  projects: [
    project('unit'),
    // A request the Infobip sandbox refuses on schema grounds fails the suite unless declared.
    project('integration', { setupFilesAfterEnv: ['<rootDir>/test/support/sandboxConformance.ts'] }),
    project('e2e'),
    // `serverless package --stage prod` offline, then assertions on its CloudFormation.
    project('template'),
  ],
};

export default config;
