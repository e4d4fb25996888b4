import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localEnv, removeLocalState, writeLocalState } from '../../tools/localEnv';

/** `npm run env:local`: the state file npm start writes, and the export lines read back from it. */
describe('npm run env:local', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imchannel-env-'));
    path = join(dir, 'local-stack.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const stack = (env: Record<string, string>, fromEnvironment: string[] = []) => ({
    apiUrl: 'http://127.0.0.1:3000/imchannel',
    env,
    fromEnvironment,
  });
  const lines = () => {
    const result = localEnv(path);
    if ('error' in result) throw new Error(result.error);
    return result.lines;
  };

  it('prints export lines a shell evaluates back to the exact values', () => {
    const tricky = `it's $HOME; "quoted" \`cmd\` \\ end`;
    writeLocalState(path, stack({ UPSTASH_REDIS_REST_TOKEN: tricky, SECRETS_SSM_PATH: '' }));

    const run = spawnSync('sh', ['-c', 'eval "$LINES"; printf "%s|%s" "$UPSTASH_REDIS_REST_TOKEN" "${SECRETS_SSM_PATH-unset}"'], {
      env: { PATH: process.env.PATH, LINES: lines().join('\n') },
      encoding: 'utf8',
    });

    expect(run.stdout).toBe(`${tricky}|`);
  });

  it('writes the file for its owner alone, even over an older readable one', () => {
    writeFileSync(path, '{}', { mode: 0o644 });
    writeLocalState(path, stack({ CTLIVE_API_TOKEN: 'imchannel-local-token' }));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('never stores a value npm start took from its environment: it names it for the caller to set', () => {
    writeLocalState(
      path,
      stack({ INFOBIP_API_KEY: 'my-real-infobip-key', INFOBIP_BASE_URL: 'http://127.0.0.1:8078' }, [
        'INFOBIP_API_KEY',
        'REDIS_URL',
      ]),
    );
    expect(readFileSync(path, 'utf8')).not.toContain('my-real-infobip-key');
    expect(lines()).toEqual([
      expect.stringMatching(/^# The local stack at http:\/\/127\.0\.0\.1:3000\/imchannel \(npm start, pid \d+\)/),
      "export INFOBIP_BASE_URL='http://127.0.0.1:8078'",
      '# INFOBIP_API_KEY: npm start took it from its environment; set it here the same way',
    ]);
  });

  it('says how to start a stack when none is running, or the one that wrote the file is gone', () => {
    expect(localEnv(path)).toEqual({
      error: expect.stringMatching(/^No local stack is running .*: start one with npm start\.$/),
    });

    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path, JSON.stringify({ pid: gone, apiUrl: 'x', env: {}, fromEnvironment: [] }));
    expect(localEnv(path)).toEqual({ error: expect.stringContaining(`(pid ${gone}) is no longer running`) });
  });

  it("removes its own file on stop, and leaves a later stack's alone", () => {
    writeLocalState(path, stack({}));
    removeLocalState(path);
    expect(existsSync(path)).toBe(false);

    writeFileSync(path, JSON.stringify({ pid: process.pid + 1, apiUrl: 'x', env: {}, fromEnvironment: [] }));
    removeLocalState(path);
    expect(existsSync(path)).toBe(true);
  });
});
