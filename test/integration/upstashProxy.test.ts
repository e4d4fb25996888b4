/**
 * The proxy against the real @upstash/redis client and a real redis-server. Values are
 * chosen to break proxies that skip or misapply the base64 response encoding.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from '@upstash/redis';
import IORedis from 'ioredis';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = `test-token-${randomUUID()}`;

let proxy: UpstashProxy;
let direct: IORedis;
let resp2: IORedis; // the reference for reply shapes
let redis: Redis; // defaults: auto-pipelining and base64 responses on
let raw: Redis; // automaticDeserialization off
const usedKeys: string[] = [];

function key(): string {
  const k = `test:upstashProxy:${randomUUID()}`;
  usedKeys.push(k);
  return k;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}
const b64 = { 'Upstash-Encoding': 'base64' };

type Reply = null | number | string | Reply[];

/** Undoes `Upstash-Encoding: base64` as the client does: every string but a top-level OK. */
function decodeEntry(entry: unknown): unknown {
  const decode = (value: unknown): unknown =>
    typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : Array.isArray(value) ? value.map(decode) : value;
  const { result, error } = entry as { result?: unknown; error?: string };
  if (error !== undefined) return { error };
  return { result: result === 'OK' ? 'OK' : decode(result) };
}

/** What Redis itself answers over RESP2, as the proxy should pass it on. */
async function referenceReply([name, ...args]: (string | number)[]): Promise<{ result: Reply } | { error: string }> {
  try {
    return { result: (await resp2.call(String(name).toUpperCase(), ...args)) as Reply };
  } catch (e: unknown) {
    return { error: (e as Error).message };
  }
}

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: TOKEN });
  direct = new IORedis(REDIS_URL);
  resp2 = new IORedis(REDIS_URL, { protocol: 2 });
  redis = new Redis({ url: proxy.url, token: TOKEN });
  raw = new Redis({ url: proxy.url, token: TOKEN, automaticDeserialization: false });
});

afterAll(async () => {
  if (usedKeys.length > 0) await direct.del(...usedKeys);
  direct.disconnect();
  resp2.disconnect();
  await proxy.close();
});

describe('values round-trip through the real client (base64 encoding, auto-pipelining)', () => {
  it.each([
    ['plain text that is also valid base64', 'abcd'],
    ['base64 of another string', 'SGVsbG8='],
    ['unicode', 'héllo 🌍 日本'],
    // Sent as a literal top-level "OK", which the client keeps as is (see the wire test below).
    ['the status word OK', 'OK'],
  ])('%s: %j comes back unchanged, and Redis holds the same bytes', async (_label, value) => {
    const k = key();
    expect(await redis.set(k, value)).toBe('OK');
    expect(await redis.get(k)).toBe(value);
    expect(await raw.get(k)).toBe(value);
    expect(await direct.get(k)).toBe(value);
  });

  it('a 4 MiB random base64 string round-trips', async () => {
    const k = key();
    const value = randomBytes(3 * 1024 * 1024).toString('base64');
    expect(value.length).toBe(4 * 1024 * 1024);
    await redis.set(k, value, { ex: 60 });
    expect(await redis.get(k)).toBe(value);
    expect(await direct.strlen(k)).toBe(value.length);
  });

  it('a JSON object is stored as JSON text and deserialized again (only by the default client)', async () => {
    const k = key();
    const value = { id: 'm-1', text: 'héllo', n: 3, nested: [1, 'OK', null] };
    await redis.set(k, value);
    expect(await redis.get(k)).toEqual(value);
    expect(await raw.get(k)).toBe(JSON.stringify(value));
    expect(JSON.parse((await direct.get(k)) ?? 'null')).toEqual(value);
  });

  it('a missing key is null', async () => {
    expect(await redis.get(key())).toBeNull();
    expect(await raw.get(key())).toBeNull();
  });

  it('SET NX EX claims once: "OK", then null, and the key has a TTL', async () => {
    const k = key();
    expect(await redis.set(k, 'first', { nx: true, ex: 60 })).toBe('OK');
    expect(await redis.set(k, 'second', { nx: true, ex: 60 })).toBeNull();
    expect(await redis.get(k)).toBe('first');
    const ttl = await redis.ttl(k);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('GETEX returns the value and sets the new TTL', async () => {
    const k = key();
    await redis.set(k, 'abcd', { ex: 600 });
    expect(await redis.getex(k, { ex: 5 })).toBe('abcd');
    const ttl = await redis.ttl(k);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5);
  });

  it('DEL counts deleted keys and INCR counts up as numbers', async () => {
    const [k, counter] = [key(), key()];
    await redis.set(k, 'x');
    expect(await redis.del(k)).toBe(1);
    expect(await redis.del(k)).toBe(0);
    expect(await redis.get(k)).toBeNull();
    expect(await redis.incr(counter)).toBe(1);
    expect(await redis.incr(counter)).toBe(2);
  });

  it('an explicit pipeline returns results in order, and a failing entry rejects exec', async () => {
    const [k, counter] = [key(), key()];
    expect(await redis.pipeline().set(k, 'SGVsbG8=').get(k).incr(counter).exec()).toEqual(['OK', 'SGVsbG8=', 1]);
    await expect(redis.pipeline().set(k, 'text').incr(k).exec()).rejects.toThrow(
      /Command 2 \[ incr \] failed: ERR value is not an integer/,
    );
  });

  it('MULTI/EXEC runs atomically and returns every result', async () => {
    const [k, counter] = [key(), key()];
    expect(await redis.multi().set(k, 'abcd').get(k).incr(counter).incr(counter).exec()).toEqual(['OK', 'abcd', 1, 2]);
  });

  it('concurrent commands are batched into one /pipeline request', async () => {
    const keys = Array.from({ length: 10 }, key);
    await direct.mset(...keys.flatMap((k, i) => [k, `value-${i}`]));
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      const values = await Promise.all(keys.map((k) => redis.get(k)));
      expect(values).toEqual(keys.map((_k, i) => `value-${i}`));
      expect(fetchSpy.mock.calls.map(([url]) => String(url))).toEqual([`${proxy.url}/pipeline`]);
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

describe('wire format', () => {
  it('base64-encodes every string except a top-level OK; numbers and null stay as they are', async () => {
    const [k, okValue, counter] = [key(), key(), key()];
    expect(await post('/', ['SET', k, 'abcd'], b64)).toEqual({ status: 200, body: { result: 'OK' } });
    expect((await post('/', ['GET', k], b64)).body).toEqual({ result: 'YWJjZA==' });
    expect((await post('/', ['GET', k])).body).toEqual({ result: 'abcd' });
    expect((await post('/', ['INCR', counter], b64)).body).toEqual({ result: 1 });
    // A stored "OK" is indistinguishable from the status once ioredis has read it: it goes
    // out literally at the top level, where the client does not decode it anyway ...
    await direct.set(okValue, 'OK');
    expect((await post('/', ['GET', okValue], b64)).body).toEqual({ result: 'OK' });
    // ... but inside arrays the client decodes every string, so there it must be encoded.
    expect((await post('/', ['MGET', okValue, k, key()], b64)).body).toEqual({ result: ['T0s=', 'YWJjZA==', null] });
  });

  it('returns arbitrary bytes exactly, which UTF-8 alone could not carry', async () => {
    const k = key();
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), randomBytes(4096)]);
    await direct.set(k, bytes);
    const { body } = await post('/', ['GET', k], b64);
    expect(Buffer.from((body as { result: string }).result, 'base64').equals(bytes)).toBe(true);
  });

  it('sends numbers in the command as their string form', async () => {
    const k = key();
    expect((await post('/', ['SET', k, 42, 'EX', 60])).body).toEqual({ result: 'OK' });
    expect(await direct.get(k)).toBe('42');
    expect(await direct.ttl(k)).toBeGreaterThan(50);
  });

  it('reports Redis errors as 400 on / and per entry in a pipeline or transaction', async () => {
    const k = key();
    await direct.set(k, 'text');
    expect(await post('/', ['INCR', k])).toEqual({
      status: 400,
      body: { error: 'ERR value is not an integer or out of range' },
    });
    expect(
      await post(
        '/pipeline',
        [
          ['GET', k],
          ['INCR', k],
        ],
        b64,
      ),
    ).toEqual({
      status: 200,
      body: [{ result: 'dGV4dA==' }, { error: 'ERR value is not an integer or out of range' }],
    });
    expect(
      await post(
        '/multi-exec',
        [
          ['GET', k],
          ['INCR', k],
        ],
        b64,
      ),
    ).toEqual({
      status: 200,
      body: [{ result: 'dGV4dA==' }, { error: 'ERR value is not an integer or out of range' }],
    });
  });

  it('rejects a transaction with a bad command as a whole, running none of it', async () => {
    const k = key();
    const { status, body } = await post('/multi-exec', [['SET', k, 'v'], ['NOSUCHCOMMAND']]);
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/^EXECABORT/);
    expect(await direct.exists(k)).toBe(0);
  });

  it('answers bad JSON and malformed commands with 400', async () => {
    expect((await post('/', '{"not json')).status).toBe(400);
    expect((await post('/', { command: 'GET' })).status).toBe(400);
    expect((await post('/pipeline', ['GET', 'k'])).status).toBe(400);
    expect((await post('/', ['GET', { nested: true }])).status).toBe(400);
  });

  it('supports the /command/arg path form', async () => {
    const k = key();
    await direct.set(k, 'héllo');
    const res = await fetch(`${proxy.url}/get/${encodeURIComponent(k)}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(await res.json()).toEqual({ result: 'héllo' });
    const malformed = await fetch(`${proxy.url}/get/%E0%A4%A`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(malformed.status).toBe(400);
  });
});

/**
 * Upstash answers in Redis's RESP2 shapes (maps as flat arrays, scores as strings, nested
 * arrays as they are), so the reference is ioredis speaking RESP2 (`protocol: 2`), with the
 * command name upper-cased: ioredis keys its reply reshaping (HGETALL into an object) by the
 * lower-case name, so an upper-case name gives the reply exactly as Redis sent it.
 */
describe('reply shapes: what Redis answers over RESP2, for every reply type', () => {
  type Command = (k: string) => (string | number)[];
  const setups = {
    string: (k) => direct.set(k, 'héllo'),
    hash: (k) => direct.hset(k, 'f1', 'v1', 'f2', '2', 'f3', '{"a":1}'),
    list: (k) => direct.rpush(k, 'a', 'b', 'OK', 'c'),
    set: (k) => direct.sadd(k, 'x', 'y', 'z'),
    zset: (k) => direct.zadd(k, 1, 'one', 2.5, 'two and a half', -3, 'minus three'),
    stream: async (k) => {
      await direct.xadd(k, '1-1', 'field', 'value');
      await direct.xadd(k, '2-1', 'a', 'b', 'c', 'OK');
    },
    none: async (_k: string) => undefined,
  } satisfies Record<string, (k: string) => Promise<unknown>>;
  const cases: [string, keyof typeof setups, Command][] = [
    ['GET (bulk string)', 'string', (k) => ['GET', k]],
    ['GET of a missing key (nil)', 'none', (k) => ['GET', k]],
    ['STRLEN (integer)', 'string', (k) => ['STRLEN', k]],
    ['MGET (array with nil)', 'string', (k) => ['MGET', k, `${k}:missing`]],
    ['TYPE (status reply)', 'hash', (k) => ['TYPE', k]],
    ['HGETALL (a map in RESP3)', 'hash', (k) => ['HGETALL', k]],
    ['hgetall, lower case', 'hash', (k) => ['hgetall', k]],
    ['HGETALL of a missing key (empty map)', 'none', (k) => ['HGETALL', k]],
    ['HSCAN (cursor and flat pairs)', 'hash', (k) => ['HSCAN', k, '0']],
    ['LRANGE', 'list', (k) => ['LRANGE', k, 0, -1]],
    ['SMEMBERS (a set in RESP3)', 'set', (k) => ['SMEMBERS', k]],
    ['SSCAN', 'set', (k) => ['SSCAN', k, '0', 'COUNT', 100]],
    ['ZRANGE … WITHSCORES (pairs of member and double in RESP3)', 'zset', (k) => ['ZRANGE', k, 0, -1, 'WITHSCORES']],
    ['zrange … withscores, lower case', 'zset', (k) => ['zrange', k, 0, -1, 'withscores']],
    ['ZRANGE BYSCORE LIMIT WITHSCORES', 'zset', (k) => ['ZRANGE', k, '-inf', '+inf', 'BYSCORE', 'LIMIT', 0, 2, 'WITHSCORES']],
    ['ZSCORE (a double in RESP3)', 'zset', (k) => ['ZSCORE', k, 'two and a half']],
    ['ZSCAN', 'zset', (k) => ['ZSCAN', k, '0']],
    ['ZINTER … WITHSCORES', 'zset', (k) => ['ZINTER', 1, k, 'WITHSCORES']],
    ['XRANGE (nested entries)', 'stream', (k) => ['XRANGE', k, '-', '+']],
    ['XREVRANGE COUNT', 'stream', (k) => ['XREVRANGE', k, '+', '-', 'COUNT', 1]],
    ['XREAD (a map of streams in RESP3)', 'stream', (k) => ['XREAD', 'COUNT', 10, 'STREAMS', k, '0']],
    ['XRead, mixed case', 'stream', (k) => ['XRead', 'STREAMS', k, '1-1']],
    ['XINFO STREAM (a map with nested entries)', 'stream', (k) => ['XINFO', 'STREAM', k]],
    ['EVAL returning nested arrays, integers and a boolean', 'none', () => ['EVAL', "return {1, 'a', {2, 'b', {true}}}", 0]],
    ['COMMAND INFO (deeply nested maps)', 'none', () => ['COMMAND', 'INFO', 'GET', 'XREAD']],
    ['CONFIG GET (a map in RESP3)', 'none', () => ['CONFIG', 'GET', 'maxmemory-policy']],
    ['HGETALL of a string (WRONGTYPE error)', 'string', (k) => ['HGETALL', k]],
    ['an unknown command (error)', 'none', () => ['NOSUCHCOMMAND', 'x']],
  ];

  it.each(cases)('%s: the same on /, /pipeline and /multi-exec, plain and base64', async (_label, setup, build) => {
    const k = key();
    await setups[setup](k);
    const command = build(k);
    const expected = await referenceReply(command);

    expect(await post('/', command)).toEqual(
      'error' in expected ? { status: 400, body: expected } : { status: 200, body: expected },
    );
    expect(decodeEntry((await post('/', command, b64)).body)).toEqual(expected);
    expect((await post('/pipeline', [command, command])).body).toEqual([expected, expected]);
    const pipelined = (await post('/pipeline', [command], b64)).body as unknown[];
    expect(pipelined.map(decodeEntry)).toEqual([expected]);
    if ('error' in expected && /unknown command/.test(expected.error)) return; // aborts the whole transaction
    const transaction = (await post('/multi-exec', [command], b64)).body as unknown[];
    expect(transaction.map(decodeEntry)).toEqual([expected]);
  });
});

describe('typed results through the real client match ioredis', () => {
  it('HGETALL gives the hash as an object (values JSON-parsed by the client)', async () => {
    const k = key();
    await direct.hset(k, 'text', 'héllo', 'count', '2', 'json', '{"a":[1,"OK"]}');
    expect(await direct.hgetall(k)).toEqual({ text: 'héllo', count: '2', json: '{"a":[1,"OK"]}' });
    expect(await redis.hgetall(k)).toEqual({ text: 'héllo', count: 2, json: { a: [1, 'OK'] } });
    // Without the client's deserialisation, the reply as Upstash sends it: a flat array.
    expect(await raw.hgetall(k)).toEqual(['text', 'héllo', 'count', '2', 'json', '{"a":[1,"OK"]}']);
    expect(await redis.hgetall(key())).toBeNull();
  });

  it('ZRANGE with scores gives member, score, … with the scores as numbers', async () => {
    const k = key();
    await redis.zadd(k, { score: 1, member: 'one' }, { score: 2.5, member: 'two' });
    expect(await direct.zrange(k, '0', '-1', 'WITHSCORES')).toEqual(['one', '1', 'two', '2.5']);
    expect(await redis.zrange(k, 0, -1, { withScores: true })).toEqual(['one', 1, 'two', 2.5]);
    expect(await redis.zscore(k, 'two')).toBe(2.5);
    expect(await redis.zscore(k, 'missing')).toBeNull();
  });

  it('XADD, XRANGE and XREAD give the entries the client expects', async () => {
    const k = key();
    const id1 = await redis.xadd(k, '*', { field: 'value' });
    const id2 = await redis.xadd(k, '*', { a: 'b', n: 3 });
    expect(await direct.xrange(k, '-', '+')).toEqual([
      [id1, ['field', 'value']],
      [id2, ['a', 'b', 'n', '3']],
    ]);
    expect(await redis.xrange(k, '-', '+')).toEqual({ [id1]: { field: 'value' }, [id2]: { a: 'b', n: 3 } });
    expect(await direct.xread('STREAMS', k, id1)).toEqual([[k, [[id2, ['a', 'b', 'n', '3']]]]]);
    // The client JSON-parses every string it can: "3" becomes 3.
    expect(await redis.xread(k, id1)).toEqual([[k, [[id2, ['a', 'b', 'n', 3]]]]]);
    expect(await raw.xread(k, id1)).toEqual([[k, [[id2, ['a', 'b', 'n', '3']]]]]);
  });

  it('SCAN walks every key once, as ioredis sees them', async () => {
    const prefix = `${key()}:`;
    const keys = Array.from({ length: 25 }, (_v, i) => `${prefix}${i}`);
    usedKeys.push(...keys);
    await direct.mset(...keys.flatMap((k) => [k, 'v']));
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, { match: `${prefix}*`, count: 10 });
      expect(typeof next).toBe('string');
      batch.forEach((k) => seen.add(k));
      cursor = String(next);
    } while (cursor !== '0');
    const viaIoredis = new Set<string>();
    for await (const batch of direct.scanStream({ match: `${prefix}*`, count: 10 }) as AsyncIterable<string[]>) {
      batch.forEach((k) => viaIoredis.add(k));
    }
    expect([...seen].sort()).toEqual([...viaIoredis].sort());
    expect(seen.size).toBe(keys.length);
  });

  it('lists and sets', async () => {
    const [list, set] = [key(), key()];
    expect(await redis.rpush(list, 'a', 'b', 'c')).toBe(3);
    expect(await redis.lrange(list, 0, -1)).toEqual(await direct.lrange(list, 0, -1));
    expect(await redis.lpop(list)).toBe('a');
    expect(await redis.sadd(set, 'x', 'y')).toBe(2);
    expect((await redis.smembers(set)).sort()).toEqual((await direct.smembers(set)).sort());
    expect(await redis.sismember(set, 'x')).toBe(1);
  });

  it('a pipeline and a transaction carry every reply type', async () => {
    const [hash, zset, stream, text] = [key(), key(), key(), key()];
    await direct.hset(hash, 'f', 'v');
    await direct.zadd(zset, 1.5, 'm');
    await direct.xadd(stream, '1-1', 'f', 'v');
    await direct.set(text, 'plain');
    for (const batch of [redis.pipeline(), redis.multi()]) {
      const results = await batch
        .hgetall(hash)
        .zrange(zset, 0, -1, { withScores: true })
        .xrange(stream, '-', '+')
        .xread(stream, '0-0')
        .get(key())
        .incr(`${text}:n`)
        .exec();
      expect(results).toEqual([{ f: 'v' }, ['m', 1.5], { '1-1': { f: 'v' } }, [[stream, [['1-1', ['f', 'v']]]]], null, 1]);
      await direct.del(`${text}:n`);
    }
    usedKeys.push(`${text}:n`);
    await expect(redis.pipeline().get(text).hgetall(text).exec()).rejects.toThrow(/Command 2 \[ hgetall \] failed: WRONGTYPE/);
    await expect(redis.hgetall(text)).rejects.toThrow(/WRONGTYPE/);
  });
});

describe('blocking commands', () => {
  it.each([
    ['XREAD BLOCK', (k: string) => ['XREAD', 'BLOCK', 0, 'STREAMS', k, '$']],
    ['xreadgroup … block', (k: string) => ['xreadgroup', 'GROUP', 'g', 'c', 'block', 10, 'STREAMS', k, '>']],
  ])('%s is refused, since it would hold the connection every request shares', async (_label, build) => {
    const { status, body } = await post('/', build(key()));
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/BLOCK is not supported by this proxy/);
  });

  it('XREAD without BLOCK, and a stream or group named "block", still run', async () => {
    const k = key();
    await direct.xadd(k, '1-1', 'f', 'v');
    await direct.xgroup('CREATE', k, 'block', '0');
    expect((await post('/', ['XREAD', 'STREAMS', k, '0'])).status).toBe(200);
    const { status, body } = await post('/', ['XREADGROUP', 'GROUP', 'block', 'c', 'STREAMS', k, '>']);
    expect({ status, body }).toEqual({ status: 200, body: { result: [[k, [['1-1', ['f', 'v']]]]] } });
  });
});

describe("Upstash's request size limit (10 MiB)", () => {
  const LIMIT = 10 * 1024 * 1024;
  const tooLarge = (actual: number) => ({
    error: `ERR max request size exceeded. Limit: ${LIMIT} bytes, Actual: ${actual} bytes`,
  });
  /** A SET whose JSON body is exactly `bytes` long. */
  function setOfSize(k: string, bytes: number): string {
    const body = JSON.stringify(['SET', k, 'x'.repeat(bytes - JSON.stringify(['SET', k, '']).length)]);
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  }

  it('a request body of exactly 10 MiB runs; one byte more is refused before reaching Redis', async () => {
    const [fits, over] = [key(), key()];
    expect(await post('/', setOfSize(fits, LIMIT))).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await direct.exists(fits)).toBe(1);
    expect(await post('/', setOfSize(over, LIMIT + 1))).toEqual({ status: 400, body: tooLarge(LIMIT + 1) });
    expect(await post('/pipeline', `[${setOfSize(over, LIMIT)}]`)).toEqual({ status: 400, body: tooLarge(LIMIT + 2) });
    expect(await direct.exists(over)).toBe(0);
  });

  it("the client rejects with Upstash's error, on a single command and on a pipeline that adds up", async () => {
    const k = key();
    const half = 'x'.repeat(LIMIT / 2);
    await expect(redis.set(k, 'x'.repeat(LIMIT))).rejects.toThrow(/^ERR max request size exceeded\. Limit: 10485760/);
    await expect(redis.pipeline().set(k, half).set(k, half).exec()).rejects.toThrow(/ERR max request size exceeded/);
    expect(await direct.exists(k)).toBe(0);
    expect(await redis.set(k, half)).toBe('OK');
  });

  it('a reply over 10 MiB is refused the same way, as Upstash does for a read too large for one request', async () => {
    const k = key();
    const envelope = JSON.stringify({ result: '' }).length;
    await direct.set(k, 'x'.repeat(LIMIT - envelope));
    expect((await post('/', ['GET', k])).status).toBe(200);
    await direct.append(k, 'x');
    expect(await post('/', ['GET', k])).toEqual({ status: 400, body: tooLarge(LIMIT + 1) });
    await expect(redis.get(k)).rejects.toThrow(/ERR max request size exceeded/);
  });
});

describe('round-trip counts (for the bench)', () => {
  it('counts each request once and each command in it, per route, until reset', async () => {
    const k = key();
    const unpipelined = new Redis({ url: proxy.url, token: TOKEN, enableAutoPipelining: false });
    proxy.resetCounts();
    await unpipelined.set(k, 'v');
    await redis.pipeline().get(k).get(k).get(k).exec();
    await redis.multi().set(k, 'w').get(k).exec();
    await post(`/get/${encodeURIComponent(k)}`, '');
    await fetch(`${proxy.url}/`, { method: 'POST', body: JSON.stringify(['GET', k]) }); // 401: never reaches Redis
    expect(proxy.counts()).toEqual({
      requests: 4,
      commands: 7,
      byRoute: {
        '/': { requests: 1, commands: 1 },
        '/pipeline': { requests: 1, commands: 3 },
        '/multi-exec': { requests: 1, commands: 2 },
        '/get': { requests: 1, commands: 1 },
      },
    });
    proxy.resetCounts();
    expect(proxy.counts()).toEqual({ requests: 0, commands: 0, byRoute: {} });
  });
});

describe('authentication', () => {
  const sameLengthWrongToken = TOKEN.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));

  it.each(['/', '/pipeline', '/multi-exec', '/get/some-key'])('%s answers 401 without the right token', async (path) => {
    const body = path === '/' ? ['GET', 'k'] : [['GET', 'k']];
    for (const authorization of [undefined, `Bearer ${sameLengthWrongToken}`, 'Bearer ', TOKEN]) {
      const res = await fetch(`${proxy.url}${path}`, {
        method: 'POST',
        headers: authorization === undefined ? {} : { Authorization: authorization },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Unauthorized' });
    }
  });

  it('the client rejects on every route with a wrong token', async () => {
    const k = key();
    await direct.set(k, 'secret');
    const opts = { url: proxy.url, token: sameLengthWrongToken };
    const viaRoot = new Redis({ ...opts, enableAutoPipelining: false });
    const viaPipeline = new Redis(opts);
    await expect(viaRoot.get(k)).rejects.toThrow(/Unauthorized/);
    await expect(viaPipeline.get(k)).rejects.toThrow(/Unauthorized/);
    await expect(viaPipeline.pipeline().get(k).exec()).rejects.toThrow(/Unauthorized/);
    await expect(viaPipeline.multi().set(k, 'overwritten').exec()).rejects.toThrow(/Unauthorized/);
    expect(await direct.get(k)).toBe('secret');
  });
});

describe('with Redis unreachable', () => {
  let downProxy: UpstashProxy;
  beforeAll(async () => {
    downProxy = await startUpstashProxy({ redisUrl: 'redis://127.0.0.1:1', token: TOKEN });
  });
  afterAll(() => downProxy.close());

  it.each([
    ['/', ['GET', 'k']],
    ['/pipeline', [['GET', 'k']]],
    ['/multi-exec', [['GET', 'k']]],
  ])('%s answers 503 within two seconds', async (path, body) => {
    const started = Date.now();
    const res = await fetch(`${downProxy.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'redis unavailable' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('the client call rejects instead of hanging', async () => {
    const client = new Redis({ url: downProxy.url, token: TOKEN });
    const started = Date.now();
    await expect(client.get('k')).rejects.toThrow(/redis unavailable/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('what a proxy leaves behind when it closes', () => {
  const written = async (options: { keepWrittenKeys?: boolean; redisUrl?: string }) => {
    const own = await startUpstashProxy({ redisUrl: options.redisUrl ?? REDIS_URL, token: TOKEN, ...options });
    const client = new Redis({ url: own.url, token: TOKEN });
    const keys = { set: key(), zadd: key(), script: key() };
    await client.set(keys.set, 'v', { ex: 600 });
    await client.zadd(keys.zadd, { score: 1, member: 'm' });
    await client.eval("return redis.call('SET', KEYS[1], ARGV[1])", [keys.script], ['x']);
    expect(own.writtenKeys()).toBe(options.keepWrittenKeys ? 0 : 3);
    await own.close();
    return Object.values(keys);
  };

  it('deletes every key written through it (a test or bench run leaves nothing behind)', async () => {
    const keys = await written({});
    expect(await direct.exists(...keys)).toBe(0);
  });

  it('with keepWrittenKeys (the local stack on its own database) keeps them', async () => {
    const keys = await written({ keepWrittenKeys: true });
    expect(await direct.exists(...keys)).toBe(3);
  });

  it('writes to the database its URL names, and none of it reaches database 0', async () => {
    const inDatabase1 = new IORedis(`${REDIS_URL.replace(/\/\d*$/, '')}/1`);
    try {
      const keys = await written({ keepWrittenKeys: true, redisUrl: `${REDIS_URL.replace(/\/\d*$/, '')}/1` });
      expect(await inDatabase1.exists(...keys)).toBe(3);
      expect(await direct.exists(...keys)).toBe(0);
      await inDatabase1.del(...keys);
    } finally {
      inDatabase1.disconnect();
    }
  });
});
