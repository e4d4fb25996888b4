import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';

/**
 * Every command the suite's own redis-server receives, seen through MONITOR. `settle()`
 * sends a marker command and waits until MONITOR has shown it, so that whatever a handler
 * sent before is in `commands` too: "never reached Redis" is then a checked fact.
 */
export interface RedisMonitor {
  commands: string[][];
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedisMonitor(url: string): Promise<RedisMonitor> {
  const commands: string[][] = [];
  const waiting = new Map<string, () => void>();
  const client = new IORedis(url, { maxRetriesPerRequest: 1 });
  const monitor = await client.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => {
    const marker = args[0]?.toLowerCase() === 'echo' ? waiting.get(args[1] ?? '') : undefined;
    if (marker) marker();
    else commands.push(args);
  });
  const pinger = new IORedis(url, { maxRetriesPerRequest: 1 });
  return {
    commands,
    async settle() {
      const token = `settle-${randomUUID()}`;
      const seen = new Promise<void>((resolve) => waiting.set(token, resolve));
      await pinger.echo(token);
      await seen;
      waiting.delete(token);
    },
    async close() {
      monitor.disconnect();
      client.disconnect();
      pinger.disconnect();
    },
  };
}
