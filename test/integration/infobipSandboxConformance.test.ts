/**
 * What the conformance check stands on (tools/infobipSandbox/conformance.ts): the sandbox
 * lists the requests it refuses on schema grounds, marks the ones a test declared, and
 * records every Infobip request it receives as one NDJSON line for `npm run check:infobip`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { takeUnexpectedRefusals } from '../../tools/infobipSandbox/conformance';
import { postWhatsApp, SENDER, WA_API_KEY } from '../support/whatsAppSandbox';

let dir: string;
let file: string;
let sandbox: InfobipSandbox;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-record-'));
  file = join(dir, 'requests.ndjson');
  sandbox = await startInfobipSandbox({ apiKey: WA_API_KEY, recordFile: file, fetchMedia: false, deliveryReports: false });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => sandbox.reset());

const text = (content: unknown) => ({ from: SENDER, to: '39123456789', content });
const lines = () =>
  (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('Infobip sandbox: conformance', () => {
  it('lists a refusal no test declared, for the suite teardown to fail on, and clears the sandbox’s own list on reset', async () => {
    await postWhatsApp(sandbox, '/whatsapp/1/message/text', text({ text: '' }));

    expect(sandbox.schemaRefusals).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/whatsapp/1/message/text',
        expected: false,
        errors: { 'content.text': ['size must be between 1 and 4096'] },
      }),
    ]);
    // Taken here, so this suite's own teardown does not fail on the refusal it provoked.
    expect(takeUnexpectedRefusals()).toHaveLength(1);
    sandbox.reset();
    expect(sandbox.schemaRefusals).toEqual([]);
  });

  it('marks refusals expected after expectSchemaRefusals(), until the next reset', async () => {
    sandbox.expectSchemaRefusals();
    await postWhatsApp(sandbox, '/whatsapp/1/message/text', text({ text: '' }));
    sandbox.reset();
    await postWhatsApp(sandbox, '/whatsapp/1/message/text', text({ text: '' }));

    const unexpected = takeUnexpectedRefusals();
    expect(unexpected).toHaveLength(1);
    expect(sandbox.schemaRefusals).toEqual([expect.objectContaining({ expected: false })]);
  });

  it('records every Infobip request as one NDJSON line, marks declared ones, and leaves the sandbox-only helpers out', async () => {
    const before = lines().length;
    await postWhatsApp(sandbox, '/whatsapp/1/message/text', text({ text: 'hi' }));
    sandbox.expectSchemaRefusals();
    await postWhatsApp(sandbox, '/whatsapp/1/message/text', 'not json');
    await fetch(`${sandbox.url}/sandbox/messages/x`);

    expect(lines().slice(before)).toEqual([
      { method: 'POST', path: '/whatsapp/1/message/text', body: text({ text: 'hi' }) },
      { method: 'POST', path: '/whatsapp/1/message/text', body: null, expected: true },
    ]);
  });
});
