/**
 * Upstash-compatible REST proxy in front of a real Redis, for the tests and the local stack.
 * Speaks what @upstash/redis 1.39 sends: `POST /` (one command), `POST /pipeline`,
 * `POST /multi-exec`, and the `/cmd/arg/...` path form, behind Bearer auth, with the
 * `Upstash-Encoding: base64` response encoding the client turns on by default. Replies keep
 * the shapes of RESP2, as Upstash's REST API gives them: maps as flat arrays, scores as
 * strings, nested arrays as they are (see docs/local-stack.md for what it guarantees).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { refuseForeignHost } from './localHostGuard';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis, { ReplyError } from 'ioredis';

export interface UpstashProxyOptions {
  redisUrl: string;
  token: string;
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /**
   * Keep the keys written through the proxy when it closes (the local stack on its own
   * database). Default: close() deletes them, so a test or a bench run leaves nothing behind.
   */
  keepWrittenKeys?: boolean;
}

/** Requests (round trips) and the Redis commands in them, as the proxy ran them. */
export interface ProxyCounts {
  requests: number;
  commands: number;
  /** Per route: `/`, `/pipeline`, `/multi-exec`, or `/<command>` for the path form. */
  byRoute: Record<string, { requests: number; commands: number }>;
}

export interface UpstashProxy {
  url: string;
  token: string;
  /** What reached Redis since the start or the last `resetCounts()` (authorised, well-formed requests only). */
  counts(): ProxyCounts;
  resetCounts(): void;
  /** How many keys written through the proxy close() would delete (0 with `keepWrittenKeys`). */
  writtenKeys(): number;
  close(): Promise<void>;
}

// Upstash refuses a request over 10 MB on the Free and Pay-as-you-go plans with
// "ERR max request size exceeded" (upstash.com/docs/redis/troubleshooting/max_request_size_exceeded),
// which also names reads too large for one request; the error as databases report it gives the
// exact figure: "Limit: 10485760 bytes, Actual: N bytes". Counted here on the JSON bodies, never
// smaller than the command or reply inside, so the proxy errs on the strict side.
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const REDIS_UNAVAILABLE = 'redis unavailable';

// All requests share one connection, so commands that change its state or block it
// would leak into other callers' requests.
const REFUSED = new Set([
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'select',
  'swapdb',
  'quit',
  'reset',
  'hello',
  'auth',
  'monitor',
  'sync',
  'psync',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'blpop',
  'brpop',
  'blmove',
  'brpoplpush',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'wait',
  'waitaof',
  'client',
]);
// With BLOCK these would hold the shared connection, and every request behind them; the
// number is where their options start among the arguments (XREADGROUP's after GROUP g c).
const BLOCK_OPTION_FROM: Record<string, number> = { xread: 0, xreadgroup: 3 };

// ioredis types ReplyError as `any`, which would leave caught errors `unknown`.
const RedisReplyError: new (...args: never[]) => Error = ReplyError;

type Arg = string | Buffer;
type Json = null | number | string | Json[] | { error: string };
type Entry = { result: Json } | { error: string };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function isAuthorized(req: IncomingMessage, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  // Hashing first gives equal lengths, so timingSafeEqual never leaks the token length.
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), expected);
}

function tooLarge(bytes: number): HttpError {
  return new HttpError(400, `ERR max request size exceeded. Limit: ${MAX_REQUEST_BYTES} bytes, Actual: ${bytes} bytes`);
}

/** Reads a too-large body to its end (keeping none of it), so the client gets the answer, not a reset. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_REQUEST_BYTES ? reject(tooLarge(size)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'ERR failed to parse the request body as JSON');
  }
}

/** The client sends numbers and booleans unquoted; Redis wants every argument as a string. */
function toCommand(raw: unknown): Arg[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new HttpError(400, 'ERR a command must be a non-empty JSON array');
  }
  return raw.map((arg: unknown) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new HttpError(400, 'ERR command arguments must be strings or numbers');
  });
}

function toCommands(raw: unknown): Arg[][] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new HttpError(400, 'ERR a pipeline must be a non-empty JSON array of commands');
  }
  return raw.map(toCommand);
}

/** `/set/k?EX=60` with a POST body means `SET k <body> EX 60`, as Upstash documents it. */
function pathCommand(url: URL, body: Buffer): Arg[] {
  let command: Arg[];
  try {
    command = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'ERR malformed percent-encoding in the path');
  }
  if (body.length > 0) command.push(body);
  for (const [key, value] of url.searchParams) command.push(...(value ? [key, value] : [key]));
  return command;
}

const OK = Buffer.from('OK');

/**
 * ioredis hands simple and bulk strings alike back as Buffers, so a stored value "OK" and
 * the status OK look the same here. The client leaves a top-level "OK" alone and
 * base64-decodes every other string (and every string inside arrays, "OK" included), so a
 * literal top-level OK decodes right for both, and everything else must be encoded.
 */
function encodeReply(reply: unknown, base64: boolean, topLevel = true): Json {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((item: unknown) => encodeReply(item, base64, false));
  if (reply instanceof Error) return { error: reply.message };
  const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply), 'utf8');
  if (!base64 || (topLevel && bytes.equals(OK))) return bytes.toString('utf8');
  return bytes.toString('base64');
}

function refuseStateful(command: Arg[]): void {
  const [name = '', ...args] = command.map((arg) => arg.toString().toLowerCase());
  if (REFUSED.has(name)) throw new HttpError(400, `ERR command '${name}' is not supported by this proxy`);
  const optionsFrom = BLOCK_OPTION_FROM[name];
  if (optionsFrom === undefined) return;
  const streams = args.indexOf('streams', optionsFrom);
  if (args.slice(optionsFrom, streams < 0 ? undefined : streams).includes('block')) {
    throw new HttpError(400, `ERR command '${name}' with BLOCK is not supported by this proxy: leave BLOCK out and poll`);
  }
}

/**
 * ioredis reshapes some replies (HGETALL into an object, XREAD into pairs), keyed by the
 * lower-case command name; Redis takes names in any case, so the upper-case name gets the
 * reply exactly as Redis sent it.
 */
function redisName(name: Arg | undefined): string {
  return String(name).toUpperCase();
}

async function runOne(redis: Redis, [name, ...args]: Arg[], base64: boolean): Promise<Entry> {
  try {
    return { result: encodeReply(await redis.callBuffer(redisName(name), ...args), base64) };
  } catch (e: unknown) {
    if (e instanceof RedisReplyError) return { error: e.message };
    throw e; // connection trouble: the whole request becomes a 503
  }
}

async function runTransaction(redis: Redis, commands: Arg[][], base64: boolean): Promise<Entry[]> {
  const multi = redis.multi();
  for (const [name, ...args] of commands) multi.callBuffer(redisName(name), ...args);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await multi.exec();
  } catch (e: unknown) {
    if (!(e instanceof RedisReplyError)) throw e;
    const causes = (e as { previousErrors?: Error[] }).previousErrors ?? [];
    throw new HttpError(400, [e.message, ...causes.map((c) => c.message)].join(' '));
  }
  if (replies === null) throw new HttpError(400, 'EXECABORT transaction aborted');
  return replies.map(([error, reply]) => (error ? { error: error.message } : { result: encodeReply(reply, base64) }));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  let json = JSON.stringify(body);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_REQUEST_BYTES) [status, json] = [400, JSON.stringify({ error: tooLarge(bytes).message })];
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(json),
  });
  res.end(json);
}

function emptyCounts(): ProxyCounts {
  return { requests: 0, commands: 0, byRoute: {} };
}

function count(counts: ProxyCounts, route: string, commands: number): void {
  counts.requests += 1;
  counts.commands += commands;
  const entry = (counts.byRoute[route] ??= { requests: 0, commands: 0 });
  entry.requests += 1;
  entry.commands += commands;
}

/** Commands that create a key named by their first argument: what close() deletes again. */
const KEY_CREATING = new Set([
  'set',
  'setnx',
  'setex',
  'psetex',
  'getset',
  'append',
  'incr',
  'incrby',
  'incrbyfloat',
  'decr',
  'decrby',
  'zadd',
  'zincrby',
  'hset',
  'hsetnx',
  'hincrby',
  'sadd',
  'lpush',
  'rpush',
  'xadd',
  'copy',
]);

/** Notes the keys a command may create; MSET's are every other argument. */
function noteWrites(written: Set<string> | undefined, [name, ...args]: Arg[]): void {
  if (written === undefined || name === undefined) return;
  const command = redisName(name).toLowerCase();
  if (command === 'mset' || command === 'msetnx') {
    for (let i = 0; i < args.length; i += 2) written.add(String(args[i]));
  } else if (command === 'copy' && args[1] !== undefined) written.add(String(args[1]));
  else if (KEY_CREATING.has(command) && args[0] !== undefined) written.add(String(args[0]));
  else if (command === 'eval' || command === 'evalsha') {
    const keys = Number(args[1] ?? 0);
    for (let i = 0; i < keys; i++) if (args[2 + i] !== undefined) written.add(String(args[2 + i]));
  }
}

async function handle(
  redis: Redis,
  req: IncomingMessage,
  res: ServerResponse,
  token: Buffer,
  counts: ProxyCounts,
  written: Set<string> | undefined,
) {
  if (!isAuthorized(req, token)) return send(res, 401, { error: 'Unauthorized' });
  // Between reconnect attempts Redis is known to be down: answer now rather than queue.
  if (redis.status === 'reconnecting') throw new HttpError(503, REDIS_UNAVAILABLE);
  const url = new URL(req.url ?? '/', 'http://proxy');
  const base64 = String(req.headers['upstash-encoding']).toLowerCase() === 'base64';
  const route = url.pathname.replace(/\/+$/, '') || '/';
  const isRpcRoute = route === '/' || route === '/pipeline' || route === '/multi-exec';
  if (isRpcRoute && req.method !== 'POST') return send(res, 405, { error: 'Method Not Allowed' });
  const body = await readBody(req);

  if (route === '/pipeline' || route === '/multi-exec') {
    const commands = toCommands(parseJson(body));
    commands.forEach(refuseStateful);
    commands.forEach((command) => noteWrites(written, command));
    count(counts, route, commands.length);
    const entries =
      route === '/pipeline'
        ? await Promise.all(commands.map((command) => runOne(redis, command, base64)))
        : await runTransaction(redis, commands, base64);
    return send(res, 200, entries);
  }
  const command = route === '/' ? toCommand(parseJson(body)) : pathCommand(url, body);
  refuseStateful(command);
  noteWrites(written, command);
  count(counts, route === '/' ? '/' : `/${String(command[0]).toLowerCase()}`, 1);
  const entry = await runOne(redis, command, base64);
  return send(res, 'error' in entry ? 400 : 200, entry);
}

export async function startUpstashProxy(opts: UpstashProxyOptions): Promise<UpstashProxy> {
  const redis = new Redis(opts.redisUrl, {
    // RESP2, as Upstash answers: RESP3 would turn maps, sets, doubles and XREAD's streams
    // into shapes the REST API never gives.
    protocol: 2,
    lazyConnect: true,
    // Keep the offline queue so requests made while a connect is under way wait for it, but
    // give up after one retry (and retry often) so an outage is a quick 503, not a hang.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    connectTimeout: 2_000,
    commandTimeout: 10_000,
    // ioredis arms this timer even for a socket that already failed, which would keep a
    // closed proxy's process (and jest) alive for the default 2 s.
    disconnectTimeout: 100,
  });
  // Outages are reported per request as 503; an unhandled 'error' event would only add noise.
  redis.on('error', () => undefined);
  const expectedToken = digest(opts.token);
  let counts = emptyCounts();
  const written = opts.keepWrittenKeys ? undefined : new Set<string>();

  const server = createServer((req, res) => {
    if (refuseForeignHost(req, res)) return;
    handle(redis, req, res, expectedToken, counts, written).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) return send(res, e.status, { error: e.message });
      return send(res, 503, { error: REDIS_UNAVAILABLE });
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: opts.token,
    counts: () => structuredClone(counts),
    resetCounts() {
      counts = emptyCounts();
    },
    writtenKeys: () => written?.size ?? 0,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await removeWritten(redis, written);
      redis.disconnect();
    },
  };
}

/**
 * Deletes what was written through the proxy, a chunk at a time (a load run's tens of
 * thousands of keys take a second or two); a Redis that is not connected (a fault test's)
 * is not waited for, and the keys are left to their TTLs.
 */
async function removeWritten(redis: Redis, written: Set<string> | undefined): Promise<void> {
  if (written === undefined || written.size === 0 || redis.status !== 'ready') return;
  const keys = [...written];
  written.clear();
  const removal = (async () => {
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  })();
  await Promise.race([removal.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
}

if (require.main === module) {
  const token = process.env.UPSTASH_PROXY_TOKEN;
  if (!token) {
    console.error('UPSTASH_PROXY_TOKEN is required');
    process.exit(1);
  }
  startUpstashProxy({
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    token,
    port: Number(process.env.UPSTASH_PROXY_PORT ?? 8079),
    keepWrittenKeys: true,
  }).then(
    (proxy) => {
      console.log(`Upstash REST proxy listening on ${proxy.url}`);
      const stop = (): void => void proxy.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e: unknown) => {
      console.error('Upstash REST proxy failed to start:', e);
      process.exit(1);
    },
  );
}
