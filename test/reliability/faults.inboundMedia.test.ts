/**
 * Fault matrix, customers' files: Infobip's media path answering 404, 429 with Retry-After,
 * 500 and 503, a slow download (slow body, and headers later than the copier waits), a
 * download reset half way, a 302 to a CDN that fails, S3 refusing (before anything is written,
 * and between the partial object and the final key), and the copier killed in the middle of a
 * file. Each row goes the whole way: onMessage with its step for files, whose copies run as
 * Lambda runs them (asynchronously, five at a time, a failed run retried twice), the real
 * copier on a real Redis (through the Upstash proxy), the local S3, the Infobip sandbox and
 * the ctlive sink. For each: a file Infobip still has is stored once under `inbound/<id>`
 * with Infobip's bytes and announced once (mediaStored, after its message); a file Infobip no
 * longer has is announced once as failed (mediaFailed EXPIRED); whenever a run failed, nothing
 * was under the final key; and the API key never went to the CDN.
 */
import { randomUUID } from 'node:crypto';
import type { AddedInboundMedia, InboundMediaFaults } from '../../tools/infobipSandbox';
import { inboundMessagePayload } from '../../tools/infobipSandbox';
import { startLocalS3, type LocalS3 } from '../../tools/localS3';
import { inboundObjectKey, PARTIAL_PREFIX } from '../../lib/inboundMedia/reference';
import { sampleFile } from '../support/sampleFile';
import { expectNothingLeaked } from './faultSupport/expectations';
import { bucketKeys, idOf, keyLeaks, startCopier, verdicts, type Copier, type CopierOptions } from './faultSupport/copier';
import { tally } from './faultSupport/results';
import { basic, startStack, WEBHOOK_USER, type Stack } from './faultSupport/stack';

let stack: Stack;
let s3: LocalS3;
const figures = tally('faults.inboundMedia');
/** Runs frozen mid-file by a test: let go once the run is over, so that nothing is left pending. */
const frozen: Array<(error: Error) => void> = [];

const PHOTO_BYTES = 200_000;
const ALLOWED = ['127.0.0.1'];

beforeAll(async () => {
  stack = await startStack();
  s3 = await startLocalS3();
});

afterAll(async () => {
  figures.write();
  for (const release of frozen.splice(0)) release(new Error('the test run is over'));
  await s3?.close();
  await stack?.close();
});

beforeEach(() => {
  stack.sandbox.reset();
  stack.sink.reset();
  s3.faults.refuseAll = false;
  s3.faults.delayMs = 0;
});

afterEach(() => {
  for (const release of frozen.splice(0)) release(new Error('the copier was killed'));
});

interface Row {
  via?: 'direct' | 'redirect';
  faults?: InboundMediaFaults;
  expiresInMs?: number;
  copier?: Partial<CopierOptions>;
  /** Before the webhook; what it returns runs before each retry (a fault mended). */
  arm?: () => void | (() => void);
}

/** A customer's photo through onMessage, its copy run to the end as Lambda runs it. */
async function copyPhoto(row: Row) {
  const bytes = sampleFile('image/png', PHOTO_BYTES);
  const file = stack.sandbox.addInboundMedia({ bytes, contentType: 'image/png', via: row.via, expiresInMs: row.expiresInMs });
  if (row.expiresInMs !== undefined) await new Promise((resolve) => setTimeout(resolve, row.expiresInMs! + 20));
  if (row.faults !== undefined) stack.sandbox.inboundMediaFaults(row.faults);
  const copier = startCopier({
    redis: { url: stack.proxy.url, token: stack.proxy.token },
    s3,
    apiKey: stack.secrets.apiKey,
    allowedHosts: ALLOWED,
    forwarder: stack.sinkForwarder,
    logger: stack.logger,
    retryDelaysMs: [300, 600],
    ...row.copier,
  });
  const mend = row.arm?.();
  /** What the final key held each time a run had failed: nothing, every time. */
  const finalKeyAtFailures: unknown[] = [];
  copier.lambda.beforeRetry = async () => {
    if (typeof mend === 'function') mend();
    finalKeyAtFailures.push(await copier.storage.head(inboundObjectKey(idOf(file, ALLOWED))));
  };
  const messageId = `wamid.FAULT${randomUUID().replace(/-/g, '').toUpperCase()}`;
  const { onMessage } = stack.webhooks({ inboundMedia: copier.step });
  const payload = inboundMessagePayload({ type: 'IMAGE', messageId, extra: { message: { url: file.url } } });

  const reply = await stack.call(onMessage, { body: payload, headers: basic(WEBHOOK_USER, stack.secrets.webhookPassword) });
  await copier.lambda.idle(90_000);

  expect(reply.status).toBe(200);
  const [verdict] = await verdicts(copier, s3, stack.sink.received, [{ messageId, file }]);
  return { copier, file, bytes, verdict: verdict!, finalKeyAtFailures, mediaRequests: mediaRequestsOf(file) };
}

/** The sandbox's answers for this file, in order: `api 429`, `cdn 200`, … (0: no answer). */
const mediaRequestsOf = (file: AddedInboundMedia) =>
  stack.sandbox.inboundMediaRequests.filter((r) => r.mediaId === file.mediaId).map((r) => `${r.host} ${r.status}`);

const attemptsOf = (copier: Copier) => copier.lambda.invocations.flatMap((i) => i.attempts.map((a) => a.result.split(':')[0]));

/** Stored once under its final key with Infobip's bytes, announced once after its message, and no key at the CDN. */
function expectStoredOnce(result: Awaited<ReturnType<typeof copyPhoto>>, writesToFinalKey = 1) {
  const { verdict, file, copier, finalKeyAtFailures } = result;
  expect({
    object: verdict.object,
    writesToFinalKey: verdict.writesToFinalKey,
    messageEvents: verdict.messageEvents,
    stored: verdict.stored.map((e) => ({ id: e.media?.id, sha256: e.media?.sha256, size: e.media?.size })),
    failed: verdict.failed.map((e) => e.reason),
    messageFirst: verdict.messageFirst,
    finalKeyAtFailures: finalKeyAtFailures.filter((head) => head !== undefined),
    failureDestination: copier.lambda.failureDestination.length,
    ...keyLeaks(stack.sandbox),
  }).toEqual({
    object: { sha256: file.sha256, metadataSha256: file.sha256, size: PHOTO_BYTES },
    writesToFinalKey,
    messageEvents: 1,
    stored: [{ id: verdict.id, sha256: file.sha256, size: PHOTO_BYTES }],
    failed: [],
    messageFirst: true,
    finalKeyAtFailures: [],
    failureDestination: 0,
    cdnWithKey: 0,
    apiWithoutKey: 0,
  });
  expectNothingLeaked(stack);
  figures.add('filesStoredOnce');
}

/** A body that passes `bytes` bytes and then waits for `hold` before the rest. */
function holdAfter(body: ReadableStream<Uint8Array>, bytes: number, hold: () => Promise<void>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let passed = 0;
  let pending: Uint8Array | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (passed >= bytes) await hold();
      const next = pending ?? (await reader.read()).value;
      pending = undefined;
      if (next === undefined) return controller.close();
      const room = Math.max(bytes - passed, 0);
      const piece = room > 0 && next.byteLength > room ? next.subarray(0, room) : next;
      if (piece !== next) pending = next.subarray(room);
      passed += piece.byteLength;
      controller.enqueue(piece);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** A fetch whose first 200 (the first download that gets going) has its body reshaped; every other request untouched. */
function firstDownload(shape: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>): typeof fetch {
  let shaped = false;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    if (shaped || res.status !== 200 || res.body === null) return res;
    shaped = true;
    return new Response(shape(res.body), { status: res.status, headers: res.headers });
  }) as typeof fetch;
}

/** Once S3 has taken the partial PUT that follows this download (not an earlier one), it refuses every request. */
function refuseAfterThePartialPut(): () => Promise<void> {
  const partialPuts = () =>
    s3.requests.filter((r) => r.method === 'PUT' && r.path.startsWith(`/${s3.bucket}/${PARTIAL_PREFIX}`)).length;
  const before = partialPuts();
  return async () => {
    const until = Date.now() + 5_000;
    while (partialPuts() === before && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    s3.faults.refuseAll = true;
  };
}

describe('copyInboundMedia: a file Infobip still has is stored once and announced once', () => {
  const ROWS: { name: string; row: Row; attempts: string[]; answers: string[] }[] = [
    {
      name: 'Infobip answers 429 with Retry-After once: the run waits and downloads',
      row: { faults: { status: 429 } },
      attempts: ['ok'],
      answers: ['api 429', 'api 200'],
    },
    {
      name: 'Infobip answers 429 three times: two waits in the run, then Lambda retries',
      row: { faults: { status: 429, times: 3 } },
      attempts: ['TransientCopyFailure', 'ok'],
      answers: ['api 429', 'api 429', 'api 429', 'api 200'],
    },
    {
      name: 'Infobip answers 500',
      row: { faults: { status: 500 } },
      attempts: ['TransientCopyFailure', 'ok'],
      answers: ['api 500', 'api 200'],
    },
    {
      name: 'Infobip answers 503 twice: the last of Lambda’s retries stores it',
      row: { faults: { status: 503, times: 2 } },
      attempts: ['TransientCopyFailure', 'TransientCopyFailure', 'ok'],
      answers: ['api 503', 'api 503', 'api 200'],
    },
    {
      name: 'a slow download (100 kB/s) finishes in its run',
      row: { faults: { bytesPerSecond: 100_000 } },
      attempts: ['ok'],
      answers: ['api 200'],
    },
    {
      name: 'Infobip’s headers come after the copier’s 10 s wait: Lambda retries',
      row: { faults: { slowMs: 11_000 } },
      attempts: ['TransientCopyFailure', 'ok'],
      answers: ['api 0', 'api 200'],
    },
    {
      name: 'the download is reset half way',
      row: { faults: { resetAfterBytes: PHOTO_BYTES / 2 } },
      attempts: ['ObjectStorageUnavailableError', 'ok'],
      answers: ['api 200', 'api 200'],
    },
    {
      name: 'a 302 to a CDN that answers 500',
      row: { via: 'redirect', faults: { cdnFails: true } },
      attempts: ['TransientCopyFailure', 'ok'],
      answers: ['api 302', 'cdn 500', 'api 302', 'cdn 200'],
    },
    {
      name: 'a 302 to a CDN that resets the connection',
      row: { via: 'redirect', faults: { cdnFails: 'reset' } },
      attempts: ['TransientCopyFailure', 'ok'],
      answers: ['api 302', 'cdn 0', 'api 302', 'cdn 200'],
    },
    {
      name: 'a 302 to a CDN that cuts the body half way',
      row: { via: 'redirect', faults: { resetAfterBytes: PHOTO_BYTES / 2 } },
      attempts: ['ObjectStorageUnavailableError', 'ok'],
      answers: ['api 302', 'cdn 200', 'api 302', 'cdn 200'],
    },
    {
      name: 'S3 refuses everything (503 SlowDown) until the retry',
      row: {
        arm: () => {
          s3.faults.refuseAll = true;
          return () => void (s3.faults.refuseAll = false);
        },
      },
      attempts: ['ObjectStorageUnavailableError', 'ok'],
      answers: ['api 200'],
    },
  ];

  it.each(ROWS)(
    '$name',
    figures.track(async ({ row, attempts, answers }: (typeof ROWS)[number]) => {
      const result = await copyPhoto(row);

      expectStoredOnce(result);
      expect(attemptsOf(result.copier)).toEqual(attempts);
      expect(result.mediaRequests).toEqual(answers);
    }),
    60_000,
  );

  it(
    'S3 refuses the copy under the final key, after the partial object was written: nothing under the final key, and the retry stores it',
    figures.track(async () => {
      const result = await copyPhoto({
        copier: {
          // Before its last byte: once S3 has taken the partial PUT, it refuses what follows.
          fetch: firstDownload((body) => holdAfter(body, PHOTO_BYTES - 1, refuseAfterThePartialPut())),
        },
        arm: () => () => void (s3.faults.refuseAll = false),
      });
      const { id } = result.verdict;

      // Two PUTs reached the final key: the copy S3 refused, and the retry's.
      expectStoredOnce(result, 2);
      expect(attemptsOf(result.copier)).toEqual(['ObjectStorageUnavailableError', 'ok']);
      expect(result.finalKeyAtFailures).toEqual([undefined]);
      const partialPuts = s3.requests.filter(
        (r) => r.method === 'PUT' && r.path.startsWith(`/${s3.bucket}/${PARTIAL_PREFIX}${id}/`),
      );
      expect(partialPuts).toHaveLength(2);
      // The refused run's partial object stays (the bucket's rule removes it); the retry's own is gone.
      const keys = await bucketKeys(s3);
      expect(keys.final.filter((key) => key.includes(id))).toEqual([inboundObjectKey(id)]);
      expect(keys.partial.filter((key) => key.includes(id))).toEqual([partialPuts[0]!.path.slice(`/${s3.bucket}/`.length)]);
    }),
    60_000,
  );

  it(
    'the copier is killed half way through the file (its run frozen, Lambda’s timeout): the retry stores it once',
    figures.track(async () => {
      const result = await copyPhoto({
        copier: {
          timeoutMs: 3_000,
          fetch: firstDownload((body) =>
            holdAfter(body, PHOTO_BYTES / 2, () => new Promise<void>((_, reject) => frozen.push(reject))),
          ),
        },
      });

      expectStoredOnce(result);
      expect(attemptsOf(result.copier)).toEqual(['killed', 'ok']);
      expect(result.copier.lambda.containersStarted()).toBe(2);
      expect(result.finalKeyAtFailures).toEqual([undefined]);
    }),
    60_000,
  );
});

describe('copyInboundMedia: a file Infobip no longer has is announced as failed once', () => {
  it.each([
    { name: 'expired: Infobip answers 404', row: { expiresInMs: 1 } as Row },
    { name: 'expired behind a CDN redirect: Infobip answers 404', row: { expiresInMs: 1, via: 'redirect' } as Row },
    { name: 'Infobip answers 404 for a file it lost', row: { faults: { status: 404 } } as Row },
  ])(
    '$name: one mediaFailed EXPIRED, nothing in the bucket, no retry',
    figures.track(async ({ row }: { row: Row }) => {
      const { verdict, copier, mediaRequests } = await copyPhoto(row);

      expect({
        object: verdict.object,
        writesToFinalKey: verdict.writesToFinalKey,
        messageEvents: verdict.messageEvents,
        stored: verdict.stored.length,
        failed: verdict.failed.map((e) => ({ reason: e.reason, id: e.media?.id })),
        messageFirst: verdict.messageFirst,
        attempts: attemptsOf(copier),
        failureDestination: copier.lambda.failureDestination.length,
        ...keyLeaks(stack.sandbox),
      }).toEqual({
        object: undefined,
        writesToFinalKey: 0,
        messageEvents: 1,
        stored: 0,
        failed: [{ reason: 'EXPIRED', id: verdict.id }],
        messageFirst: true,
        attempts: ['ok'],
        failureDestination: 0,
        cdnWithKey: 0,
        apiWithoutKey: 0,
      });
      expect(mediaRequests).toEqual(['api 404']);
      expectNothingLeaked(stack);
      figures.add('filesFailedOnce');
    }),
    60_000,
  );
});

describe('copyInboundMedia: an outage that outlasts Lambda’s retries', () => {
  it(
    'Infobip answers 503 to all three runs: the last run tells ctlive once (mediaFailed UNAVAILABLE), nothing stored, nothing left to the failure destination',
    figures.track(async () => {
      const { verdict, copier, mediaRequests } = await copyPhoto({ faults: { status: 503, times: 3 } });

      expect({
        object: verdict.object,
        writesToFinalKey: verdict.writesToFinalKey,
        messageEvents: verdict.messageEvents,
        stored: verdict.stored.length,
        failed: verdict.failed.map((e) => e.reason),
        attempts: attemptsOf(copier),
        failureDestination: copier.lambda.failureDestination.map((i) => i.event.messageId),
      }).toEqual({
        object: undefined,
        writesToFinalKey: 0,
        messageEvents: 1,
        stored: 0,
        failed: ['UNAVAILABLE'],
        attempts: ['TransientCopyFailure', 'TransientCopyFailure', 'ok'],
        failureDestination: [],
      });
      expect(mediaRequests).toEqual(['api 503', 'api 503', 'api 503']);
      figures.add('filesFailedOnce');
    }),
    60_000,
  );
});
