import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inboundMessagePayload, postWebhook } from '../../tools/infobipSandbox';
import { runLogs } from '../../tools/logs';
import { startLocalStack, webhookAuthOf, type LocalStack } from '../../tools/stack';
import { waitFor } from '../support/wait';

/** `npm run logs -- --local` against a real local stack: the webhook's story, read back from the stack's log file. */
describe('npm run logs -- --local, on the local stack', () => {
  let stack: LocalStack;
  let dir: string;
  let logFile: string;
  const output: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imchannel-logs-e2e-'));
    logFile = join(dir, 'local.log');
    stack = await startLocalStack({ freePorts: true, env: {}, output: (line) => output.push(line), logFile });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const logs = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runLogs(
      argv,
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { env: { IMCHANNEL_LOCAL_LOG: logFile } },
    );
    return { code, out, err };
  };

  it("finds the onMessage line of a webhook by its messageId, and only that message's lines", async () => {
    const messageId = `wamid.E2ELOGS${randomUUID()}`;
    const other = `wamid.E2ELOGS${randomUUID()}`;
    const payload = inboundMessagePayload({ text: 'Where is my order?', messageId });
    const auth = webhookAuthOf(stack.env);
    expect((await postWebhook(`${stack.apiUrl}/onMessage`, payload, auth)).status).toBe(200);
    expect((await postWebhook(`${stack.apiUrl}/onMessage`, inboundMessagePayload({ messageId: other }), auth)).status).toBe(200);
    // The stack writes the file as each line passes, so once both lines are out they are on file.
    for (const id of [messageId, other]) {
      await waitFor(
        () => output.some((line) => line.startsWith('[IMCHANNEL] [onMessage]') && line.includes(id)),
        10_000,
        `the line of ${id}`,
      );
    }

    const result = await logs(['--local', '--message-id', messageId, '--since', '10m']);

    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    // Oldest first: the runbook line, then the rest of this message's story (the forward to ctlive).
    expect(result.out[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[IMCHANNEL\] \[onMessage\] Message received /);
    expect(result.out[0]).toContain(JSON.stringify(payload));
    expect(result.out.every((line) => line.includes(messageId) && !line.includes(other))).toBe(true);
    expect(result.out.map((line) => Date.parse(line.slice(0, 24)))).toEqual(
      [...result.out.map((line) => Date.parse(line.slice(0, 24)))].sort((x, y) => x - y),
    );

    const byTag = await logs(['--local', '--tag', 'onMessage']);
    expect(byTag.out.filter((l) => l.includes('Message received') && (l.includes(messageId) || l.includes(other)))).toHaveLength(
      2,
    );
    expect((await logs(['--local', '--tag', 'sendMessage', '--message-id', messageId])).out).toEqual([]);
  });
});
