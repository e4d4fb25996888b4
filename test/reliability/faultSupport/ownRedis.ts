import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '../../../tools/localRedis';
import { freePort } from '../../../tools/ports';

/**
 * A redis-server of the suite's own, on a free port, that can be stopped and started
 * again on the same port ("Redis restarted in the middle of a run"). It writes an
 * append-only file to a temporary folder, as Upstash keeps its data over a restart, so a
 * restart loses nothing that was acknowledged. Nobody else uses it, so the suite may
 * watch every command it receives (MONITOR) without noise from other tests.
 */
export interface OwnRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(downForMs?: number): Promise<void>;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

export async function startOwnRedisServer(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'imchannel-faults-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    let failure: Error | undefined;
    proc.once('error', (error) => {
      failure = error;
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      if (failure) throw failure;
      if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}`);
      if (await pingRedis(url, 200)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not answer within 5 s');
  };

  const stop = () =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });

  await start();
  return {
    url,
    port,
    start,
    stop,
    async restart(downForMs = 300) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downForMs));
      await start();
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
