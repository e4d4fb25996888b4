/**
 * `npm run env:local`: the environment `serverless invoke local` needs to run a function
 * against the running local stack, as `export NAME='value'` lines for `eval`.
 *
 * `npm start` writes what it gave the functions to a state file (git-ignored, readable by
 * its owner alone) when it is up, and removes it when it stops. The secrets in it (the
 * proxy token, the sandbox key, the sink token) are new at every start and printed only
 * here, on purpose, never in the banner. A value that came from npm start's own
 * environment is not stored: the line names it, for the caller to set it the same way.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
/** Unless IMCHANNEL_LOCAL_STATE says otherwise; beside the local log, in a git-ignored folder. */
export const DEFAULT_LOCAL_STATE = '.imchannel/local-stack.json';

export interface LocalState {
  /** The `npm start` process: a state file whose process is gone is stale. */
  pid: number;
  apiUrl: string;
  /** What the functions run with, less what came from npm start's environment. */
  env: Record<string, string>;
  /** Names whose value npm start took from its environment; not stored here. */
  fromEnvironment: string[];
}

export const localStatePath = (env: Record<string, string | undefined> = process.env) =>
  resolve(ROOT, env.IMCHANNEL_LOCAL_STATE || DEFAULT_LOCAL_STATE);

export function writeLocalState(
  path: string,
  stack: { apiUrl: string; env: Record<string, string>; fromEnvironment: string[] },
): void {
  const given = new Set(stack.fromEnvironment);
  const env = Object.fromEntries(Object.entries(stack.env).filter(([name]) => !given.has(name)));
  const fromEnvironment = Object.keys(stack.env).filter((name) => given.has(name));
  const state: LocalState = { pid: process.pid, apiUrl: stack.apiUrl, env, fromEnvironment };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an older file keeps its mode through writeFileSync
}

/** Removes the state file if it is this process's (a later stack may have written its own). */
export function removeLocalState(path: string): void {
  if (readState(path)?.pid === process.pid) rmSync(path, { force: true });
}

function readState(path: string): LocalState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalState;
  } catch {
    return undefined;
  }
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0); // signal 0 only asks whether it exists
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** A value in single quotes, for any POSIX shell. */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function exportLines(state: LocalState): string[] {
  return [
    `# The local stack at ${state.apiUrl} (npm start, pid ${state.pid}), for serverless invoke local`,
    ...Object.entries(state.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    ...state.fromEnvironment.map((name) => `# ${name}: npm start took it from its environment; set it here the same way`),
  ];
}

/** The lines to print, or the reason there are none. */
export function localEnv(path: string): { lines: string[] } | { error: string } {
  const state = readState(path);
  if (state === undefined) return { error: `No local stack is running (no ${path}): start one with npm start.` };
  if (!isRunning(state.pid)) {
    return { error: `The local stack that wrote ${path} (pid ${state.pid}) is no longer running: start one with npm start.` };
  }
  return { lines: exportLines(state) };
}

if (require.main === module) {
  const result = localEnv(localStatePath());
  if ('error' in result) {
    process.stderr.write(`${result.error}\n`);
    process.exit(1);
  }
  process.stdout.write(`${result.lines.join('\n')}\n`);
}
