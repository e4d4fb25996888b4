import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPortFree } from '../../tools/ports';
import { startNpm } from '../support/npmStart';
import { listeningPorts, processTree, stillRunning, type ProcessInfo } from '../support/processTree';
import { waitFor } from '../support/wait';

/**
 * `npm start` as a developer runs it, stopped the ways a terminal, a supervisor or a closed
 * session stop it: one signal to the npm process. Whatever the stack started (tsx, the
 * stack, serverless-offline, its esbuild) must be gone afterwards, and every port it
 * listened on free again; npm itself does not pass every signal on.
 */
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
      const { npm, ports, statePath, exited, output } = await startNpm(mkdtempSync(join(dir, `${signal}-`)));
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
      expect(existsSync(statePath)).toBe(false); // npm run env:local finds no stale stack
    },
    180_000,
  );
});
