import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datapointsOf } from './emf';

/**
 * What CloudWatch does with a function's log lines and the template's alarms, for tests:
 * metric filters (the JSON pattern subset resources/cloudwatch.js uses), embedded metrics,
 * and the alarms' metric math, evaluated over one period in which all the lines fall.
 */

const ROOT = resolve(__dirname, '..', '..');

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** resources/cloudwatch.js as packaging runs it, with serverless.yml's functions and default stage parameters. */
export async function cloudwatchResources(
  stage = 'prod',
  overrides: Record<string, string> = {},
): Promise<Record<string, Resource>> {
  // js-yaml (osls reads serverless.yml with it) ships no types: the one call is typed here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { load, FAILSAFE_SCHEMA } = require('js-yaml') as { load: (text: string, o: object) => unknown; FAILSAFE_SCHEMA: object };
  const config = load(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { schema: FAILSAFE_SCHEMA }) as {
    service: string;
    functions: Record<string, unknown>;
    params: { default: Record<string, string> };
  };
  const params = { ...config.params.default, ...overrides };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const build = require(join(ROOT, 'resources', 'cloudwatch.js')) as (resolver: unknown) => Promise<Record<string, Resource>>;
  return build({
    resolveConfigurationProperty: async () => config.functions,
    resolveVariable: async (name: string) => {
      if (name === 'sls:stage') return stage;
      if (name === 'self:service') return config.service;
      const param = /^param:(\w+)/.exec(name)?.[1];
      return param === undefined ? undefined : (params[param] ?? '');
    },
  });
}

type Condition = { path: string[]; op: string; value: string | number };

/** Parses `{ $.a = "x*" && $.b >= 5 }`: the JSON metric filter patterns used here (AND of comparisons). */
export function parseFilterPattern(pattern: string): Condition[] {
  const body = /^\{\s*(.*?)\s*\}$/.exec(pattern.trim())?.[1];
  if (body === undefined) throw new Error(`not a JSON filter pattern: ${pattern}`);
  return body.split('&&').map((part) => {
    const m = /^\s*\$\.([\w.]+)\s*(=|!=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m?.[1] || !m[2] || !m[3]) throw new Error(`unsupported condition "${part}" in ${pattern}`);
    const raw = m[3];
    return { path: m[1].split('.'), op: m[2], value: raw.startsWith('"') ? (JSON.parse(raw) as string) : Number(raw) };
  });
}

const wildcard = (value: string) =>
  new RegExp(
    `^${value
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Whether a log line matches a JSON filter pattern; a line that is not a JSON object never does. */
export function matchesFilter(pattern: string, line: string): boolean {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  return parseFilterPattern(pattern).every(({ path, op, value }) => {
    const field = path.reduce<unknown>(
      (o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined),
      event,
    );
    if (field === undefined) return false;
    if (typeof value === 'string') {
      const equal = typeof field === 'string' && wildcard(value).test(field);
      return op === '=' ? equal : op === '!=' ? !equal : false;
    }
    const n = Number(field);
    if (!Number.isFinite(n)) return false;
    return (
      { '=': n === value, '!=': n !== value, '>=': n >= value, '<=': n <= value, '>': n > value, '<': n < value }[op] ?? false
    );
  });
}

interface Point {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: number;
}

/** Every datapoint CloudWatch would have from these log groups: metric filters' and EMF's. */
export function datapoints(resources: Record<string, Resource>, groups: Record<string, readonly string[]>): Point[] {
  const points: Point[] = [];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Logs::MetricFilter') continue;
    const fn = /^(.*)LogGroup$/.exec((resource.Properties.LogGroupName as { Ref: string }).Ref)?.[1] ?? '';
    const lines = Object.entries(groups).find(([name]) => name.charAt(0).toUpperCase() + name.slice(1) === fn)?.[1] ?? [];
    const [t] = resource.Properties.MetricTransformations as {
      MetricNamespace: string;
      MetricName: string;
      MetricValue: string;
    }[];
    for (const line of lines) {
      if (t && matchesFilter(resource.Properties.FilterPattern as string, line)) {
        points.push({ namespace: t.MetricNamespace, name: t.MetricName, dimensions: {}, value: Number(t.MetricValue) });
      }
    }
  }
  const emf = Object.values(groups).flatMap((lines) => lines.filter((line) => line.includes('"CloudWatchMetrics"')));
  return [...points, ...datapointsOf(emf)];
}

interface MetricSpec {
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: string }[];
}

/** The Sum of one metric (exactly these dimensions, as CloudWatch matches them); undefined: no data. */
function sum(points: readonly Point[], metric: MetricSpec): number | undefined {
  const want = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
  const same = (have: Record<string, string>) =>
    Object.keys(have).length === Object.keys(want).length && Object.entries(want).every(([k, v]) => have[k] === v);
  const hits = points.filter((p) => p.namespace === metric.Namespace && p.name === metric.MetricName && same(p.dimensions));
  return hits.length === 0 ? undefined : hits.reduce((total, p) => total + p.value, 0);
}

/** Metric math as the template writes it: arithmetic, comparisons, AND/OR, IF and FILL. */
export function evaluateExpression(expression: string, values: Record<string, number | undefined>): number | undefined {
  const js = expression.replace(/\bAND\b/g, '&&').replace(/\bOR\b/g, '||');
  if (/[^\w\s.+\-*/()<>=!&|,]/.test(js)) throw new Error(`unsupported metric math: ${expression}`);
  const names = Object.keys(values);
  const IF = (condition: unknown, yes: number, no: number) => (condition ? yes : no);
  const FILL = (value: number | undefined, fill: number) => value ?? fill;
  const run = new Function('IF', 'FILL', ...names, `return (${js});`) as (...args: unknown[]) => unknown;
  const result = run(IF, FILL, ...names.map((n) => values[n]));
  return typeof result === 'number' && Number.isFinite(result) ? result : undefined;
}

/** Whether the alarm is in ALARM after a period holding these datapoints (every period alike). */
export function inAlarm(alarm: Resource, points: readonly Point[]): boolean {
  const p = alarm.Properties;
  let value: number | undefined;
  if (Array.isArray(p.Metrics)) {
    const values: Record<string, number | undefined> = {};
    for (const m of p.Metrics as {
      Id: string;
      MetricStat?: { Metric: MetricSpec };
      Expression?: string;
      ReturnData?: boolean;
    }[]) {
      values[m.Id] = m.MetricStat ? sum(points, m.MetricStat.Metric) : evaluateExpression(m.Expression as string, values);
      if (m.ReturnData) value = values[m.Id];
    }
  } else {
    value = sum(points, p as unknown as MetricSpec);
  }
  if (value === undefined) return p.TreatMissingData === 'breaching';
  const threshold = p.Threshold as number;
  switch (p.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      throw new Error(`unsupported operator ${String(p.ComparisonOperator)}`);
  }
}

/** The names of the alarms in ALARM after a period in which these log groups got these lines. */
export function alarmsRaised(resources: Record<string, Resource>, groups: Record<string, readonly string[]>): string[] {
  const points = datapoints(resources, groups);
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && inAlarm(r, points))
    .map((r) => r.Properties.AlarmName as string)
    .sort();
}
