/**
 * `npm start` checks every function's configuration before it prints its banner: each
 * `functions/<name>.ts` is imported here, in a child process holding the environment
 * serverless-offline would give it, and whatever a function refuses at its cold start (a
 * ConfigError) is collected. Run as a script it prints one line, `CONFIG-CHECK <json>`, last;
 * `checkFunctionConfigs` runs it and parses that line.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../lib/platform/config';

const ROOT = resolve(__dirname, '..');
const MARK = 'CONFIG-CHECK ';

export interface FunctionProblems {
  name: string;
  issues: ConfigIssue[];
}

/** In the child: import each function, noting what its cold start refused. */
async function checkHere(): Promise<FunctionProblems[]> {
  const names = readdirSync(join(ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
  const problems: FunctionProblems[] = [];
  for (const name of names) {
    try {
      await import(join(ROOT, 'functions', `${name}.ts`));
    } catch (error: unknown) {
      const issues =
        error instanceof ConfigError
          ? [...error.issues]
          : [{ variable: '(start)', reason: error instanceof Error ? error.message : String(error) }];
      problems.push({ name, issues });
    }
  }
  return problems;
}

/** Every function's refusals under `env`; empty when all of them would start. */
export function checkFunctionConfigs(env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<FunctionProblems[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
      cwd: ROOT,
      // As serverless-offline runs them, but with text logs nobody reads and no SSM.
      env: { ...env, IS_OFFLINE: 'true', SECRETS_SSM_PATH: '', LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (line === undefined) {
        reject(new Error(`the configuration check did not finish (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(MARK.length)) as FunctionProblems[]);
    });
  });
}

/** The message `npm start` stops with: each function and each problem, never a value. */
export function configProblemsText(problems: readonly FunctionProblems[]): string {
  const lines = problems.flatMap(({ name, issues }) => issues.map((issue) => `  ${name}: ${issue.variable} ${issue.reason}`));
  return `${problems.length} function(s) would refuse to start with this configuration:\n${lines.join('\n')}`;
}

if (require.main === module) {
  void checkHere().then(
    (problems) => {
      process.stdout.write(`\n${MARK}${JSON.stringify(problems)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
