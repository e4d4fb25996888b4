/**
 * Finds a real Redis for the local stack and the tests: REDIS_URL, else the usual
 * 127.0.0.1:6379, else a redis-server of our own on a free port, else one clear message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './ports';

export interface LocalRedis {
  url: string;
  /** Stops the server only if we started it. */
  stop(): Promise<void>;
}

/**
 * The local stack's own database (`npm start`): the tests and the bench write to database 0
 * and delete what they wrote (tools/upstashProxy.ts), so a developer's stack never sees
 * their keys, nor they its.
 */
export const LOCAL_STACK_REDIS_DB = 1;
export const TESTS_REDIS_DB = 0;

/** The database a redis:// URL names (its path, `/1`), or undefined when it names none. */
export function redisDatabaseOf(url: string): number | undefined {
  const path = new URL(url).pathname.replace(/^\//, '');
  return /^\d+$/.test(path) ? Number(path) : undefined;
}

/** The URL with `database` as its path, unless it already names one (REDIS_URL=redis://host/5 wins). */
export function withRedisDatabase(url: string, database: number): string {
  if (redisDatabaseOf(url) !== undefined) return url;
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export const INSTALL_HINT =
  'No Redis server found. Install one (Debian/Ubuntu: `sudo apt-get install redis-server`, ' +
  'macOS: `brew install redis`), or point REDIS_URL at a running one.';

/** Answers whether a Redis server replies PONG at this URL, within a second. */
export function pingRedis(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function startOwnRedis(command = 'redis-server'): Promise<LocalRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    command,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  let spawnFailed = false;
  const failed = new Promise<never>((_resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnFailed = true;
      reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let attempt = 0; attempt < 50 && child.exitCode === null && !spawnFailed; attempt++) {
      if (await pingRedis(url, 200)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('redis-server did not answer within 5 s');
  })();
  ready.catch(() => undefined); // when `failed` wins the race, nobody awaits this one
  try {
    await Promise.race([ready, failed]);
  } catch (error: unknown) {
    child.kill();
    throw error;
  }
  failed.catch(() => undefined);
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

export async function findRedis(redisUrl = process.env.REDIS_URL): Promise<LocalRedis & { started: boolean }> {
  const noop = async () => undefined;
  if (redisUrl) {
    if (!(await pingRedis(redisUrl))) throw new Error(`REDIS_URL is set but no Redis answers there`);
    return { url: redisUrl, stop: noop, started: false };
  }
  const usual = 'redis://127.0.0.1:6379';
  if (await pingRedis(usual)) return { url: usual, stop: noop, started: false };
  return { ...(await startOwnRedis()), started: true };
}
