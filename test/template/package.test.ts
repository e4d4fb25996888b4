import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/**
 * `npm run package` as a newcomer runs it in a fresh clone: no stage parameter, no AWS
 * credentials, none of IMChannel's variables in the environment. It must build one
 * artifact per function: one per file in functions/, less those serverless.local.yml adds
 * for the local stack only.
 */

const ROOT = resolve(__dirname, '..', '..');
const PACKAGE_TIMEOUT_MS = 120_000;
/** serverless.local.yml's own functions: never deployed, so never packaged. */
const LOCAL_ONLY = ['ctliveSink'];

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'imchannel-npm-package-'));
  await mkdir(join(workDir, 'tmp'));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
  if (workDir) await rm(join(ROOT, `.esbuild-${basename(workDir)}`), { recursive: true, force: true });
});

function npmRunPackage(args: string[]): Promise<{ code: number | null; output: string }> {
  // Relative, so that it lands in the tree's git-ignored .esbuild*/ (serverless-esbuild joins an
  // absolute one to the project folder too, which left tmp/<workDir>/ folders in the tree).
  const env: NodeJS.ProcessEnv = { SLS_TELEMETRY_DISABLED: '1', IMCHANNEL_BUILD_DIR: `.esbuild-${basename(workDir)}` };
  for (const name of ['PATH', 'HOME', 'LANG']) if (process.env[name] !== undefined) env[name] = process.env[name];
  // A temp directory of its own, to see what the packager leaves in it.
  env.TMPDIR = join(workDir, 'tmp');
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', 'package', '--', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('npm run package without parameters', () => {
  it(
    'packages every function into its own zip, offline, with no stage parameter or credential',
    async () => {
      const outDir = join(workDir, 'package');
      const functions = (await readdir(join(ROOT, 'functions')))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => basename(f, '.ts'))
        .filter((f) => !LOCAL_ONLY.includes(f));

      const { code, output } = await npmRunPackage(['--package', outDir]);

      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain('for stage ci');
      const zips = (await readdir(outDir)).filter((f) => f.endsWith('.zip')).map((f) => basename(f, '.zip'));
      expect(zips.sort()).toEqual(functions.sort());
      for (const name of zips) expect((await stat(join(outDir, `${name}.zip`))).size).toBeGreaterThan(1_000);
      const state = JSON.parse(await readFile(join(outDir, 'serverless-state.json'), 'utf8')) as {
        service: { functions: Record<string, unknown> };
      };
      expect(Object.keys(state.service.functions).sort()).toEqual(functions.sort());
      // serverless-esbuild zips through `<function>-<pid>-<time>-<random>` folders in the temp
      // directory and leaves them: none may be there (resources/packagerTempDir.js), nor in the tree.
      const leftovers = (await readdir(join(workDir, 'tmp'))).filter((name) => /^\w+-\d+-\d+-[0-9a-f]{8}$/.test(name));
      expect(leftovers).toEqual([]);
      // Nor its build folder: serverless-esbuild removes it, and nothing of it is left in the tree.
      await expect(stat(join(ROOT, `.esbuild-${basename(workDir)}`))).rejects.toThrow();
      await expect(stat(join(ROOT, 'tmp', basename(workDir)))).rejects.toThrow();
      const inTree = await readdir(join(ROOT, '.serverless-tmp')).catch(() => []);
      expect(inTree.filter((name) => /^\w+-\d+-\d+-[0-9a-f]{8}$/.test(name))).toEqual([]);
    },
    PACKAGE_TIMEOUT_MS,
  );
});
