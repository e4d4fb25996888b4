/**
 * Local stand-in for ctlive's HTTP endpoint (`CTLIVE_TARGET=http://...`), for the tests
 * and the local stack: it accepts the events IMChannel forwards, prints one line per
 * event, and can be told to fail or to be slow, the ways a real ctlive goes wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { refuseForeignHost } from './localHostGuard';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CtliveSinkOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, only `Authorization: Bearer <token>` is accepted, as ctlive would. */
  token?: string;
  /** One line per event; default stdout. Never given the token. */
  log?: (line: string) => void;
  /** How long ctlive takes per event before it answers (the bench's "50 ms per event"); default 0. */
  latencyMs?: number;
}

export interface SinkFailure {
  /** Answer with this status; default 503. */
  status?: number;
  /** Wait this long first: longer than IMChannel's timeout makes a "slow ctlive". */
  delayMs?: number;
  /** How many requests this applies to; default 1. */
  times?: number;
  /** Fail only events with this messageId, to break one result of a batch. */
  messageId?: string;
}

export interface CtliveSink {
  /** Where to point `CTLIVE_TARGET`, e.g. http://127.0.0.1:PORT/events */
  url: string;
  /** Events accepted (answered 2xx), in order. */
  received: unknown[];
  /** Events answered with a failure, in order. */
  refused: unknown[];
  waitFor(n: number, timeoutMs?: number): Promise<unknown[]>;
  failNext(failure?: SinkFailure): void;
  /**
   * Answer every `n`th event request (counting all of them, retries too) with `status`
   * (default 500) until `reset()` or `failEvery(0)`: a steady fault rate, e.g. 20 for 5%.
   */
  failEvery(n: number, status?: number): void;
  /** Every event from now on takes this long before its answer (0: none). */
  setLatency(ms: number): void;
  /** TCP connections accepted since the start: few against many events means keep-alive works. */
  connections(): number;
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

const digest = (value: string) => createHash('sha256').update(value).digest();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const messageIdOf = (event: unknown): string | undefined =>
  typeof event === 'object' && event !== null && 'messageId' in event && typeof event.messageId === 'string'
    ? event.messageId
    : undefined;

export async function startCtliveSink(options: CtliveSinkOptions = {}): Promise<CtliveSink> {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const expected = options.token === undefined ? undefined : digest(options.token);
  const received: unknown[] = [];
  const refused: unknown[] = [];
  let failures: Array<Required<Omit<SinkFailure, 'messageId'>> & { messageId?: string }> = [];
  let periodic = { every: 0, status: 500, count: 0 };
  let waiters: Array<() => void> = [];
  let latencyMs = options.latencyMs ?? 0;
  let connections = 0;
  // Cuts short a deliberate delay on close, so no timer outlives the sink.
  const closing = new AbortController();
  // One listener per event held back by the latency: many at once is the point, not a leak.
  setMaxListeners(0, closing.signal);

  const authorized = (req: IncomingMessage) => {
    if (expected === undefined) return true;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };

  const takeFailure = (event: unknown) => {
    if (periodic.every > 0 && (periodic.count += 1) % periodic.every === 0) {
      return { status: periodic.status, delayMs: 0 };
    }
    const id = messageIdOf(event);
    const failure = failures.find((f) => f.messageId === undefined || f.messageId === id);
    if (failure === undefined) return undefined;
    failure.times -= 1;
    if (failure.times <= 0) failures = failures.filter((f) => f !== failure);
    return failure;
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' });
    if (!authorized(req)) return answer(res, 401, { error: 'unauthorized' });
    let event: unknown;
    try {
      event = JSON.parse(await readBody(req));
    } catch {
      return answer(res, 400, { error: 'not JSON' });
    }
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    const failure = takeFailure(event);
    if (failure !== undefined) {
      if (failure.delayMs > 0) await sleep(failure.delayMs, undefined, { signal: closing.signal }).catch(() => undefined);
      refused.push(event);
      log(`[ctlive-sink] refused with ${failure.status}: ${JSON.stringify(event)}`);
      return answer(res, failure.status, { error: 'failing on purpose' });
    }
    received.push(event);
    log(`[ctlive-sink] received ${JSON.stringify(event)}`);
    for (const wake of waiters) wake();
    return answer(res, 202, { accepted: true });
  };

  const server = createServer((req, res) => {
    if (refuseForeignHost(req, res)) return;
    handle(req, res).catch(() => answer(res, 500, { error: 'sink error' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  server.on('connection', () => (connections += 1));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/events`,
    received,
    refused,
    waitFor(n, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < n) return false;
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== wake);
          resolve([...received]);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wake);
          reject(new Error(`ctlive sink: ${received.length} of ${n} events after ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.push(wake);
      });
    },
    failNext(failure = {}) {
      failures.push({
        status: failure.status ?? 503,
        delayMs: failure.delayMs ?? 0,
        times: failure.times ?? 1,
        ...(failure.messageId === undefined ? {} : { messageId: failure.messageId }),
      });
    },
    failEvery(n, status = 500) {
      if (!Number.isInteger(n) || n < 0) throw new Error(`failEvery takes a whole number ≥ 0, not ${n}`);
      periodic = { every: n, status, count: 0 };
    },
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`setLatency takes a number of milliseconds ≥ 0, not ${ms}`);
      latencyMs = ms;
    },
    connections: () => connections,
    reset() {
      received.length = 0;
      refused.length = 0;
      failures = [];
      periodic = { every: 0, status: 500, count: 0 };
    },
    close() {
      closing.abort();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
