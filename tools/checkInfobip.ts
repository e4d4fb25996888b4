/**
 * `npm run check:infobip -- <spec folder> [<recording>]`: holds requests against Infobip's
 * published OpenAPI specification (v3.210.0), the four product files in <spec folder>
 * (`infobip-whatsapp-openapi.json` and its three siblings), with the relaxations of
 * ./checkInfobip/spec.ts.
 *
 * With a recording (NDJSON, one `{"method","path","body"}` per line, as the sandbox writes
 * when INFOBIP_SANDBOX_RECORD names a file), each request is checked against its operation's
 * request body schema; without one, a self-test sends one valid request of each kind through
 * a sandbox, records them, and checks those. Exits 1 naming every invalid request and the
 * schema path it fails, 2 on bad usage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfobipSandbox } from './infobipSandbox';
import { checkRecording, type RecordedRequest } from './checkInfobip/check';
import { SAMPLE_INBOUND_ID, SAMPLES } from './checkInfobip/samples';
import { makeChecker, type SpecDocument } from './checkInfobip/spec';

export const SPEC_FILES = [
  'infobip-whatsapp-openapi.json',
  'infobip-omni-failover-openapi.json',
  'infobip-messages-api-openapi.json',
  'infobip-subscriptions-api-openapi.json',
] as const;

function readRecording(file: string): RecordedRequest[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordedRequest);
}

/** Sends every sample through a fresh sandbox that records them, and returns the recording. */
async function selfTestRecording(): Promise<RecordedRequest[]> {
  const dir = mkdtempSync(join(tmpdir(), 'check-infobip-'));
  const file = join(dir, 'requests.ndjson');
  const apiKey = 'check-infobip-key';
  const sandbox = await startInfobipSandbox({ apiKey, recordFile: file, fetchMedia: false, deliveryReports: false });
  try {
    sandbox.rememberInbound(SAMPLE_INBOUND_ID);
    for (const sample of SAMPLES) {
      const res = await fetch(`${sandbox.url}${sample.path}`, {
        method: sample.method,
        headers: { authorization: `App ${apiKey}`, 'content-type': 'application/json' },
        ...(sample.body === undefined ? {} : { body: JSON.stringify(sample.body) }),
      });
      if (res.status >= 300)
        throw new Error(`the sandbox refused its own sample ${sample.path}: ${res.status} ${await res.text()}`);
    }
    return readRecording(file);
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const [specDir, recording] = process.argv.slice(2);
  if (!specDir) {
    process.stderr.write('usage: npm run check:infobip -- <spec folder> [<recording.ndjson>]\n');
    return 2;
  }
  const documents: Record<string, SpecDocument> = {};
  for (const file of SPEC_FILES) documents[file] = JSON.parse(readFileSync(join(specDir, file), 'utf8')) as SpecDocument;
  const checker = makeChecker(documents);
  const requests = recording ? readRecording(recording) : await selfTestRecording();
  const { checked, skipped, declared, invalid } = checkRecording(checker, requests);
  for (const fault of invalid) {
    process.stderr.write(`INVALID line ${fault.line}: ${fault.method} ${fault.path} (${fault.operation})\n`);
    for (const error of fault.errors) process.stderr.write(`  ${error}\n`);
  }
  const source = recording ?? 'the self-test samples';
  process.stdout.write(
    `check:infobip: ${checked} request(s) of ${source} checked against Infobip's OpenAPI specification, ` +
      `${invalid.length} invalid, ${skipped} without a request body to check, ${declared} sent wrong on purpose by their test\n`,
  );
  return invalid.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`check:infobip: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
