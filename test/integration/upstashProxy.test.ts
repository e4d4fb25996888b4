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

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: TOKEN });
  direct = new IORedis(REDIS_URL);
  redis = new Redis({ url: proxy.url, token: TOKEN });
  raw = new Redis({ url: proxy.url, token: TOKEN, automaticDeserialization: false });
});

afterAll(async () => {
  if (usedKeys.length > 0) await direct.del(...usedKeys);
  direct.disconnect();
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

  it('accepts a body larger than 16 MiB', async () => {
    const k = key();
    const value = 'x'.repeat(17 * 1024 * 1024);
    expect(await post('/', ['SET', k, value])).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await direct.strlen(k)).toBe(value.length);
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
