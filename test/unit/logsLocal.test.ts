import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runLogs } from '../../tools/logs';
import { localLogPath, localLogWriter, parseLocalLog, searchLocal } from '../../tools/logs/local';

const now = Date.parse('2026-11-24T12:00:00.000Z');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imchannel-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLogs(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { now, env });
  return { code, out, err };
}

describe("the local stack's log file", () => {
  it('keeps the function lines only, time-stamped, one per row', () => {
    const file = join(dir, 'nested', 'local.log');
    let t = now - 1_000;
    const write = localLogWriter(file, () => t++);
    write('[stack] started redis-server at redis://127.0.0.1:1');
    write('[IMCHANNEL] [onMessage] Message received {"a":1}');
    write('POST /imchannel/onMessage (λ: onMessage)');
    write('[IMCHANNEL] [onMessage] two\nrows');
    expect(readFileSync(file, 'utf8')).toBe(
      '2026-11-24T11:59:59.000Z [IMCHANNEL] [onMessage] Message received {"a":1}\n' +
        '2026-11-24T11:59:59.001Z [IMCHANNEL] [onMessage] two\\nrows\n',
    );
    expect(parseLocalLog(readFileSync(file, 'utf8'))).toHaveLength(2);
  });

  it('defaults to .imchannel/local.log in the project, or IMCHANNEL_LOCAL_LOG', () => {
    expect(localLogPath({})).toBe(resolve(__dirname, '../../.imchannel/local.log'));
    expect(localLogPath({ IMCHANNEL_LOCAL_LOG: join(dir, 'x.log') })).toBe(join(dir, 'x.log'));
  });
});

describe('npm run logs -- --local', () => {
  const rows = [
    '2026-11-24T11:59:50.000Z [IMCHANNEL] [sendMessage] request to [u] Data [{"to":"39123456789"}] with api key header',
    '2026-11-24T09:00:00.000Z [IMCHANNEL] [onMessage] Message received {"results":[{"messageId":"old"}]}',
    '2026-11-24T11:59:55.000Z [IMCHANNEL] [onMessage] Message received {"results":[{"messageId":"wamid.A"}]}',
    'garbage row',
    '2026-11-24T11:59:52.000Z [IMCHANNEL] [onDeliveryReport] Report received {"results":[{"messageId":"m-1"}]}',
    '2026-11-24T11:59:51.000Z [IMCHANNEL] [sendMessage] response of [u]: {"messages":[{"messageId":"m-1"}]}',
  ];
  let file: string;
  beforeEach(() => {
    file = join(dir, 'local.log');
    writeFileSync(file, `${rows.join('\n')}\n`);
  });

  it('filters by tag and --since, in time order', async () => {
    const { code, out } = await run(['--local', '--file', file, '--tag', 'onMessage']);
    expect(code).toBe(0);
    expect(out).toEqual([rows[2]]);
    expect((await run(['--local', '--file', file, '--tag', 'onMessage', '--since', '4h'])).out).toEqual([rows[1], rows[2]]);
  });

  it('filters by message id across functions, in time order', async () => {
    const { out } = await run(['--local', '--message-id', 'm-1'], { IMCHANNEL_LOCAL_LOG: file });
    expect(out).toEqual([rows[5], rows[4]]);
  });

  it('does not take a tag for a prefix of another one', () => {
    const found = searchLocal(file, { tag: 'sendMessage', startTime: 0, limit: 10 });
    expect(found.lines.map((l) => l.message)).toEqual([
      expect.stringContaining('request to'),
      expect.stringContaining('response of'),
    ]);
  });

  it('a missing file: one line, exit 1', async () => {
    const { code, out, err } = await run(['--local', '--file', join(dir, 'none.log')]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      expect.stringMatching(/^logs: no local log at .*none\.log \(start the local stack with npm start first/),
    ]);
  });
});

describe('npm run logs, the real command', () => {
  const exec = promisify(execFile);
  const tsx = resolve(__dirname, '../../node_modules/tsx/dist/cli.mjs');
  const cli = resolve(__dirname, '../../tools/logs.ts');
  const runCli = async (argv: string[], env: Record<string, string>) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [tsx, cli, ...argv], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error: unknown) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it("without AWS credentials: one line on stderr, exit 1 (the SDK's real provider chain)", async () => {
    const result = await runCli(['--tag', 'onMessage', '--stage', 'prod'], {
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^logs: no AWS credentials found \(set AWS_PROFILE or AWS_ACCESS_KEY_ID[^\n]*\)\n$/);
  }, 30_000);

  it('an unknown tag: one line on stderr, exit 2', async () => {
    const result = await runCli(['--tag', 'onMesage'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^logs: unknown --tag "onMesage"[^\n]*\n$/);
  }, 30_000);
});

describe('a media id leads to the report of the message that carried it', () => {
  const mediaId = 'bb8b8717-5b71-45a7-be04-af9cb746661b';
  const sentAs = 'c1935b1d-4a51-4a3c-9d0e-7f0b1b0c2f11';
  const stamp = (offsetMs: number, line: string) => `${new Date(now - 60_000 + offsetMs).toISOString()} ${line}`;
  const rows = [
    stamp(
      0,
      `[IMCHANNEL] [sendWhatsAppDocumentMessage] request to [http://sb/omni/1/advanced] Data [{"scenarioKey":"K","destinations":[{"to":{"phoneNumber":"39123456789"}}],"whatsApp":{"fileUrl":"http://api/getDocumentMessage/${mediaId}"}}] with api key header`,
    ),
    // Another send's pair in between, as concurrent invocations write them.
    stamp(
      5,
      '[IMCHANNEL] [sendMessage] request to [http://sb/omni/1/advanced] Data [{"destinations":[{"to":{"phoneNumber":"39000000000"}}]}] with api key header',
    ),
    stamp(8, '[IMCHANNEL] [sendMessage] response of [http://sb/omni/1/advanced]: {"messages":[{"messageId":"other-message"}]}'),
    stamp(
      10,
      `[IMCHANNEL] [sendWhatsAppDocumentMessage] response of [http://sb/omni/1/advanced]: {"messages":[{"to":"39123456789","status":{"groupName":"PENDING"},"messageId":"${sentAs}"}]}`,
    ),
    stamp(20, `[IMCHANNEL] [onGetDocumentMessage] Request received for ID [${mediaId}] (HEAD)`),
    stamp(
      3_000,
      `[IMCHANNEL] [onDeliveryReport] Report received {"results":[{"messageId":"${sentAs}","status":{"groupName":"UNDELIVERABLE","name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":7022,"name":"EC_MEDIA_UNSUPPORTED"}}]}`,
    ),
    stamp(3_010, `[IMCHANNEL] [onDeliveryReport] Forwarded delivery event for messageId [${sentAs}] to [http://sink]`),
    stamp(3_020, '[IMCHANNEL] [onDeliveryReport] Forwarded delivery event for messageId [other-message] to [http://sink]'),
  ];

  it('finds the send by the file URL, its answer, and then the report by the messageId the answer names', async () => {
    const file = join(dir, 'local.log');
    writeFileSync(file, `${rows.join('\n')}\n`);

    const { code, out } = await run(['--local', '--file', file, '--message-id', mediaId]);

    expect(code).toBe(0);
    expect(out.map((line) => line.slice(25))).toEqual([
      expect.stringContaining('[sendWhatsAppDocumentMessage] request to ['),
      expect.stringContaining(`[sendWhatsAppDocumentMessage] response of [http://sb/omni/1/advanced]: {"messages":[{`),
      expect.stringContaining(`[onGetDocumentMessage] Request received for ID [${mediaId}]`),
      expect.stringContaining('"error":{"id":7022,"name":"EC_MEDIA_UNSUPPORTED"}'),
      `[IMCHANNEL] [onDeliveryReport] Forwarded delivery event for messageId [${sentAs}] to [http://sink]`,
    ]);
    expect(out.join('\n')).not.toContain('other-message');
  });
});
