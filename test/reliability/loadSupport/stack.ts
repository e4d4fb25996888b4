import IORedis from 'ioredis';
import { startLocalStack, type LocalStack } from '../../../tools/stack';

/**
 * The local stack for the load tests, with its output kept short (the last lines only,
 * shown when something fails), and a Redis connection to check and clean up what the
 * run wrote: the Redis server may be a developer's or another run's, so only our keys go.
 */
export interface LoadStack {
  stack: LocalStack;
  redis: IORedis;
  /** The stack's lines that are not the routine ones of a request that went well. */
  problems: string[];
  recentOutput(): string;
  stop(): Promise<void>;
}

const KEEP_LINES = 60;
/** What the stack prints for a request that went well: its functions' runbook and forwarding lines, serverless-offline's, the sandbox's and the sink's. */
const ROUTINE = [
  /^\s*$/,
  /^\[IMCHANNEL\] \[\w+\] (Message received |Report received |request to \[|response of \[|Request received for ID |\[REDIS\] Get message |Set expire for key |Forwarded |Duplicate )/,
  /^(GET|HEAD|POST) \/\S+ \(λ: \w+\)$/,
  /^\(λ: \w+\) RequestId: \S+ {2}Duration: [\d.]+ ms {2}Billed Duration: \d+ ms$/,
  /^\[ctlive-sink\] received /,
  /^\[infobip-sandbox\] (POST \/omni\/1\/advanced -> 200 |media (HEAD|GET) \S+ -> 200|delivery report \(\d+ results?\) -> \S+ 200 \(attempt \d+\)$)/,
];

export async function startLoadStack(env: Record<string, string> = {}): Promise<LoadStack> {
  const recent: string[] = [];
  const problems: string[] = [];
  const output = (line: string) => {
    if (!ROUTINE.some((routine) => routine.test(line))) problems.push(line.slice(0, 500));
    recent.push(line);
    if (recent.length > KEEP_LINES) recent.shift();
  };
  // Customers' files are not copied here: the webhook's own load is what these runs measure,
  // and the copier has a load run of its own (load.test.ts, a batch of 2,000 photos).
  const stack = await startLocalStack({ freePorts: true, env: { INBOUND_MEDIA_COPIER: '', ...env }, output }).catch(
    (error: unknown) => {
      throw new Error(`the local stack did not start: ${String(error)}\n${recent.join('\n')}`);
    },
  );
  const redis = new IORedis(stack.redisUrl, { maxRetriesPerRequest: 2 });
  return {
    stack,
    redis,
    problems,
    recentOutput: () => recent.join('\n'),
    async stop() {
      redis.disconnect();
      await stack.stop();
    },
  };
}

/** Deletes exactly these keys, a few hundred per call. */
export async function deleteKeys(redis: IORedis, keys: readonly string[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < keys.length; i += 500) removed += await redis.del(...keys.slice(i, i + 500));
  return removed;
}

/** Values of these keys, in order, a few hundred per call. */
export async function readKeys(redis: IORedis, keys: readonly string[]): Promise<(string | null)[]> {
  const values: (string | null)[] = [];
  for (let i = 0; i < keys.length; i += 500) values.push(...(await redis.mget(...keys.slice(i, i + 500))));
  return values;
}
