import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from '../../tools/ports';
import { TESTS_REDIS_DB, withRedisDatabase } from '../../tools/localRedis';
import { waitFor } from './wait';

export const ROOT = resolve(__dirname, '../..');
export const UP_BANNER = 'IMChannel local stack is up';

export interface NpmStart {
  npm: ChildProcessByStdio<null, Readable, Readable>;
  /** The ports it was given, every one of them free before. */
  ports: number[];
  /** The same, by the variable that set each (PORT, DOCS_PORT, SANDBOX_PORT, …). */
  portOf: Record<string, number>;
  /** Its function log file (npm run logs -- --local reads it), in `dir`. */
  logPath: string;
  /** Its state file (npm run env:local reads it), in `dir`. */
  statePath: string;
  exited: Promise<void>;
  output(): string;
}

/**
 * The real `npm start`, as a developer runs it, on free ports and with its log and state
 * files in `dir`, so it runs beside a developer's own stack without touching it. Resolves
 * once the "up" banner is out.
 */
export async function startNpm(dir: string, extraEnv: Record<string, string> = {}): Promise<NpmStart> {
  const ports = {
    PORT: await freePort(),
    LAMBDA_PORT: await freePort(),
    DOCS_PORT: await freePort(),
    UPSTASH_PROXY_PORT: await freePort(),
    SANDBOX_PORT: await freePort(),
    CTLIVE_SINK_PORT: await freePort(),
    S3_PORT: await freePort(),
    STREAM_PORT: await freePort(),
  };
  const statePath = join(dir, 'local-stack.json');
  const logPath = join(dir, 'local.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    IMCHANNEL_LOCAL_LOG: logPath,
    IMCHANNEL_LOCAL_STATE: statePath,
    // The tests' database, not the developer's stack's: npm start deletes what it wrote there when it stops.
    REDIS_URL: withRedisDatabase(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', TESTS_REDIS_DB),
    ...extraEnv,
  };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  // Its own process group, as a terminal gives it, so a signal sent to it reaches npm alone.
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => npm.once('exit', () => resolveExit()));
  await waitFor(() => output.includes(UP_BANNER) || npm.exitCode !== null, 120_000, 'the "up" banner');
  if (!output.includes(UP_BANNER)) throw new Error(`npm start did not come up:\n${output}`);
  return { npm, ports: Object.values(ports), portOf: ports, logPath, statePath, exited, output: () => output };
}
