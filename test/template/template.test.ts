import { COPY_RUNS } from '../../lib/inboundMedia/copy';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readZipEntries } from '../../bench/zip';
import { SECRET_VARIABLES } from '../../lib/platform/config';
import { METRIC_UNITS } from '../../lib/platform/metrics';
import { DEPLOYED_FUNCTIONS, DEPLOYED_NAMES, functionsIn } from '../../lib/functions';
import {
  PACKAGE_TIMEOUT_MS,
  REQUIRED_PARAMS,
  ROOT,
  cleanEnv,
  functionOf,
  logicalId,
  packageProd,
  paramArgs,
  resourcesOfType as ofType,
  runPackage,
  type Json,
  type Resource,
  type Template,
} from '../support/packaging';

/**
 * `serverless package --stage prod` exactly as a deploy would run it, offline and with
 * placeholder account parameters, then assertions on the CloudFormation it generates.
 * Packaging takes several seconds, so it runs once for the whole file. Throttles, Function
 * URLs, reserved concurrency and the fetch timeouts: capacity.test.ts.
 */

// Every list below comes from the inventory (lib/functions.ts): a function added there but
// not to serverless.yml, or the other way round, fails these tests.
const FUNCTIONS = DEPLOYED_NAMES;
const WEBHOOKS = functionsIn('webhook').map((fn) => fn.name);
const STREAMING = functionsIn('mediaFetch').map((fn) => fn.name);
const COPIERS = functionsIn('copier').map((fn) => fn.name);
/** A local S3's key pair in a deployer's shell: it must not reach an AWS stage's template. */
const LOCAL_S3_SECRET = `local-s3-secret-${randomBytes(12).toString('hex')}`;
// The names each function really asks SSM for: its role must allow exactly those.
const SECRETS_BY_FUNCTION: Record<string, readonly string[]> = Object.fromEntries(
  DEPLOYED_FUNCTIONS.map((fn) => [fn.name, fn.secrets]),
);

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:imchannel-alarms';
const PARAMS = {
  ...REQUIRED_PARAMS,
  infobipWebhookUsername: 'infobip',
  secretsKmsKeyArn: KMS_KEY,
  alarmTopicArn: TOPIC,
  logRetentionDays: '90',
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const ssmArn = (name: string): Json => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/imchannel/prod/${name}`,
});

let workDir: string;
// Relative, so that it lands in the tree's git-ignored .esbuild*/ (serverless-esbuild joins an
// absolute one to the project folder too, which left tmp/<workDir>/ folders in the tree).
const buildDir = (suffix: string) => `.esbuild-${basename(workDir)}${suffix}`;
let outDir: string;
let template: Template;
let templateText: string;
const secrets: Record<string, string> = {};

const resourcesOfType = (type: string): [string, Resource][] => ofType(template, type);
const fn = (name: string): Json => functionOf(template, name);

function statementsOf(name: string): Statement[] {
  const role = fn(name).Role as { 'Fn::GetAtt': [string, string] };
  const roleResource = template.Resources[role['Fn::GetAtt'][0]];
  if (roleResource?.Type !== 'AWS::IAM::Role') throw new Error(`${name} has no role of its own`);
  const policies = roleResource.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'imchannel-template-'));
  outDir = join(workDir, 'package');
  for (const name of SECRET_VARIABLES) secrets[name] = `test-secret-${name}-${randomBytes(12).toString('hex')}`;
  // A deployer's shell may hold the secrets: none of them may reach the template or the artifacts.
  const env = cleanEnv({
    ...secrets,
    MEDIA_S3_SECRET_ACCESS_KEY: LOCAL_S3_SECRET,
    MEDIA_S3_ACCESS_KEY_ID: 'LOCALKEY',
    MEDIA_S3_ENDPOINT: 'http://127.0.0.1:8075',
    IMCHANNEL_BUILD_DIR: buildDir(''),
  });
  ({ template, text: templateText } = await packageProd(outDir, PARAMS, env));
}, PACKAGE_TIMEOUT_MS);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
  for (const suffix of ['', '-missing']) await rm(join(ROOT, buildDir(suffix)), { recursive: true, force: true });
});

describe('serverless package --stage prod', () => {
  it('declares one route per function and method, all under /imchannel', () => {
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    const expected = [...DEPLOYED_FUNCTIONS.flatMap((fn) => fn.routes.map((r) => `${r.method} ${r.path}`))].sort();
    expect(routes).toEqual(expected);
  });

  it('runs every function on nodejs24.x, arm64, with a timeout under API Gateway 30 s and above Infobip and ctlive client timeouts', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(FUNCTIONS.map((f) => `${logicalId(f)}LambdaFunction`).sort());
    for (const name of FUNCTIONS) {
      const props = fn(name);
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.Architectures).toEqual(['arm64']);
      const timeoutMs = Number(props.Timeout) * 1000;
      // A fetch function also streams large files through its Function URL, which API
      // Gateway's 30 s does not bound; through its routes it answers in one Redis call.
      if (STREAMING.includes(name)) expect(timeoutMs).toBeLessThanOrEqual(120_000);
      // No route: invoked asynchronously, a 100 MB copy must fit.
      else if (COPIERS.includes(name)) expect(timeoutMs).toBeLessThanOrEqual(300_000);
      else expect(timeoutMs).toBeLessThan(30_000);
      const vars = (props.Environment as { Variables: Record<string, string> }).Variables;
      expect(Number(vars.INFOBIP_TIMEOUT_MS)).toBeLessThan(timeoutMs);
      if (vars.CTLIVE_TIMEOUT_MS !== undefined) expect(Number(vars.CTLIVE_TIMEOUT_MS)).toBeLessThan(timeoutMs);
    }
  });

  it('passes the stage parameters to the functions, and the SSM path but no secret', () => {
    const vars = (fn('onMessage').Environment as { Variables: Record<string, string> }).Variables;
    expect(vars).toMatchObject({
      CTLIVE_TARGET: PARAMS.ctliveTarget,
      IMCHANNEL_PUBLIC_URL: PARAMS.publicUrl,
      UPSTASH_REDIS_REST_URL: PARAMS.upstashRedisRestUrl,
      INFOBIP_BASE_URL: PARAMS.infobipBaseUrl,
      INFOBIP_WEBHOOK_USERNAME: PARAMS.infobipWebhookUsername,
      SECRETS_SSM_PATH: '/imchannel/prod/',
    });
    for (const name of SECRET_VARIABLES) expect(vars).not.toHaveProperty(name);
  });

  it('keeps every function log group for the logRetentionDays parameter', () => {
    for (const name of FUNCTIONS) {
      const group = template.Resources[`${logicalId(name)}LogGroup`];
      expect(group?.Properties).toEqual({ LogGroupName: `/aws/lambda/imchannel-prod-${name}`, RetentionInDays: 90 });
    }
  });

  it('gives each function its own role: its log group and exactly the SSM parameters it reads', () => {
    const roles = new Set(FUNCTIONS.map((name) => JSON.stringify(fn(name).Role)));
    expect(roles.size).toBe(FUNCTIONS.length);
    // No role that nothing uses (the framework's shared default role is dropped).
    const declared = resourcesOfType('AWS::IAM::Role').map(([id]) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
    expect(declared.sort()).toEqual([...roles].sort());
    for (const name of FUNCTIONS) {
      const statements = statementsOf(name);
      const logs = statements.filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      expect(logs.flatMap(resourcesOf)).toEqual([
        {
          'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/imchannel-prod-${name}:*:*`,
        },
      ]);
      const ssm = statements.filter((s) => actions(s).some((a) => a.startsWith('ssm:')));
      // A function that reads no secret (methodNotAllowed) may read no parameter at all.
      if (SECRETS_BY_FUNCTION[name]!.length === 0) {
        expect(ssm).toEqual([]);
        continue;
      }
      expect(ssm).toHaveLength(1);
      expect(actions(ssm[0]!).sort()).toEqual(['ssm:GetParameter', 'ssm:GetParameters']);
      expect(resourcesOf(ssm[0]!)).toEqual(SECRETS_BY_FUNCTION[name]!.map(ssmArn));
    }
  });

  it('allows kms:Decrypt on the given key only, and only through SSM in the region', () => {
    for (const name of FUNCTIONS) {
      const kms = statementsOf(name).filter((s) => actions(s).some((a) => a.startsWith('kms:')));
      if (SECRETS_BY_FUNCTION[name]!.length === 0) {
        expect(kms).toEqual([]);
        continue;
      }
      expect(kms).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: KMS_KEY,
          Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } },
        },
      ]);
    }
  });

  it('lets only the webhooks and the copier invoke: the ctlive target (a bare name becomes its ARN), and onMessage the copier', () => {
    const ctlive = { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ctlive-inbound' };
    const copier = { 'Fn::GetAtt': ['CopyInboundMediaLambdaFunction', 'Arn'] };
    for (const name of FUNCTIONS) {
      const invoke = statementsOf(name).filter((s) => actions(s).some((a) => a.startsWith('lambda:')));
      if (WEBHOOKS.includes(name) || COPIERS.includes(name)) {
        for (const statement of invoke) expect(actions(statement)).toEqual(['lambda:InvokeFunction']);
        expect(invoke.flatMap(resourcesOf)).toEqual(name === 'onMessage' ? [ctlive, copier] : [ctlive]);
      } else {
        expect(invoke).toEqual([]);
      }
    }
  });

  it('has no IAM statement on a "*" resource and no path-wide SSM read', () => {
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties.Policies ?? [r.Properties]) as { PolicyDocument: { Statement: Statement[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(resourcesOf(s)).not.toContain('*');
    expect(templateText).not.toContain('GetParametersByPath');
  });

  it('checks at deploy time that the SSM parameters the stage needs exist', () => {
    const parameters = Object.values(template.Parameters ?? {}).filter((p) => p.Type === 'AWS::SSM::Parameter::Name');
    expect(parameters.map((p) => p.Default).sort()).toEqual(
      ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY', 'INFOBIP_REPORT_TOKEN', 'INFOBIP_WEBHOOK_PASSWORD']
        .map((n) => `/imchannel/prod/${n}`)
        .sort(),
    );
  });

  it('saves a Logs Insights query per function tag, one for a message story and one for errors', () => {
    const queries = resourcesOfType('AWS::Logs::QueryDefinition').map(([, r]) => r.Properties);
    const byName = new Map(queries.map((q) => [q.Name as string, q]));
    const allGroups = FUNCTIONS.map((f) => ({ Ref: `${logicalId(f)}LogGroup` }));
    for (const name of FUNCTIONS) {
      const query = byName.get(`imchannel-prod/${name}`);
      expect(query?.LogGroupNames).toEqual([{ Ref: `${logicalId(name)}LogGroup` }]);
      expect(query?.QueryString).toContain(`filter @message like '[IMCHANNEL] [${name}]'`);
    }
    const story = byName.get('imchannel-prod/message story by messageId');
    expect((story?.LogGroupNames as unknown[]).slice().sort()).toEqual(allGroups.slice().sort());
    expect(story?.QueryString).toMatch(/filter messageId = 'MESSAGE_ID'/);
    expect(story?.QueryString).toMatch(/sort @timestamp asc/);
    const errors = byName.get('imchannel-prod/errors');
    expect(errors?.LogGroupNames).toHaveLength(FUNCTIONS.length);
    expect(errors?.QueryString).toContain("filter level = 'ERROR'");
    expect(queries).toHaveLength(FUNCTIONS.length + 2);
  });

  it('counts ERROR, WARN and failed-start lines per function with metric filters on its log group', () => {
    const filters = resourcesOfType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties);
    expect(filters).toHaveLength(FUNCTIONS.length * 3);
    for (const name of FUNCTIONS) {
      const own = filters.filter((f) => JSON.stringify(f.LogGroupName) === JSON.stringify({ Ref: `${logicalId(name)}LogGroup` }));
      expect(Object.fromEntries(own.map((f) => [(f.MetricTransformations as Json[])[0]?.MetricName, f.FilterPattern]))).toEqual({
        [`${name}ErrorLines`]: '{ $.level = "ERROR" }',
        [`${name}WarnLines`]: '{ $.level = "WARN" }',
        [`${name}StartFailures`]: '{ $.level = "ERROR" && $.message = "*Configuration error, the function cannot start*" }',
      });
    }
  });

  it('alarms on real trouble, each notifying the alarmTopicArn, none on a single ERROR line', () => {
    const alarms = new Map(
      resourcesOfType('AWS::CloudWatch::Alarm').map(([, r]) => [r.Properties.AlarmName as string, r.Properties]),
    );
    const perFunction = FUNCTIONS.flatMap((f) => [`imchannel-prod-${f}-5xx`, `imchannel-prod-${f}-cannot-start`]);
    const service = ['forward-failures', 'infobip-errors', 'delivery-failures', 'inbound-silence', 'inbound-media-failures'].map(
      (a) => `imchannel-prod-${a}`,
    );
    expect([...alarms.keys()].sort()).toEqual([...perFunction, ...service].sort());
    for (const alarm of alarms.values()) expect(alarm).toMatchObject({ AlarmActions: [TOPIC], OKActions: [TOPIC] });
    expect([...alarms.values()].some((a) => typeof a.MetricName === 'string' && /Errors$/.test(a.MetricName))).toBe(false);

    // The embedded metrics an alarm reads: IMChannel, with the dimensions lib/platform/metrics.ts writes.
    const stats = (alarm: Json | undefined) =>
      (
        (alarm?.Metrics ?? []) as {
          MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: string }[] } };
        }[]
      )
        .filter((m) => m.MetricStat)
        .map(({ MetricStat }) => {
          const { Namespace, MetricName, Dimensions } = MetricStat!.Metric;
          const dims = Object.fromEntries(Dimensions.map((d) => [d.Name, d.Value]));
          expect(Namespace).toBe('IMChannel');
          expect(dims).toMatchObject({ service: 'imchannel', stage: 'prod' });
          return `${MetricName}:${dims.function}${dims.statusGroup ? `:${dims.statusGroup}` : ''}`;
        })
        .sort();
    const expression = (alarm: Json | undefined) =>
      ((alarm?.Metrics ?? []) as { Expression?: string; ReturnData?: boolean }[]).find((m) => m.ReturnData)?.Expression;

    const fiveXx = alarms.get('imchannel-prod-sendMessage-5xx');
    expect(stats(fiveXx)).toEqual(['Requests:sendMessage', 'ServerErrors:sendMessage']);
    expect(expression(fiveXx)).toBe('IF(errors >= 5 AND errors / requests >= 0.05, 1, 0)');
    expect(stats(alarms.get('imchannel-prod-forward-failures'))).toEqual(WEBHOOKS.map((f) => `ForwardFailures:${f}`).sort());
    const senders = functionsIn('send', 'mediaSend').map((f) => f.name);
    expect(stats(alarms.get('imchannel-prod-infobip-errors'))).toEqual(senders.map((f) => `InfobipErrors:${f}`).sort());
    expect(stats(alarms.get('imchannel-prod-delivery-failures'))).toEqual(
      ['DELIVERED', 'EXPIRED', 'REJECTED', 'UNDELIVERABLE'].map((g) => `DeliveryReports:onDeliveryReport:${g}`),
    );
    expect(expression(alarms.get('imchannel-prod-delivery-failures'))).toBe('IF(final >= 10 AND failed / final >= 0.2, 1, 0)');
    expect(alarms.get('imchannel-prod-inbound-silence')).toMatchObject({
      Namespace: 'IMChannel',
      MetricName: 'ResultsReceived',
      Period: 3600,
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('gives every function the metrics namespace, service and stage it writes its EMF with', () => {
    for (const name of FUNCTIONS) {
      expect((fn(name).Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'IMChannel',
        POWERTOOLS_SERVICE_NAME: 'imchannel',
        IMCHANNEL_STAGE: 'prod',
        POWERTOOLS_METRICS_DISABLED: 'false',
      });
    }
  });

  it('has a dashboard of the alarms and of every metric', () => {
    const dashboards = resourcesOfType('AWS::CloudWatch::Dashboard').map(([, r]) => r.Properties);
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.DashboardName).toBe('imchannel-prod');
    const body = (dashboards[0]?.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    const alarmIds = resourcesOfType('AWS::CloudWatch::Alarm').map(([id]) => id);
    for (const id of alarmIds) expect(body).toContain(`\${${id}.Arn}`);
    type Widget = { type: string; properties: { metrics?: (string | { expression?: string })[][] } };
    const widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
    expect(widgets.filter((w) => w.type === 'alarm')).toHaveLength(1);
    // Every metric a graph reads: [namespace, name, …] rows, and the names its SEARCH expressions ask for.
    const shown = new Set(
      widgets.flatMap((w) =>
        (w.properties.metrics ?? []).flatMap((row) =>
          typeof row[0] === 'string'
            ? [`${row[0]}:${String(row[1])}`]
            : [...String((row[0] as { expression?: string }).expression).matchAll(/\{(\w+),.*MetricName="(\w+)"/g)].map(
                (m) => `${m[1]}:${m[2]}`,
              ),
        ),
      ),
    );
    // Every metric the functions write (lib/platform/metrics.ts), not a list kept by hand.
    for (const name of Object.keys(METRIC_UNITS)) expect(shown).toContain(`IMChannel:${name}`);
    for (const f of FUNCTIONS) expect(shown).toContain(`IMChannel/prod:${f}ErrorLines`);
  });

  it('holds none of the secrets of the environment it was packaged in, in the template, the state or any artifact', async () => {
    const files = await readdir(outDir);
    expect(files.filter((f) => f.endsWith('.zip')).sort()).toEqual(FUNCTIONS.map((f) => `${f}.zip`).sort());
    const texts: [string, string][] = [];
    for (const file of files) {
      const bytes = await readFile(join(outDir, file));
      if (file.endsWith('.zip')) {
        for (const entry of readZipEntries(bytes)) texts.push([`${file}:${entry.name}`, entry.read().toString('utf8')]);
      } else {
        texts.push([file, bytes.toString('utf8')]);
      }
    }
    for (const [where, text] of texts) {
      for (const value of Object.values(secrets)) {
        if (text.includes(value)) throw new Error(`a secret value is in ${where}`);
      }
      expect(text).not.toContain('test-secret-');
    }
  });
});

describe('serverless package --stage prod without its parameters', () => {
  it(
    'fails before building, with one line naming each missing parameter',
    async () => {
      const { ctliveTarget: _omitted, ...rest } = PARAMS;
      const { code, output } = await runPackage(
        ['--stage', 'prod', '--package', join(workDir, 'missing'), ...paramArgs(rest)],
        cleanEnv({ IMCHANNEL_BUILD_DIR: buildDir('-missing') }),
      );
      expect(code).not.toBe(0);
      const lines = output.split('\n').filter((l) => l.includes('Missing stage parameter'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('Missing stage parameter "ctliveTarget" for stage "prod"');
      expect(output).not.toMatch(/^\s+at /m); // no stack trace to read past
    },
    PACKAGE_TIMEOUT_MS,
  );

  describe('large files', () => {
    const OBJECTS = { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/media/*' };
    const s3Of = (name: string) => statementsOf(name).filter((s) => actions(s).some((a) => a.startsWith('s3:')));

    it('keeps the media bucket private, encrypted, TLS only, and its objects two days at most', () => {
      const bucket = template.Resources.MediaBucket;
      expect(bucket?.Type).toBe('AWS::S3::Bucket');
      expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(JSON.stringify(bucket?.Properties.BucketEncryption)).toContain('"SSEAlgorithm":"AES256"');
      const rules = (bucket?.Properties.LifecycleConfiguration as { Rules: Json[] }).Rules;
      expect(rules).toContainEqual({ Id: 'ExpireMedia', Status: 'Enabled', Prefix: 'media/', ExpirationInDays: 2 });
      const policy = JSON.stringify(template.Resources.MediaBucketPolicy?.Properties);
      expect(policy).toContain('"aws:SecureTransport":"false"');
      expect(policy).toContain('"Effect":"Deny"');
    });

    it('lets each function do exactly what it needs in the bucket, on media/* only', () => {
      // Customers' files live under inbound/ (and inbound-partial/ while copied): test below.
      const inbound = new Set([...functionsIn('copier'), ...functionsIn('inboundMedia')].map((f) => f.name));
      const expected: Record<string, string[] | undefined> = { createMediaUpload: ['s3:PutObject'] };
      // A media send, and a send whose header may name an upload, check and delete uploads alike.
      const uploadSends = [...functionsIn('mediaSend'), ...DEPLOYED_FUNCTIONS.filter((f) => f.uploads !== undefined)];
      for (const f of uploadSends) expected[f.name] = ['s3:DeleteObject', 's3:GetObject'];
      for (const f of functionsIn('mediaFetch')) expected[f.name] = ['s3:GetObject'];
      const sends = new Set(uploadSends.map((f) => f.name));
      for (const name of FUNCTIONS.filter((n) => !inbound.has(n))) {
        const s3 = s3Of(name);
        if (expected[name] === undefined) {
          expect({ name, s3 }).toEqual({ name, s3: [] });
          continue;
        }
        const onObjects = s3.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(OBJECTS));
        expect(onObjects).toHaveLength(1);
        expect({ name, actions: actions(onObjects[0]!).sort() }).toEqual({ name, actions: expected[name] });
        // A media send may also list the bucket (so that S3 answers 404, not 403, for an upload not made yet).
        const listing = s3.filter((s) => s !== onObjects[0]);
        expect({ name, listing }).toEqual({
          name,
          listing: sends.has(name)
            ? [
                {
                  Effect: 'Allow',
                  Action: ['s3:ListBucket'],
                  Resource: { 'Fn::GetAtt': ['MediaBucket', 'Arn'] },
                },
              ]
            : [],
        });
      }
    });

    it("lets the copier and the inbound route write customers' files under inbound/ only, and keeps them the retention's days", () => {
      for (const f of [...functionsIn('copier'), ...functionsIn('inboundMedia')]) {
        expect(s3Of(f.name)).toEqual([
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: [
              { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/inbound/*' },
              { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/inbound-partial/*' },
            ],
          },
          { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: { 'Fn::GetAtt': ['MediaBucket', 'Arn'] } },
        ]);
      }
      const rules = (template.Resources.MediaBucket?.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules;
      expect(rules).toContainEqual({ Id: 'ExpireInboundMedia', Status: 'Enabled', Prefix: 'inbound/', ExpirationInDays: 30 });
      expect(rules).toContainEqual({
        Id: 'ExpirePartialInboundMedia',
        Status: 'Enabled',
        Prefix: 'inbound-partial/',
        ExpirationInDays: 1,
      });
      const copier = fn('copyInboundMedia');
      expect(copier.ReservedConcurrentExecutions).toBe(5);
      const invokeConfig = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
      expect(invokeConfig?.Properties).toMatchObject({
        // The copier's last run tells ctlive the file is unavailable: it must know which run is the last.
        MaximumRetryAttempts: COPY_RUNS - 1,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['InboundMediaCopyFailures', 'Arn'] } } },
      });
    });

    it("gives each fetch function a streaming Function URL, each media send the URL of its own kind, and a menu send each header kind's", () => {
      for (const f of functionsIn('mediaFetch')) {
        const url = template.Resources[`${logicalId(f.name)}LambdaFunctionUrl`];
        expect(url?.Properties).toMatchObject({ AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
      }
      for (const f of functionsIn('mediaSend')) {
        const vars = (fn(f.name).Environment as { Variables: Record<string, unknown> }).Variables;
        const fetchName = f.name.replace(/^sendWhatsApp(\w+)Message$/, 'onGet$1Message');
        expect(vars.MEDIA_STREAM_URL).toEqual({ 'Fn::GetAtt': [`${logicalId(fetchName)}LambdaFunctionUrl`, 'FunctionUrl'] });
        expect(vars.MEDIA_BUCKET).toEqual({ Ref: 'MediaBucket' });
        expect(vars.MEDIA_FETCH_MODE).toBe('stream');
      }
      // A send of uploads of several kinds (a menu's header) gets each kind's URL.
      for (const f of DEPLOYED_FUNCTIONS.filter((g) => g.uploads !== undefined)) {
        const vars = (fn(f.name).Environment as { Variables: Record<string, unknown> }).Variables;
        for (const kind of f.uploads ?? []) {
          const fetchName = `onGet${kind[0]?.toUpperCase()}${kind.slice(1)}Message`;
          expect(vars[`MEDIA_STREAM_URL_${kind.toUpperCase()}`]).toEqual({
            'Fn::GetAtt': [`${logicalId(fetchName)}LambdaFunctionUrl`, 'FunctionUrl'],
          });
        }
        expect(vars.MEDIA_BUCKET).toEqual({ Ref: 'MediaBucket' });
      }
      const upload = (fn('createMediaUpload').Environment as { Variables: Record<string, unknown> }).Variables;
      expect(upload.MEDIA_BUCKET).toEqual({ Ref: 'MediaBucket' });
    });

    it("takes no local S3 endpoint or key pair from the deployer's shell into an AWS stage", () => {
      expect(templateText).not.toContain(LOCAL_S3_SECRET);
      expect(templateText).not.toContain('LOCALKEY');
      expect(templateText).not.toContain('127.0.0.1:8075');
    });
  });
});
