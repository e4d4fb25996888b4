import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, startNpm, type NpmStart } from '../support/npmStart';

/**
 * `serverless invoke local` as the README gives it, in a shell whose environment holds
 * nothing of this machine's but PATH and HOME: once with nothing configured (it must end,
 * non-zero, naming every missing variable), once with what `npm run env:local` prints for
 * a running `npm start` (it must send through the stack's Infobip sandbox).
 */
const INVOKE = 'npx serverless invoke local -f sendMessage -p events/sendMessage-200-valid.json --stage local';
const LIMIT_MS = 90_000;
const SINK_TOKEN = `sink-token-${randomBytes(8).toString('hex')}`;

function shell(script: string, extraEnv: Record<string, string>) {
  // Each run builds in its own folder: nothing another run or a packaging serves is touched.
  const buildDir = `.esbuild-invoke-${randomBytes(4).toString('hex')}`;
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', IMCHANNEL_BUILD_DIR: buildDir, ...extraEnv };
  const child = spawn('sh', ['-c', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = Date.now();
  // A hang is the bug this guards against: end it (the whole group) and report it.
  const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), LIMIT_MS);
  return new Promise<{ code: number | null; ms: number; output: string }>((resolveRun) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      rmSync(join(ROOT, buildDir), { recursive: true, force: true });
      resolveRun({ code, ms: Date.now() - started, output });
    }),
  );
}

describe('serverless invoke local, as the README gives it', () => {
  it(
    'with nothing configured, exits non-zero at once and names every missing variable in one line',
    async () => {
      // Nothing exported at all: the local stage reads no SSM unless SECRETS_SSM_PATH asks.
      const run = await shell(INVOKE, {});

      expect(run.code).not.toBeNull(); // not killed for hanging
      expect(run.code).not.toBe(0);
      expect(run.ms).toBeLessThan(LIMIT_MS);
      const lines = run.output.split('\n').filter((line) => line.includes('Configuration error'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        level: 'ERROR',
        message:
          '[IMCHANNEL] [sendMessage] Configuration error, the function cannot start: UPSTASH_REDIS_REST_URL is required but not set; UPSTASH_REDIS_REST_TOKEN is required but not set; CTLIVE_API_TOKEN is required but not set',
        variables: ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN', 'CTLIVE_API_TOKEN'],
      });
    },
    LIMIT_MS + 10_000,
  );

  describe('against a running npm start, with the environment npm run env:local prints', () => {
    let dir: string;
    let stack: NpmStart;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'imchannel-invoke-'));
      stack = await startNpm(dir, { CTLIVE_SINK_TOKEN: SINK_TOKEN });
    }, 130_000);
    afterAll(async () => {
      if (stack?.npm.exitCode === null) {
        process.kill(stack.npm.pid as number, 'SIGTERM');
        await stack.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('keeps the state file to its owner, and its secrets out of the banner', () => {
      expect(statSync(stack.statePath).mode & 0o777).toBe(0o600);
      const state = JSON.parse(readFileSync(stack.statePath, 'utf8')) as { env: Record<string, string> };
      for (const secret of ['UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY']) {
        expect(state.env[secret]).toMatch(/\w{16}/);
        expect(stack.output()).not.toContain(state.env[secret]);
      }
      expect(stack.output()).toContain('eval "$(npm run -s env:local)"');
    });

    it(
      'sends the message through the stack',
      async () => {
        const run = await shell(`eval "$(npm run -s env:local)" && ${INVOKE}`, { IMCHANNEL_LOCAL_STATE: stack.statePath });

        // The whole output on failure: it holds the function's own line saying why.
        expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: expect.stringContaining('"statusCode": 200') });
        const messageId = /\\"messageId\\":\\"([^\\"]+)\\"/.exec(run.output)?.[1];
        expect(messageId).toBeDefined();
        // The stack's own sandbox took it: the key and URL came from the state file alone.
        expect(stack.output()).toContain(`messageId=${messageId}`);
      },
      LIMIT_MS + 10_000,
    );

    it(
      'forwards a webhook to the ctlive sink, whose token CTLIVE_SINK_TOKEN set',
      async () => {
        // The event file with a message id of its own: Redis remembers every id it forwarded.
        const messageId = `wamid.INVOKELOCAL${randomBytes(8).toString('hex')}`;
        const event = readFileSync(join(ROOT, 'events/onMessage-image.json'), 'utf8').replace(/wamid\.EXAMPLE\w+/g, messageId);
        const eventFile = join(dir, 'onMessage.json');
        writeFileSync(eventFile, event);
        const webhook = `INFOBIP_WEBHOOK_USERNAME= INFOBIP_WEBHOOK_PASSWORD= INFOBIP_REPORT_TOKEN= INFOBIP_WEBHOOK_AUTH=none npx serverless invoke local -f onMessage -p ${eventFile} --stage local`;

        const run = await shell(`eval "$(npm run -s env:local)" && ${webhook}`, { IMCHANNEL_LOCAL_STATE: stack.statePath });

        expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: expect.stringContaining('\\"forwarded\\":1') });
        expect(stack.output()).toContain(
          `[ctlive-sink] received {"event":"message","channel":"WHATSAPP","messageId":"${messageId}"`,
        );
        const state = JSON.parse(readFileSync(stack.statePath, 'utf8')) as { env: Record<string, string> };
        expect(state.env.CTLIVE_TARGET_TOKEN).toBe(SINK_TOKEN);
      },
      LIMIT_MS + 10_000,
    );
  });
});
