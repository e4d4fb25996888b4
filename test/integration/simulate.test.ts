import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { sampleFile } from '../support/sampleFile';

const run = promisify(execFile);

/** Stands in for IMChannel's onDeliveryReport: records each body, answers `answer`. */
async function startImchannel(answer: unknown) {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/imchannel`;
  return { url, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function simulate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'tools/simulate.ts', ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run simulate -- delivery', () => {
  it('--failed posts a status and an error that agree: UNDELIVERABLE_NOT_DELIVERED with EC_UNKNOWN_USER', async () => {
    const imchannel = await startImchannel({ forwarded: 1, duplicates: 0 });
    try {
      const { code } = await simulate(
        'delivery',
        'm-failed-1',
        '--failed',
        '--callback-data',
        'ticket-1',
        '--url',
        imchannel.url,
      );

      expect(code).toBe(0);
      const [result] = (imchannel.bodies[0] as { results: Record<string, unknown>[] }).results;
      expect(result).toMatchObject({
        messageId: 'm-failed-1',
        callbackData: 'ticket-1',
        channel: 'WHATSAPP',
        status: { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED' },
        error: { groupId: 1, groupName: 'HANDSET_ERRORS', id: 7002, name: 'EC_UNKNOWN_USER', permanent: true },
      });
    } finally {
      await imchannel.close();
    }
  }, 40_000);

  it('says so, and exits 1, when IMChannel drops the report as a duplicate of the sandbox’s own', async () => {
    const imchannel = await startImchannel({ forwarded: 0, duplicates: 1 });
    try {
      const { code, stderr } = await simulate('delivery', 'm-reported-1', '--failed', '--url', imchannel.url);

      expect(code).toBe(1);
      expect(stderr).toContain('already forwarded a delivery report for m-reported-1');
      expect(stderr).toContain('SANDBOX_DELIVERY_REPORTS=off');
    } finally {
      await imchannel.close();
    }
  }, 40_000);
});

describe('npm run simulate -- reply', () => {
  const KEY = 'simulate-reply-key';
  let sandbox: InfobipSandbox;
  let imchannel: Awaited<ReturnType<typeof startImchannel>>;
  beforeAll(async () => {
    sandbox = await startInfobipSandbox({ apiKey: KEY, fetchMedia: false, deliveryReports: false });
    imchannel = await startImchannel({ forwarded: 1, duplicates: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await imchannel.close();
  });
  beforeEach(() => {
    imchannel.bodies.length = 0;
  });

  const send = async (kind: string, content: unknown, messageId: string) => {
    const res = await fetch(`${sandbox.url}/whatsapp/1/message/interactive/${kind}`, {
      method: 'POST',
      headers: { authorization: `App ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '44123456789', to: '39123456789', messageId, content }),
    });
    expect(res.status).toBe(200);
  };
  const reply = (...args: string[]) => simulate('reply', ...args, '--sandbox', sandbox.url, '--url', imchannel.url);

  it('posts the tapped row as INTERACTIVE_LIST_REPLY with its title, description and the context, and mark-as-read then takes its id', async () => {
    await send(
      'list',
      {
        body: { text: 'Pick one' },
        action: { title: 'Options', sections: [{ title: 'A', rows: [{ id: 'r1', title: 'Billing', description: 'Invoices' }] }] },
      },
      'list-1',
    );

    const { code } = await reply('list-1', 'r1');

    expect(code).toBe(0);
    const [body] = imchannel.bodies as { results: { from: string; to: string; messageId: string; message: unknown }[] }[];
    const result = body?.results[0];
    expect(result).toEqual(
      expect.objectContaining({
        from: '39123456789',
        to: '44123456789',
        message: {
          type: 'INTERACTIVE_LIST_REPLY',
          id: 'r1',
          title: 'Billing',
          description: 'Invoices',
          context: { from: '44123456789', id: 'list-1' },
        },
      }),
    );
    const read = await fetch(
      `${sandbox.url}/whatsapp/1/senders/44123456789/message/${encodeURIComponent(result?.messageId ?? '')}/read`,
      { method: 'POST', headers: { authorization: `App ${KEY}` } },
    );
    expect(read.status).toBe(204);
  });

  it('posts a tapped reply button as INTERACTIVE_BUTTON_REPLY with no description', async () => {
    await send(
      'buttons',
      { body: { text: 'Shall we?' }, action: { buttons: [{ type: 'REPLY', id: 'yes', title: 'Yes' }] } },
      'buttons-1',
    );

    const { code } = await reply('buttons-1', 'yes');

    expect(code).toBe(0);
    const [body] = imchannel.bodies as { results: { message: unknown }[] }[];
    expect(body?.results[0]?.message).toEqual({
      type: 'INTERACTIVE_BUTTON_REPLY',
      id: 'yes',
      title: 'Yes',
      context: { from: '44123456789', id: 'buttons-1' },
    });
  });

  it('names the ids the message has when the id is not one of them, and an unknown message, posting nothing', async () => {
    await send(
      'buttons',
      {
        body: { text: 'Shall we?' },
        action: {
          buttons: [
            { type: 'REPLY', id: 'yes', title: 'Yes' },
            { type: 'REPLY', id: 'no', title: 'No' },
          ],
        },
      },
      'buttons-2',
    );

    const wrongChoice = await reply('buttons-2', 'maybe');
    const unknown = await reply('never-sent', 'yes');

    expect(wrongChoice.code).toBe(1);
    expect(wrongChoice.stderr).toContain(`"maybe" is not one of message buttons-2's buttons; its ids are: yes, no`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('took no WhatsApp API message never-sent');
    expect(imchannel.bodies).toEqual([]);
  });
});

describe('npm run simulate -- inbound --file', () => {
  const KEY = 'simulate-file-key';
  let sandbox: InfobipSandbox;
  let imchannel: Awaited<ReturnType<typeof startImchannel>>;
  let dir: string;
  beforeAll(async () => {
    sandbox = await startInfobipSandbox({ apiKey: KEY, fetchMedia: false, deliveryReports: false });
    imchannel = await startImchannel({ forwarded: 1, duplicates: 0 });
    dir = mkdtempSync(join(tmpdir(), 'simulate-file-'));
  });
  afterAll(async () => {
    await sandbox.close();
    await imchannel.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    imchannel.bodies.length = 0;
  });

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  const file = (name: string, bytes: Buffer) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  const inbound = (...args: string[]) => simulate('inbound', ...args, '--sandbox', sandbox.url, '--url', imchannel.url);
  const postedMessage = () =>
    (imchannel.bodies[0] as { results: { message: { type: string; url: string; caption?: string } }[] }).results[0]!.message;

  it('posts an IMAGE whose url serves the photo’s exact bytes with the key, and prints its sha256', async () => {
    const photo = sampleFile('image/jpeg', 20_000);

    const { code, stdout } = await inbound('--file', file('photo.jpg', photo), 'At the beach');
    const message = postedMessage();
    const served = await fetch(message.url, { headers: { authorization: `App ${KEY}` } });
    const withoutKey = await fetch(message.url);

    expect(code).toBe(0);
    expect(message).toEqual({
      type: 'IMAGE',
      url: expect.stringMatching(new RegExp(`^${sandbox.url}/whatsapp/1/senders/44123456789/media/[A-Za-z0-9_-]+$`)),
      caption: 'At the beach',
    });
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(Buffer.from(await served.arrayBuffer()))).toBe(sha256(photo));
    expect(withoutKey.status).toBe(401);
    expect(stdout).toContain(`file photo.jpg: 20000 bytes, image/jpeg, sha256 ${sha256(photo)} -> IMAGE`);
    expect(stdout).toContain(`the sandbox serves it as mediaId `);
  });

  it('posts any other file as a DOCUMENT, served through the sandbox’s CDN with --via redirect', async () => {
    const notes = randomBytes(5_000);

    const { code, stdout } = await inbound('--file', file('notes.xyz', notes), '--via', 'redirect');
    const message = postedMessage();
    const redirect = await fetch(message.url, { headers: { authorization: `App ${KEY}` }, redirect: 'manual' });
    const fromCdn = await fetch(redirect.headers.get('location') ?? '');

    expect(code).toBe(0);
    expect(message.type).toBe('DOCUMENT');
    expect(redirect.status).toBe(302);
    expect(sha256(Buffer.from(await fromCdn.arrayBuffer()))).toBe(sha256(notes));
    expect(stdout).toContain(`application/octet-stream, sha256 ${sha256(notes)} -> DOCUMENT`);
  });

  it('says which file it cannot read, and posts nothing', async () => {
    const { code, stderr } = await inbound('--file', join(dir, 'no-such-file.jpg'));

    expect(code).toBe(2);
    expect(stderr).toContain('no-such-file.jpg cannot be read');
    expect(imchannel.bodies).toEqual([]);
  });
});
