/**
 * lib/inbound/dedupe.ts on a real Redis, through the Upstash REST proxy and the real client: the
 * claim owner is what lets a retried claim call recognise its own claim, and lets a failed
 * one be cleaned up without touching anyone else's.
 */
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { createDedupe, type DedupeKey } from '../../lib/inbound/dedupe';
import { accountKeys, createRedis, redisKeys } from '../../lib/platform/redis';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = `proxy-${randomUUID()}`;

let proxy: UpstashProxy;
let direct: IORedis;
const used: string[] = [];

const keyOf = (messageId: string): DedupeKey => {
  used.push(redisKeys.webhookEvent('message', messageId));
  return { kind: 'message', messageId };
};
const stored = (key: DedupeKey) => direct.get(redisKeys.webhookEvent(key.kind, key.messageId));

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: TOKEN });
  direct = new IORedis(REDIS_URL);
});

afterAll(async () => {
  if (used.length > 0) await direct.del(...used);
  direct.disconnect();
  await proxy.close();
});

const dedupe = () => createDedupe(createRedis({ url: proxy.url, token: TOKEN }));

describe('createDedupe on a real Redis', () => {
  it('a claim call repeated by the same request finds its own claim: still claimed, not in flight', async () => {
    const d = dedupe();
    const key = keyOf(`m-${randomUUID()}`);

    expect(await d.claim([key], 'owner-1')).toEqual(['claimed']);
    expect(await d.claim([key], 'owner-1')).toEqual(['claimed']);
    expect(await d.claim([key], 'owner-2')).toEqual(['inFlight']);
  });

  it('a done result is a duplicate for everyone, whoever claimed it', async () => {
    const d = dedupe();
    const key = keyOf(`m-${randomUUID()}`);
    await d.claim([key], 'owner-1');

    await d.settle([key], []);

    expect(await d.claim([key], 'owner-1')).toEqual(['done']);
    expect(await d.claim([key], 'owner-2')).toEqual(['done']);
    expect(await direct.ttl(redisKeys.webhookEvent(key.kind, key.messageId))).toBeGreaterThan(86_000);
  });

  it('the same messageId in two Infobip accounts is two results: claimed, done and reported apart', async () => {
    const d = dedupe();
    const messageId = `m-${randomUUID()}`;
    const other = 'yyyy.api.infobip.com';
    const own = keyOf(messageId);
    const theirs: DedupeKey = { kind: 'message', messageId, account: other };
    used.push(accountKeys(other).webhookEvent('message', messageId), accountKeys(other).reported(messageId));
    used.push(redisKeys.reported(messageId));

    expect(await d.claim([own], 'owner-1')).toEqual(['claimed']);
    await d.settle([own], []);
    expect(await d.claim([theirs], 'owner-2')).toEqual(['claimed']);
    await d.settle([theirs], [], [{ event: 'seen', messageId, account: other }]);

    expect(await d.claim([own, theirs], 'owner-3')).toEqual(['done', 'done']);
    expect(await direct.get(accountKeys(other).webhookEvent('message', messageId))).toBe('done');
    expect(await direct.get(accountKeys(other).reported(messageId))).toBe('{"event":"seen"}');
    expect(await direct.exists(redisKeys.reported(messageId))).toBe(0);
  });

  it('abandon removes only the claims its owner still holds', async () => {
    const d = dedupe();
    const mine = keyOf(`m-${randomUUID()}`);
    const theirs = keyOf(`m-${randomUUID()}`);
    const finished = keyOf(`m-${randomUUID()}`);
    const never = keyOf(`m-${randomUUID()}`);
    await d.claim([mine], 'owner-1');
    await d.claim([theirs], 'owner-2');
    await d.claim([finished], 'owner-1');
    await d.settle([finished], []);

    await d.abandon([mine, theirs, finished, never], 'owner-1');

    expect(await stored(mine)).toBeNull();
    expect(await stored(theirs)).toBe('forwarding:owner-2');
    expect(await stored(finished)).toBe('done');
    expect(await stored(never)).toBeNull();
  });

  it('settle releases failed claims so the next request can take them', async () => {
    const d = dedupe();
    const key = keyOf(`m-${randomUUID()}`);
    await d.claim([key], 'owner-1');

    await d.settle([], [key]);

    expect(await d.claim([key], 'owner-2')).toEqual(['claimed']);
  });
});
