import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Counts and durations in CloudWatch's embedded metric format (EMF): JSON lines written
 * next to the log lines, which CloudWatch turns into metrics with no API call on the
 * request path. Every metric has the dimensions `service`, `stage` and `function`; a few
 * add one or two of their own, from small fixed sets (cardinality costs money). The
 * names, dimensions and the alarms on them: docs/operations.md, "Metrics and alarms".
 */

/** Each metric name and its unit: the one list the code, the template and the docs use. */
export const METRIC_UNITS = {
  /** Every invocation of an HTTP function, and how it ended (http stack). */
  Requests: MetricUnit.Count,
  ServerErrors: MetricUnit.Count,
  ClientErrors: MetricUnit.Count,
  /** Webhooks: results in the body, and what became of each. */
  ResultsReceived: MetricUnit.Count,
  Forwarded: MetricUnit.Count,
  Duplicates: MetricUnit.Count,
  ForwardFailures: MetricUnit.Count,
  NotForwarded: MetricUnit.Count,
  ForwardDuration: MetricUnit.Milliseconds,
  /** onDeliveryReport, by `statusGroup`. */
  DeliveryReports: MetricUnit.Count,
  /** Send functions, by `outcome`. */
  Sends: MetricUnit.Count,
  /** Free-form sends to a closed 24-hour window, by `outcome`: SENT (policy warn) or REFUSED (enforce). */
  ClosedWindowSends: MetricUnit.Count,
  /** By `status` (HTTP status or `none`) and `code` (Infobip's serviceException id, or ours). */
  InfobipErrors: MetricUnit.Count,
  InfobipDuration: MetricUnit.Milliseconds,
  MediaBytes: MetricUnit.Bytes,
  /** Media fetch functions, by `method` and `result`. */
  MediaFetches: MetricUnit.Count,
  /** copyInboundMedia: customers' files stored, their bytes, the ones that never will be (by `reason`). */
  InboundMediaCopied: MetricUnit.Count,
  InboundMediaBytes: MetricUnit.Bytes,
  InboundMediaFailures: MetricUnit.Count,
  InboundMediaFailuresByReason: MetricUnit.Count,
  /** How long a copy waited between the webhook's request and its run: the age of the oldest pending copy. */
  InboundMediaCopyAge: MetricUnit.Milliseconds,
} as const;
export type MetricName = keyof typeof METRIC_UNITS;
export type Dimensions = Record<string, string>;

export const METRICS_NAMESPACE = 'IMChannel';

export interface MetricsConfig {
  namespace: string;
  service: string;
  stage: string;
  /** POWERTOOLS_METRICS_DISABLED: record nothing. */
  disabled?: boolean;
}

export interface FunctionMetrics {
  /** Adds to a count of this invocation (value 1 unless given). */
  count(name: MetricName, dimensions?: Dimensions, value?: number): void;
  /** Records one value (a duration, a size) of this invocation. */
  record(name: MetricName, value: number, dimensions?: Dimensions): void;
  /** Writes what this invocation recorded, one EMF line per dimension set, and starts afresh. */
  flush(): void;
}

export type MetricsSink = (line: string) => void;

/** EMF keeps at most 100 values of one metric in one document. */
const MAX_VALUES = 100;
/** A dimension value from the wire (an Infobip code) that is not a short plain word becomes this. */
export const OTHER = 'OTHER';

/** A value safe as a dimension: short, plain, from a small set; anything else is `OTHER`. */
export const dimensionValue = (value: string | number | undefined): string =>
  value !== undefined && /^[A-Za-z0-9_.-]{1,40}$/.test(String(value)) ? String(value) : OTHER;

interface Group {
  dimensions: Dimensions;
  values: Map<MetricName, number[]>;
}

/**
 * One per function and cold start. `sink` receives each EMF document as one line (stdout
 * on Lambda, where CloudWatch reads it); without a sink, or disabled, nothing is recorded.
 */
export function createMetrics(
  tag: string,
  config: MetricsConfig,
  options: { sink?: MetricsSink; warn?: (message: string) => void } = {},
): FunctionMetrics {
  const warn = options.warn ?? (() => undefined);
  const quiet = { debug: () => undefined, info: () => undefined, warn, error: warn };
  const powertools = new PowertoolsMetrics({
    namespace: config.namespace,
    serviceName: config.service,
    defaultDimensions: { stage: config.stage, function: tag },
    logger: quiet,
  });
  const disabled = config.disabled === true || options.sink === undefined;
  const sink = options.sink ?? (() => undefined);
  const groups = new Map<string, Group>();

  const add = (name: MetricName, value: number, dimensions: Dimensions, sum: boolean) => {
    if (disabled || !Number.isFinite(value)) return;
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { dimensions, values: new Map() }));
    const values = group.values.get(name) ?? [];
    if (sum && values.length > 0) values[0] = (values[0] as number) + value;
    else if (values.length < MAX_VALUES) values.push(value);
    group.values.set(name, values);
  };

  return {
    count: (name, dimensions = {}, value = 1) => add(name, value, dimensions, true),
    record: (name, value, dimensions = {}) => add(name, value, dimensions, false),
    flush() {
      try {
        for (const { dimensions, values } of groups.values()) {
          for (const [name, value] of Object.entries(dimensions)) powertools.addDimension(name, value);
          for (const [name, list] of values) for (const v of list) powertools.addMetric(name, METRIC_UNITS[name], v);
          try {
            sink(JSON.stringify(powertools.serializeMetrics()));
          } finally {
            powertools.clearMetrics();
            powertools.clearDimensions();
          }
        }
      } finally {
        groups.clear();
      }
    },
  };
}
