/**
 * What CloudWatch makes of embedded metric format lines: each document gives, for each of
 * its dimension sets, one datapoint per metric with those dimensions' values. Enough for
 * tests to read the metrics a handler printed and to run the template's alarms on them.
 */

export interface Datapoint {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  /** The sum of the document's values (EMF allows a list). */
  value: number;
  values: number[];
}

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

export function datapointsOf(lines: readonly string[]): Datapoint[] {
  return lines.flatMap((line) => {
    const doc = JSON.parse(line) as EmfDocument;
    return doc._aws.CloudWatchMetrics.flatMap(({ Namespace, Dimensions, Metrics }) =>
      Dimensions.flatMap((set) =>
        Metrics.map(({ Name, Unit }) => {
          const raw = doc[Name];
          const values = (Array.isArray(raw) ? raw : [raw]).map(Number);
          return {
            namespace: Namespace,
            name: Name,
            unit: Unit,
            dimensions: Object.fromEntries(set.map((key) => [key, String(doc[key])])),
            value: values.reduce((a, b) => a + b, 0),
            values,
          };
        }),
      ),
    );
  });
}

/** The Sum statistic of a metric over the datapoints whose dimensions include `dimensions`. */
export function sumOf(points: readonly Datapoint[], name: string, dimensions: Record<string, string> = {}): number {
  return points
    .filter((p) => p.name === name && Object.entries(dimensions).every(([k, v]) => p.dimensions[k] === v))
    .reduce((total, p) => total + p.value, 0);
}
