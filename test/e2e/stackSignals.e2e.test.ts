import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertPortFree, freePort } from '../../tools/ports';
import { listeningPorts, processTree, stillRunning, type ProcessInfo } from '../support/processTree';
import { waitFor } from '../support/wait';

/**
 * `npm start` as a developer runs it, stopped the ways a terminal, a supervisor or a closed
 * session stop it: one signal to the npm process. Whatever the stack started (tsx, the
 * stack, serverless-offline, its esbuild) must be gone afterwards, and every port it
 * listened on free again; npm itself does not pass every signal on.
 */
const ROOT = resolve(__dirname, '../..');
const UP = 'IMChannel local stack is up';

async function startNpm(logFile: string) {
  const ports = {
    PORT: await freePort(),
    LAMBDA_PORT: await freePort(),
    DOCS_PORT: await freePort(),
    UPSTASH_PROXY_PORT: await freePort(),
    SANDBOX_PORT: await freePort(),
    CTLIVE_SINK_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, IMCHANNEL_LOCAL_LOG: logFile };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  // Its own process group, as a terminal gives it, so the signal reaches npm alone.
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => npm.once('exit', () => resolveExit()));
  await waitFor(() => output.includes(UP) || npm.exitCode !== null, 120_000, 'the "up" banner');
  if (!output.includes(UP)) throw new Error(`npm start did not come up:\n${output}`);
  return { npm, ports: Object.values(ports), exited, output: () => output };
}

describe('npm start, stopped by one signal to the npm process', () => {
  let dir: string;
  let started: ProcessInfo[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imchannel-signals-'));
  });
  afterEach(() => {
    // Whatever a failed run left behind goes, so the next run and the machine stay clean.
    for (const leftover of stillRunning(started)) {
      try {
        process.kill(leftover.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    started = [];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '%s leaves no process and no listening port behind',
    async (signal) => {
      const { npm, ports, exited, output } = await startNpm(join(dir, `${signal}.log`));
      started = processTree(npm.pid as number);
      const listened = listeningPorts(started.map((p) => p.pid));
      // The capture must see the stack, or the checks below would prove nothing.
      expect(started.some((p) => p.command.includes('osls/bin/serverless.js'))).toBe(true);
      expect(listened).toEqual(expect.arrayContaining(ports));

      process.kill(npm.pid as number, signal);

      const left = await waitFor(() => stillRunning(started).length === 0, 15_000, 'every process to end').catch(() =>
        stillRunning(started),
      );
      expect(left === true ? [] : left.map((p) => `${p.pid} ${p.command}`)).toEqual([]);
      await exited;
      for (const port of listened) await expect(assertPortFree(port, 'a port of the stack')).resolves.toBeUndefined();
      expect(output()).toContain('Stopping the local stack');
    },
    180_000,
  );
});
