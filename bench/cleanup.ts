import IORedis from 'ioredis';
import { redisKeys } from '../lib/platform/redis';
import type { LocalStack } from '../tools/stack';

/**
 * What the bench leaves in Redis, for cleanup: its files, and the de-duplication keys of
 * its webhooks. Inbound message ids carry the prefix; files and delivery-report ids are
 * read off the sandbox's records, which see every send that reached Infobip, including the
 * ones whose answer autocannon never read because the run ended first.
 */
export interface BenchLeftovers {
  mediaIds: Set<string>;
  messageIds: Set<string>;
  webhookMessageIdPrefix: string;
}

export function newLeftovers(webhookMessageIdPrefix: string): BenchLeftovers {
  return { mediaIds: new Set(), messageIds: new Set(), webhookMessageIdPrefix };
}

/** Called before each sandbox reset: what the sandbox saw is what this run stored. */
export function harvest(stack: LocalStack, leftovers: BenchLeftovers): void {
  for (const fetched of stack.sandbox.mediaFetches) {
    const id = new URL(fetched.url).pathname.split('/').pop();
    if (id) leftovers.mediaIds.add(id);
  }
  for (const report of stack.sandbox.deliveryReports) {
    const results = (report.body as { results?: unknown } | null)?.results;
    for (const result of Array.isArray(results) ? results : []) {
      const messageId = (result as { messageId?: unknown } | null)?.messageId;
      if (typeof messageId === 'string') leftovers.messageIds.add(messageId);
    }
  }
}

/**
 * The local stack may reuse a developer's running Redis: remove exactly what this run
 * wrote (its files, and the de-duplication keys of its own message ids), nothing else.
 * Returns how many keys were removed.
 */
export async function removeLeftovers(redisUrl: string, leftovers: BenchLeftovers): Promise<number> {
  const redis = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = [...leftovers.mediaIds].map((id) => redisKeys.media(id));
    const ours = (key: string) => {
      const messageId = key.slice(key.lastIndexOf(':') + 1);
      return messageId.startsWith(leftovers.webhookMessageIdPrefix) || leftovers.messageIds.has(messageId);
    };
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', redisKeys.webhookEvent('*', '*'), 'COUNT', 1000);
      keys.push(...found.filter(ours));
      cursor = next;
    } while (cursor !== '0');
    let removed = 0;
    for (let i = 0; i < keys.length; i += 500) removed += await redis.del(...keys.slice(i, i + 500));
    return removed;
  } finally {
    redis.disconnect();
  }
}
