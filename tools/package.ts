/**
 * `npm run package`: `serverless package`, on the `ci` stage unless the command line names
 * one. `ci` takes its settings from the environment and packages with none set (no stage
 * parameters, no AWS credentials, no secrets), so a fresh clone can build the artifacts;
 * `npm run package -- --stage prod --param="ctliveTarget=…" …` packages a real stage.
 * (`serverless package --stage ci --stage prod` is refused, hence this instead of a fixed
 * `--stage ci` in package.json.)
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const DEFAULT_STAGE = 'ci';

const namesStage = (arg: string) => arg === '--stage' || arg === '-s' || arg.startsWith('--stage=');

export function packageArgs(args: readonly string[]): string[] {
  return ['package', ...(args.some(namesStage) ? [] : ['--stage', DEFAULT_STAGE]), ...args];
}

if (require.main === module) {
  const bin = resolve(__dirname, '..', 'node_modules', 'osls', 'bin', 'serverless.js');
  const result = spawnSync(process.execPath, [bin, ...packageArgs(process.argv.slice(2))], { stdio: 'inherit' });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}
