import autocannon from 'autocannon';

/**
 * One route under load with autocannon: a warm-up first (serverless-offline starts a
 * worker per concurrent call, and a cold start is not what is being measured), then the
 * measured run. Latency is recorded, never asserted: this machine is shared.
 */
export const CONNECTIONS = 10;
const WARMUP_PER_CONNECTION = 5;

export interface LoadFigures {
  route: string;
  connections: number;
  seconds: number;
  /** Answered requests (2xx and not). */
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  /** Connection errors and timeouts, as autocannon counts them. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  warmup: { requests: number; non2xx: number; errors: number };
}

const statusCodes = (result: autocannon.Result) =>
  Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));

export async function underLoad(route: string, url: string, request: autocannon.Request, seconds: number): Promise<LoadFigures> {
  const warm = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: CONNECTIONS * WARMUP_PER_CONNECTION,
    timeout: 60,
    requests: [request],
  });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, timeout: 10, requests: [request] });
  const requests = result['2xx'] + result.non2xx;
  return {
    route,
    connections: CONNECTIONS,
    seconds: result.duration,
    requests,
    requestsPerSecond: Math.round((requests / result.duration) * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: statusCodes(result),
    warmup: { requests: warm['2xx'] + warm.non2xx, non2xx: warm.non2xx, errors: warm.errors },
  };
}
