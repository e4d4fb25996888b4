/**
 * Executable docs: the README's examples and the three runbook situations of
 * docs/operations.md, run as written (the same shell commands, on this stack's ports)
 * against a real `npm start`, and the answer each doc shows checked against the real one
 * (test/support/docExamples.ts): a doc that drifts from the code fails here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startNpm, type NpmStart } from '../support/npmStart';
import { codeBlocks, docJson, jsonValues, section, shapeProblems } from '../support/docExamples';
import { sampleFile } from '../support/sampleFile';
import { waitFor } from '../support/wait';
import { withRedisDatabase } from '../../tools/localRedis';

const DOCS_TEST_DB = 2;

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const OPERATIONS = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
const LOCAL_STACK = readFileSync(join(ROOT, 'docs/local-stack.md'), 'utf8');

let dir: string;
let stack: NpmStart;
let api: string;

/** The doc's addresses, on this stack's ports. */
function local(text: string): string {
  const ports: [number, string][] = [
    [3000, 'PORT'],
    [8074, 'STREAM_PORT'],
    [8075, 'S3_PORT'],
    [8076, 'DOCS_PORT'],
    [8078, 'SANDBOX_PORT'],
  ];
  return ports.reduce((t, [port, name]) => t.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${stack.portOf[name]}`), text);
}

/** A doc's shell commands, run in `dir` with the stack's addresses and files. */
function sh(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // The README's commands run from the repository; its files (photo.png…) are in `dir`.
    const command = local(script).replaceAll('npm run ', `npm --prefix ${JSON.stringify(ROOT)} run `);
    const child = spawn('sh', ['-c', command], {
      cwd: dir,
      env: {
        ...process.env,
        IMCHANNEL_LOCAL_LOG: stack.logPath,
        IMCHANNEL_LOCAL_STATE: stack.statePath,
        IMCHANNEL_PUBLIC_URL: api,
        // simulate reply asks the sandbox for the message's buttons, on this stack's port.
        SANDBOX_PORT: String(stack.portOf.SANDBOX_PORT),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** `npm run logs -- --local …`, as on-call runs it, by the runbook's command. */
async function logs(args: string): Promise<string[]> {
  const run = await sh(`npm run -s logs -- --local --since 1h ${args}`);
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  return run.stdout.split('\n').filter(Boolean);
}

const expectShape = (doc: unknown, real: unknown) => expect(shapeProblems(doc, real, local)).toEqual([]);
const waitForOutput = (what: string, check: (output: string) => boolean, timeoutMs = 30_000) =>
  waitFor(() => check(stack.output()), timeoutMs, what);
const sinkEvent = (messageId: string) =>
  stack
    .output()
    .split('\n')
    .find((line) => line.startsWith('[ctlive-sink] received ') && line.includes(`"messageId":"${messageId}"`));

async function post(route: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${api}/${route}`, {
    method: 'POST',
    headers: { authorization: 'Bearer imchannel-local-token', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imchannel-docs-e2e-'));
  // A database of its own, as a newcomer's stack has: the README's customer has never
  // written there (npm start deletes what it wrote when it stops, this not being database 1).
  stack = await startNpm(dir, { REDIS_URL: withRedisDatabase(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', DOCS_TEST_DB) });
  api = `http://127.0.0.1:${stack.portOf.PORT}/imchannel`;
}, 180_000);
afterAll(async () => {
  if (stack?.npm.exitCode === null) {
    process.kill(stack.npm.pid as number, 'SIGTERM');
    await stack.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("the README's examples, as written", () => {
  let sentMessageId = '';

  it('the banner names the API reference page, and it is there', async () => {
    const url = `http://127.0.0.1:${stack.portOf.DOCS_PORT}/`;
    expect(stack.output()).toContain(`API reference    ${url}`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('/imchannel/sendMessage');
  }, 60_000);

  it('Sending text: the answer has the shape shown, and the terminal the two runbook lines', async () => {
    const text = section(README, 'Sending text');
    const run = await sh(codeBlocks(text, 'sh')[0] ?? '');
    const [answer] = jsonValues(run.stdout) as [{ messageId: string }];

    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), answer);
    sentMessageId = answer.messageId;
    const sandbox = `http://127.0.0.1:${stack.portOf.SANDBOX_PORT}/omni/1/advanced`;
    await waitForOutput('the response line', (out) =>
      out.includes(`[IMCHANNEL] [sendMessage] response of [${sandbox}]: {"messages":[`),
    );
    expect(stack.output()).toContain(`[IMCHANNEL] [sendMessage] request to [${sandbox}] Data [`);
  });

  it("Sending a location or a contact card: sendMessage's answer for each", async () => {
    const text = section(README, 'Sending a location or a contact card');
    const run = await sh(codeBlocks(text, 'sh')[0] ?? '');
    const answers = jsonValues(run.stdout);
    const shown = docJson(codeBlocks(section(README, 'Sending text'), 'json')[0] ?? '');

    expect(answers).toHaveLength(2);
    for (const answer of answers) expectShape(shown, answer);
  });

  it('Sending a file, and Infobip fetching it: the answer, then the fetch lines shown', async () => {
    writeFileSync(join(dir, 'photo.png'), sampleFile('image/png', 73));
    const text = section(README, 'Sending a file');
    const run = await sh(codeBlocks(text, 'sh')[0] ?? '');
    const [answer] = jsonValues(run.stdout) as [{ mediaId: string }];

    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), answer);
    const { mediaId } = answer;
    const shownLines = (codeBlocks(section(README, 'Infobip fetching it'), '')[0] ?? '')
      .split('\n')
      .filter((line) => line.startsWith('['))
      .map((line) => local(line.split('…')[0] ?? '').replace('3f3a95ab-', mediaId));
    await waitForOutput('the GET', (out) => out.includes(`media GET ${api}/getImageMessage/${mediaId} -> 200 73 bytes`));
    const output = stack.output().split('\n');
    for (const shown of shownLines) expect(output.some((line) => line.startsWith(shown))).toBe(true);
  });

  it('Sending a template: the list and the send have the shapes shown', async () => {
    const text = section(README, 'Sending a template');
    const run = await sh(codeBlocks(text, 'sh')[0] ?? '');
    const answers = jsonValues(run.stdout);
    const shown = (codeBlocks(text, 'json')[0] ?? '').trim().split('\n').map(docJson);

    expect(answers).toHaveLength(2);
    expectShape(shown[0], answers[0]);
    expectShape(shown[1], answers[1]);
  });

  it('Sending a large file: upload.json has the shape shown, the PUT and the send go through, no metrics lines', async () => {
    writeFileSync(join(dir, 'contract.pdf'), sampleFile('application/pdf', 6000));
    const text = section(README, 'Sending a large file (upload, PUT, send)');
    const [upload, putAndSend] = codeBlocks(text, 'sh');

    expect((await sh(upload ?? '')).code).toBe(0);
    const created = JSON.parse(readFileSync(join(dir, 'upload.json'), 'utf8')) as { mediaId: string };
    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), created);
    const run = await sh(putAndSend ?? '');
    const [sent] = jsonValues(run.stdout) as [{ mediaId: string; mediaUrl: string }];

    expect(sent).toMatchObject({ mediaId: created.mediaId });
    expect(sent.mediaUrl).toBe(`http://127.0.0.1:${stack.portOf.STREAM_PORT}/getDocumentMessage/${created.mediaId}`);
    await waitForOutput('the streamed GET', (out) => out.includes(`media GET ${sent.mediaUrl} -> 200 6000 bytes`));
    // docs/operations.md, "Metrics and alarms": the local stack writes none, the streaming route included.
    expect(stack.output()).not.toMatch(/\{"_aws":/);
  });

  it('An inbound message reaching ctlive: the event ctlive receives has the shape shown', async () => {
    const text = section(README, 'An inbound message reaching ctlive');
    const run = await sh(codeBlocks(text, 'sh')[0] ?? '');
    expect(run.code).toBe(0);
    const received = () =>
      stack
        .output()
        .split('\n')
        .find((line) => line.startsWith('[ctlive-sink] received ') && line.includes('"text":"Oh well"'));
    await waitForOutput('the sink', () => received() !== undefined);
    const event = JSON.parse((received() ?? '').slice('[ctlive-sink] received '.length)) as { messageId: string };
    const { messageId } = event;

    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), event);
    // docs/operations.md, "No contact in ctlive": the two lines of a message that reached ctlive.
    const story = await logs(`--message-id ${messageId}`);
    expect(story[0]).toMatch(/ \[IMCHANNEL\] \[onMessage\] Message received \{/);
    expect(story.some((l) => l.includes(`[onMessage] Forwarded message event for messageId [${messageId}] to [`))).toBe(true);
  });

  it("A customer's photo: the message names IMChannel's links, mediaStored has the shape shown, and the downloadUrl opens without credentials", async () => {
    const photo = sampleFile('image/jpeg', 20_480);
    writeFileSync(join(dir, 'photo.jpg'), photo);
    const text = section(LOCAL_STACK, "A customer's photo, open for the agent");
    const [simulate = '', download = ''] = codeBlocks(text, 'sh');
    const run = await sh(simulate);
    expect(run.code).toBe(0);
    const digest = createHash('sha256').update(photo).digest('hex');
    expect(run.stdout).toContain(digest);
    const stored = () =>
      stack
        .output()
        .split('\n')
        .find(
          (line) => line.startsWith('[ctlive-sink] received ') && line.includes('"event":"mediaStored"') && line.includes(digest),
        );
    await waitForOutput('mediaStored at the sink', () => stored() !== undefined);
    const event = JSON.parse((stored() ?? '').slice('[ctlive-sink] received '.length)) as { media: { downloadUrl: string } };

    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), event);
    const fetched = await sh(download.replace('<the downloadUrl of the event>', event.media.downloadUrl));
    expect(fetched.code).toBe(0);
    expect(
      createHash('sha256')
        .update(readFileSync(join(dir, 'copy.jpg')))
        .digest('hex'),
    ).toBe(digest);
  });

  it('A delivery report: the delivery event ctlive receives has the shape shown', async () => {
    const text = section(README, 'A delivery report');
    const messageId = randomUUID();
    const run = await sh((codeBlocks(text, 'sh')[0] ?? '').replace(/6920cb18-…/, messageId));
    expect(run.code).toBe(0);
    await waitForOutput('the sink', () => sinkEvent(messageId) !== undefined);
    const event = JSON.parse((sinkEvent(messageId) ?? '').slice('[ctlive-sink] received '.length)) as unknown;

    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), event);
  });

  // After the examples that show a customer who never wrote: the tap below is the customer writing.
  it('Quoting the customer: the answer names the WhatsApp API, and the request line its URL with the quote', async () => {
    const text = section(README, 'Quoting the customer, and the WhatsApp API');
    const run = await sh(codeBlocks(text, 'sh')[0] ?? '');
    const [answer] = jsonValues(run.stdout);

    expectShape(docJson(codeBlocks(text, 'json')[0] ?? ''), answer);
    const url = `http://127.0.0.1:${stack.portOf.SANDBOX_PORT}/whatsapp/1/message/text`;
    await waitForOutput('the response line', (out) => out.includes(`[IMCHANNEL] [sendMessage] response of [${url}]`));
    const request = stack
      .output()
      .split('\n')
      .find((line) => line.includes(`[IMCHANNEL] [sendMessage] request to [${url}] Data [`));
    expect(request).toContain('"context":{"replyToMessageId":"wamid.');
  });

  it('A menu: the buttons go out, the tap comes back with the button id, and the read receipt answers as shown', async () => {
    const text = section(README, 'A menu: send it, tap a button, mark it read');
    const [sendBlock = '', tapBlock = ''] = codeBlocks(text, 'sh');
    const [shownSent = '', shownRead = ''] = codeBlocks(text, 'json');
    const sent = jsonValues((await sh(sendBlock)).stdout)[0] as { messageId: string };
    expectShape(docJson(shownSent), sent);

    const [simulateLine = '', ...curlLines] = tapBlock.split('\n');
    const tapped = await sh(simulateLine.replace('3a9e…', sent.messageId));
    expect({ code: tapped.code, output: tapped.code === 0 ? '' : `${tapped.stdout}${tapped.stderr}` }).toEqual({
      code: 0,
      output: '',
    });
    const reply = () =>
      stack
        .output()
        .split('\n')
        .find((line) => line.startsWith('[ctlive-sink] received ') && line.includes('"reply":{"id":"tech"'));
    await waitForOutput('the tap at the sink', () => reply() !== undefined);
    const event = JSON.parse((reply() ?? '').slice('[ctlive-sink] received '.length)) as {
      messageId: string;
      reply: unknown;
      replyTo: { messageId: string };
    };
    expect(event.reply).toEqual({ id: 'tech', title: 'Technical' });
    expect(event.replyTo.messageId).toBe(sent.messageId);

    const curl = curlLines.join('\n').replace('<the messageId of the reply event>', event.messageId);
    const first = jsonValues((await sh(curl)).stdout)[0];
    const again = jsonValues((await sh(curl)).stdout)[0] as { alreadyMarked: boolean };
    expectShape(docJson(shownRead), first);
    expect(again.alreadyMarked).toBe(true);
  });

  it('Message not delivered (docs/operations.md): the request and response lines, then the report, by messageId', async () => {
    expect(sentMessageId).not.toBe('');
    await waitForOutput('the report', (out) => out.includes(`Forwarded delivery event for messageId [${sentMessageId}]`));

    const byTag = await logs('--tag sendMessage');
    const story = await logs(`--message-id ${sentMessageId}`);

    expect(byTag.some((l) => l.includes('[sendMessage] request to ['))).toBe(true);
    expect(byTag.some((l) => l.includes('[sendMessage] response of ['))).toBe(true);
    expect(story.some((l) => l.includes('[onDeliveryReport] Report received {'))).toBe(true);
    expect(story.some((l) => l.includes(`[onDeliveryReport] Forwarded delivery event for messageId [${sentMessageId}]`))).toBe(
      true,
    );
  });
});

describe('docs/operations.md, File not received: the refusal that comes later', () => {
  it('a text/plain document is sent and fetched, then reported UNDELIVERABLE EC_MEDIA_UNSUPPORTED, found from the mediaId', async () => {
    const sent = await post('sendWhatsAppDocumentMessage', {
      to: '39123456789',
      fileName: 'notes.txt',
      contentType: 'text/plain',
      content: Buffer.from('minutes of the meeting\n').toString('base64'),
    });
    expect(sent.status).toBe(200);
    const mediaId = String(sent.body.mediaId);
    const messageId = String(sent.body.messageId);
    await waitForOutput('the report', (out) => out.includes(`Forwarded delivery event for messageId [${messageId}]`));

    const story = await logs(`--message-id ${mediaId}`);

    // What the runbook tells on-call to look for, in the order it says.
    expect(story.findIndex((l) => l.includes('[sendWhatsAppDocumentMessage] request to ['))).toBe(0);
    expect(story.some((l) => l.includes(`[onGetDocumentMessage] Request received for ID [${mediaId}]`))).toBe(true);
    const report = story.find((l) => l.includes('[onDeliveryReport] Report received {')) ?? '';
    expect(report).toContain(`"messageId":"${messageId}"`);
    expect(report).toMatch(/"groupName":"UNDELIVERABLE"/);
    expect(report).toMatch(/"id":7022,"name":"EC_MEDIA_UNSUPPORTED"/);
    const runbook = section(OPERATIONS, 'A file Infobip took, fetched, and then refused');
    expect(runbook).toContain('EC_MEDIA_UNSUPPORTED');
    expect(story.at(-1)).toContain(`[onDeliveryReport] Forwarded delivery event for messageId [${messageId}] to [`);
  });
});

describe('one upload, one message', () => {
  it("a second message of an upload, without a key, is a 409 naming the first's real messageId, which on-call finds", async () => {
    const bytes = sampleFile('application/pdf', 5000);
    const created = await post('media', {
      kind: 'document',
      fileName: 'contract.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    const { mediaId, upload } = created.body as { mediaId: string; upload: { url: string; headers: Record<string, string> } };
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes })).status).toBe(200);

    const first = await post('sendWhatsAppDocumentMessage', { to: '39123456789', mediaId });
    const second = await post('sendWhatsAppDocumentMessage', { to: '39123456789', mediaId });

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    const error = second.body.error as { code: string; message: string };
    expect(error.code).toBe('UPLOAD_ALREADY_SENT');
    const named = /already sent as message (\S+),/.exec(error.message)?.[1];
    expect(named).toBe(first.body.messageId);
    const story = await logs(`--message-id ${named}`);
    expect(story.some((l) => l.includes('[sendWhatsAppDocumentMessage] request to [') && l.includes(mediaId))).toBe(true);
    expect(story.some((l) => l.includes('[sendWhatsAppDocumentMessage] Request failed with 409 UPLOAD_ALREADY_SENT'))).toBe(true);
  });
});
