import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DEPLOYED_FUNCTIONS, FUNCTIONS, THROTTLE_BUDGETS, functionsIn, type ThrottleBudget } from '../../lib/functions';
import { INFOBIP_MEDIA_LIMITS } from '../../lib/platform/config';
import {
  FETCH_MIN_BYTES_PER_SECOND,
  FETCH_UNSTREAMED_SECONDS,
  STREAMING_FETCH_TIMEOUT_SECONDS,
} from '../../lib/media/fetchTimeout';
import {
  PACKAGE_TIMEOUT_MS,
  ROOT,
  cleanEnv,
  functionOf,
  logicalId,
  packageProd,
  resourcesOfType,
  type Template,
} from '../support/packaging';

/**
 * What each route and function may take (resources/capacity.js), in the CloudFormation that
 * `serverless package --stage prod` generates: every route throttled at its group's budget,
 * Function URLs only where `stream` mode needs them, reserved concurrency and per-kind
 * timeouts on the fetch functions. Packaged twice: with serverless.yml's defaults (`stream`),
 * and with `redirect` and budgets of the stage's own.
 */

type Limits = { ThrottlingBurstLimit: number; ThrottlingRateLimit: number };
type Resolve = (address: string) => Promise<unknown>;
interface Capacity {
  budgetParams: (budget: ThrottleBudget) => { rate: string; burst: string };
  buildRouteSettings: (
    inventory: { functions: readonly unknown[]; budgets: Record<string, string> },
    resolveVariable: Resolve,
  ) => Promise<Record<string, Limits>>;
  buildFetchUrl: (resolveVariable: Resolve) => Promise<unknown>;
  fetchReservedConcurrency: (options: { resolveVariable: Resolve }) => Promise<number>;
}
const capacity = createRequire(__filename)(join(ROOT, 'resources', 'capacity.js')) as Capacity;

/** serverless.yml's `params: default:`, as the docs' tables state them. */
const DEFAULT_BUDGETS: Record<ThrottleBudget, Limits> = {
  send: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
  fetch: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
  webhook: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
  default: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
};
const DEFAULT_RESERVED = 10;
/** Each budget's limits unlike any default and any other budget's, so that a route given another's shows. */
const STAGE_BUDGETS = Object.fromEntries(
  Object.keys(DEFAULT_BUDGETS).map((budget, i) => [budget, { ThrottlingRateLimit: 1 + i, ThrottlingBurstLimit: 11 + i }]),
) as Record<ThrottleBudget, Limits>;
const STAGE_RESERVED = 4;
const stageParams = (budgets: Record<ThrottleBudget, Limits>): Record<string, string> =>
  Object.fromEntries(
    (Object.keys(budgets) as ThrottleBudget[]).flatMap((budget) => {
      const names = capacity.budgetParams(budget);
      return [
        [names.rate, String(budgets[budget].ThrottlingRateLimit)],
        [names.burst, String(budgets[budget].ThrottlingBurstLimit)],
      ];
    }),
  );

const FETCHES = functionsIn('mediaFetch');
const budgetOf = (group: string): ThrottleBudget => THROTTLE_BUDGETS[group as keyof typeof THROTTLE_BUDGETS];
/** Every deployed route key, with the budget of its function's group. */
const ROUTE_BUDGETS = new Map(
  DEPLOYED_FUNCTIONS.flatMap((fn) => fn.routes.map((r) => [`${r.method} ${r.path}`, budgetOf(fn.group)] as const)),
);

/** Resolves `param:<name>, ''` from a plain object, as the framework does from the stage. */
const resolver =
  (params: Record<string, string>): Resolve =>
  async (address) => {
    const match = /^param:([A-Za-z]+), ''$/.exec(address);
    if (!match?.[1]) throw new Error(`unexpected variable ${address}`);
    return params[match[1]] ?? '';
  };
const DEFAULT_PARAMS = { ...stageParams(DEFAULT_BUDGETS), mediaFetchMode: 'stream' };

let workDir: string;
const buildDir = (suffix: string) => `.esbuild-${basename(workDir)}${suffix}`;

const packaged = async (suffix: string, params: Record<string, string>): Promise<Template> =>
  (await packageProd(join(workDir, `package${suffix}`), params, cleanEnv({ IMCHANNEL_BUILD_DIR: buildDir(suffix) }))).template;

/** Each route key throttled at its group's budget, the stage's default at `default`'s, and the stage waiting for every route. */
function expectThrottled(template: Template, budgets: Record<ThrottleBudget, Limits>) {
  const stage = template.Resources.HttpApiStage!;
  const expected = new Map([...ROUTE_BUDGETS].map(([key, budget]) => [key, budgets[budget]]));
  expect(new Map(Object.entries(stage.Properties.RouteSettings as Record<string, Limits>))).toEqual(expected);
  expect(stage.Properties.DefaultRouteSettings).toEqual(budgets.default);
  // CloudFormation refuses RouteSettings that name a route it has not made yet.
  const dependsOn = new Set([stage.DependsOn ?? []].flat());
  const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
  expect(routes.filter(([id]) => !dependsOn.has(id)).map(([, r]) => r.Properties.RouteKey)).toEqual([]);
}

const urlsOf = (template: Template) =>
  resourcesOfType(template, 'AWS::Lambda::Url').map(
    ([, r]) => (r.Properties.TargetFunctionArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
  );
const fnUrlPermissions = (template: Template) =>
  resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, r]) => r.Properties.FunctionUrlAuthType !== undefined);
const envOf = (template: Template, name: string) =>
  (functionOf(template, name).Environment as { Variables: Record<string, unknown> }).Variables;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'imchannel-capacity-'));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
  for (const suffix of ['-stream', '-redirect', '-refused'])
    await rm(join(ROOT, buildDir(suffix)), { recursive: true, force: true });
});

describe('resources/capacity.js', () => {
  it('throttles every deployed route at its group budget, and no local function', async () => {
    const settings = await capacity.buildRouteSettings(
      { functions: FUNCTIONS, budgets: THROTTLE_BUDGETS },
      resolver(stageParams(STAGE_BUDGETS)),
    );
    expect(new Map(Object.entries(settings))).toEqual(
      new Map([...ROUTE_BUDGETS].map(([key, budget]) => [key, STAGE_BUDGETS[budget]])),
    );
  });

  it('refuses a limit that is not a whole number of at least 1, naming its stage parameter', async () => {
    for (const bad of ['', '0', '-5', '2.5', 'lots']) {
      const params = { ...DEFAULT_PARAMS, throttleWebhookBurstLimit: bad };
      await expect(
        capacity.buildRouteSettings({ functions: FUNCTIONS, budgets: THROTTLE_BUDGETS }, resolver(params)),
      ).rejects.toThrow(`Stage parameter "throttleWebhookBurstLimit" must be a whole number of at least 1, got "${bad}"`);
    }
    await expect(
      capacity.fetchReservedConcurrency({ resolveVariable: resolver({ fetchReservedConcurrency: '0' }) }),
    ).rejects.toThrow('"fetchReservedConcurrency"');
  });

  it('refuses a function group that has no budget, so a new group cannot deploy unthrottled', async () => {
    const functions = [{ name: 'copyAnything', group: 'newGroup', routes: [{ method: 'GET', path: '/imchannel/x' }] }];
    await expect(capacity.buildRouteSettings({ functions, budgets: THROTTLE_BUDGETS }, resolver(DEFAULT_PARAMS))).rejects.toThrow(
      'no throttle budget for group "newGroup"',
    );
  });

  it('gives the fetch functions a streaming Function URL in stream mode only, and refuses another mode', async () => {
    expect(await capacity.buildFetchUrl(resolver({ mediaFetchMode: 'stream' }))).toEqual({ invokeMode: 'RESPONSE_STREAM' });
    expect(await capacity.buildFetchUrl(resolver({ mediaFetchMode: 'redirect' }))).toBe(false);
    await expect(capacity.buildFetchUrl(resolver({ mediaFetchMode: 'proxy' }))).rejects.toThrow('"mediaFetchMode"');
  });
});

describe('the fetch timeouts', () => {
  it("fit each kind's largest file at the minimum rate, within Lambda's 15 minutes", () => {
    for (const spec of FETCHES) {
      const seconds = STREAMING_FETCH_TIMEOUT_SECONDS[spec.kind!];
      const largest = INFOBIP_MEDIA_LIMITS[spec.kind!];
      expect(seconds * FETCH_MIN_BYTES_PER_SECOND).toBeGreaterThan(largest);
      expect(seconds).toBeLessThanOrEqual(900);
    }
    // Sized per kind, not one flat figure: a sticker's stream is not held open as long as a document's.
    expect(STREAMING_FETCH_TIMEOUT_SECONDS).toEqual({ image: 15, audio: 26, video: 26, document: 110, sticker: 11 });
  });
});

describe('serverless package --stage prod with the default capacity (stream mode)', () => {
  let template: Template;
  beforeAll(async () => {
    template = await packaged('-stream', {});
  }, PACKAGE_TIMEOUT_MS);

  it("throttles each route at its group's default budget, and the stage waits for every route", () => {
    expectThrottled(template, DEFAULT_BUDGETS);
  });

  it('gives each fetch function one streaming Function URL, and no other function any', () => {
    expect(urlsOf(template).sort()).toEqual(FETCHES.map((f) => `${logicalId(f.name)}LambdaFunction`).sort());
    for (const f of FETCHES) {
      expect(template.Resources[`${logicalId(f.name)}LambdaFunctionUrl`]?.Properties).toMatchObject({
        AuthType: 'NONE',
        InvokeMode: 'RESPONSE_STREAM',
      });
    }
    expect(fnUrlPermissions(template)).toHaveLength(FETCHES.length);
  });

  it("reserves concurrency for each fetch function and the copier only, and sizes each fetch's timeout to its kind", () => {
    for (const spec of DEPLOYED_FUNCTIONS) {
      const props = functionOf(template, spec.name);
      // The copier's reservation keeps Infobip's 15 downloads/s (its own stage parameter, test/template/template.test.ts).
      if (spec.group === 'copier') continue;
      if (spec.group !== 'mediaFetch') {
        expect({ name: spec.name, reserved: props.ReservedConcurrentExecutions }).toEqual({
          name: spec.name,
          reserved: undefined,
        });
        continue;
      }
      expect({ name: spec.name, reserved: props.ReservedConcurrentExecutions }).toEqual({
        name: spec.name,
        reserved: DEFAULT_RESERVED,
      });
      expect({ name: spec.name, timeout: props.Timeout }).toEqual({
        name: spec.name,
        timeout: STREAMING_FETCH_TIMEOUT_SECONDS[spec.kind!],
      });
    }
  });
});

describe('serverless package --stage prod in redirect mode with budgets of its own', () => {
  let template: Template;
  beforeAll(async () => {
    template = await packaged('-redirect', {
      ...stageParams(STAGE_BUDGETS),
      mediaFetchMode: 'redirect',
      fetchReservedConcurrency: String(STAGE_RESERVED),
    });
  }, PACKAGE_TIMEOUT_MS);

  it("throttles each route at its group's budget as the stage sets it", () => {
    expectThrottled(template, STAGE_BUDGETS);
  });

  it('has no Function URL, and points no media send at one', () => {
    expect(urlsOf(template)).toEqual([]);
    expect(fnUrlPermissions(template)).toEqual([]);
    for (const f of functionsIn('mediaSend')) {
      expect(envOf(template, f.name)).toMatchObject({ MEDIA_FETCH_MODE: 'redirect', MEDIA_STREAM_URL: '' });
    }
    expect(JSON.stringify(template)).not.toContain('FunctionUrl');
  });

  it("reserves the stage's concurrency for each fetch function, and gives each the unstreamed timeout", () => {
    for (const f of FETCHES) {
      expect(functionOf(template, f.name)).toMatchObject({
        ReservedConcurrentExecutions: STAGE_RESERVED,
        Timeout: FETCH_UNSTREAMED_SECONDS,
      });
    }
  });
});

describe('serverless package --stage prod with a bad budget', () => {
  it(
    'fails before building, naming the stage parameter',
    async () => {
      await expect(packaged('-refused', { throttleFetchRateLimit: 'many' })).rejects.toThrow(
        'Stage parameter "throttleFetchRateLimit" must be a whole number of at least 1, got "many"',
      );
    },
    PACKAGE_TIMEOUT_MS,
  );
});
