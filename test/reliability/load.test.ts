/**
 * The local stack under load. autocannon drives sendMessage (ctlive's
 * side), a media fetch (Infobip fetching a stored file) and onMessage (Infobip's webhook)
 * for 30 s each over real HTTP; every request must be answered 2xx, and what the load
 * set off behind the answers (delivery reports, forwards to ctlive) must be complete.
 * The figures are recorded, not asserted: latency on a shared machine is noise.
 */
import { createHash, randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { redisKeys } from '../../lib/platform/redis';
import { inboundMessagePayload, postWebhook, seenReportPayload, webhookAuthHeaders } from '../../tools/infobipSandbox';
import { loadSeconds } from '../../tools/loadSettings';
import { webhookAuthOf } from '../../tools/stack';
import { CONNECTIONS, underLoad, type LoadFigures } from './loadSupport/autocannon';
import { recordResults } from './loadSupport/results';
import { deleteKeys, startLoadStack, type LoadStack } from './loadSupport/stack';
import { sampleFile } from '../support/sampleFile';
import { createLogger } from '../../lib/platform/log';
import { INFOBIP_MEDIA_RATE_PER_SECOND } from '../../lib/inboundMedia/rate';
import { peakPerSecond } from '../../tools/infobipSandbox/whatsapp/inboundMediaServe';
import { keyLeaks, startCopier, verdicts } from './faultSupport/copier';
import { deliverLikeInfobip } from './loadSupport/infobipRetry';
import { inProcessOnMessage, sinkForwarderOf } from './loadSupport/inProcess';

const SECONDS = loadSeconds();
/** Warm-up plus the run plus settling, with room to spare. */
const TEST_TIMEOUT_MS = (SECONDS + 90) * 1000;
const IMAGE_BYTES = 64 * 1024;

interface CtliveEvent {
  event: string;
  messageId: string;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Polls until `count` stops moving for a second (the follow-ups of the last requests), at most 30 s. */
async function settled(count: () => number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = -1;
  while (Date.now() < deadline && count() !== last) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const timesEach = (ids: readonly string[]) => {
  const times = new Map<string, number>();
  for (const id of ids) times.set(id, (times.get(id) ?? 0) + 1);
  return times;
};

function expectNoErrors(figures: LoadFigures, problems: string[]) {
  // What the functions said went wrong, if anything: the first few lines, to say why.
  expect(problems.slice(0, 5)).toEqual([]);
  expect({
    errors: figures.errors,
    timeouts: figures.timeouts,
    non2xx: figures.non2xx,
    warmup: { non2xx: figures.warmup.non2xx, errors: figures.warmup.errors },
    statusCodes: Object.keys(figures.statusCodes).filter((code) => !code.startsWith('2')),
  }).toEqual({ errors: 0, timeouts: 0, non2xx: 0, warmup: { non2xx: 0, errors: 0 }, statusCodes: [] });
  expect(figures.requests).toBeGreaterThan(0);
}

/** Infobip's largest batch (maxBucketSize 2000), every result a customer's photo. */
const PHOTOS_IN_BATCH = 2_000;
/** serverless.yml's copierReservedConcurrency: at most this many copies run at once. */
const COPIER_CONCURRENCY = 5;
const PHOTO_BASE_BYTES = 4 * 1024;
/** 2,000 downloads at 15/s take over two minutes; the rest is room. */
const COPIES_TIMEOUT_MS = 10 * 60_000;

describe(`the local stack under load, ${SECONDS} s per route, ${CONNECTIONS} connections`, () => {
  let ls: LoadStack;
  const runId = `RELOAD${randomBytes(4).toString('hex').toUpperCase()}N`;
  const keys = new Set<string>();
  const scenarios: LoadFigures[] = [];
  const bearer = () => ({ authorization: `Bearer ${ls.stack.token}`, 'content-type': 'application/json' });

  /** Only what passed is written: docs/reliability.md quotes green runs only. */
  const record = async (figures: LoadFigures & Record<string, unknown>) => {
    scenarios.push(figures);
    process.stdout.write(`load: ${JSON.stringify(figures)}\n`);
    await recordResults('load', { secondsPerRoute: SECONDS, scenarios });
  };

  beforeAll(async () => {
    ls = await startLoadStack();
  }, 180_000);

  afterAll(async () => {
    if (ls === undefined) return;
    await deleteKeys(ls.redis, [...keys]).catch(() => undefined);
    await ls.stop();
  }, 60_000);

  beforeEach(() => {
    ls.stack.sink.reset();
    ls.stack.sandbox.reset();
    ls.problems.length = 0;
  });

  it(
    'sendMessage: every request answered 200, and every message delivery-reported to ctlive once',
    async () => {
      const { stack } = ls;
      let sequence = 0;
      const sentIds: string[] = [];
      const request: autocannon.Request = {
        method: 'POST',
        headers: bearer(),
        setupRequest: (raw) => {
          const messageId = `${runId}S${(sequence += 1)}`;
          sentIds.push(messageId);
          keys.add(redisKeys.webhookEvent('delivery', messageId));
          return { ...raw, body: JSON.stringify({ to: '39123456789', text: `load ${messageId}`, messageId }) };
        },
      };

      // onDeliveryReport gets the sandbox's reports of this load: start its workers first, as
      // the warm-up does for sendMessage's, so that no cold start falls inside the measurement.
      const warmIds = Array.from({ length: CONNECTIONS }, (_, i) => `${runId}W${i}`);
      warmIds.forEach((id) => keys.add(redisKeys.webhookEvent('seen', id)));
      const warm = await Promise.all(
        warmIds.map((messageId) =>
          postWebhook(`${stack.apiUrl}/onDeliveryReport`, seenReportPayload({ messageId }), webhookAuthOf(stack.env)),
        ),
      );
      expect(warm.map((w) => w.status)).toEqual(warmIds.map(() => 200));
      stack.sink.reset();

      const figures = await underLoad('POST /imchannel/sendMessage', `${stack.apiUrl}/sendMessage`, request, SECONDS);
      // Infobip reports each message it accepted to onDeliveryReport, which forwards it to ctlive.
      await settled(() => stack.sandbox.deliveryReports.length + stack.sink.received.length);

      expectNoErrors(figures, ls.problems);
      const reports = stack.sandbox.deliveryReports;
      expect(reports.filter((r) => r.status !== 200).slice(0, 5)).toEqual([]);
      const accepted = stack.sandbox.received.filter((r) => r.path === '/omni/1/advanced').length;
      // The sandbox batches due reports as Infobip does: one result per accepted send, in fewer POSTs.
      const reported = reports.flatMap((r) => (r.body as { results: { messageId: string }[] }).results.map((x) => x.messageId));
      expect(reported.length).toBe(accepted);
      const delivered = timesEach(
        (stack.sink.received as CtliveEvent[]).filter((e) => e.event === 'delivery').map((e) => e.messageId),
      );
      expect(reported.filter((id) => delivered.get(id) !== 1).slice(0, 5)).toEqual([]);
      expect(delivered.size).toBe(reported.length);
      await record({ ...figures, deliveryReportsForwarded: delivered.size });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a media fetch: every GET answered 200 with the stored bytes',
    async () => {
      const { stack } = ls;
      const bytes = sampleFile('image/jpeg', IMAGE_BYTES);
      const stored = await fetch(`${stack.apiUrl}/sendWhatsAppImageMessage`, {
        method: 'POST',
        headers: bearer(),
        body: JSON.stringify({
          to: '39123456789',
          fileName: 'load.jpg',
          contentType: 'image/jpeg',
          content: bytes.toString('base64'),
        }),
      });
      const { mediaId } = (await stored.json()) as { mediaId: string };
      expect(stored.status).toBe(200);
      keys.add(redisKeys.media(mediaId));
      // Infobip's own HEAD and GET come first; each fetch, ours included, renews the
      // MEDIA_FETCH_TTL_SECONDS expiry, so the file stays for as long as it is being fetched.
      await stack.sandbox.waitForMediaFetches(2, 30_000);
      const request: autocannon.Request = { method: 'GET' };

      const url = `${stack.apiUrl}/getImageMessage/${mediaId}`;
      const figures = await underLoad('GET /imchannel/getImageMessage/{id}', url, request, SECONDS);
      const after = await fetch(url);
      const afterBytes = Buffer.from(await after.arrayBuffer());

      expectNoErrors(figures, ls.problems);
      expect({ status: after.status, sha256: sha256(afterBytes) }).toEqual({ status: 200, sha256: sha256(bytes) });
      await record({ ...figures, fileBytes: IMAGE_BYTES });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'onMessage: every webhook answered 200, and each one forwarded to ctlive exactly once',
    async () => {
      const { stack } = ls;
      let sequence = 0;
      const answered200: string[] = [];
      const request: autocannon.Request = {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...webhookAuthHeaders(webhookAuthOf(stack.env)) },
        setupRequest: (raw, context) => {
          const messageId = `wamid.${runId}M${(sequence += 1)}`;
          context.messageId = messageId;
          keys.add(redisKeys.webhookEvent('message', messageId));
          const payload = inboundMessagePayload({ messageId, text: `load ${messageId}`, contactName: 'Load' });
          return { ...raw, body: JSON.stringify(payload) };
        },
        onResponse: (status, _body, context) => {
          if (status === 200) answered200.push(String(context.messageId));
        },
      };

      const figures = await underLoad('POST /imchannel/onMessage', `${stack.apiUrl}/onMessage`, request, SECONDS);
      // A forward completes before its 200; requests cut off when the run ended may still land.
      await settled(() => stack.sink.received.length);

      expectNoErrors(figures, ls.problems);
      const forwarded = timesEach((stack.sink.received as CtliveEvent[]).map((e) => e.messageId));
      expect([...forwarded].filter(([, times]) => times !== 1).slice(0, 5)).toEqual([]);
      expect(answered200.filter((id) => forwarded.get(id) !== 1).slice(0, 5)).toEqual([]);
      expect(answered200.length).toBe(figures.requests + figures.warmup.requests);
      await record({ ...figures, forwardedToCtlive: forwarded.size });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `the copier: a batch of ${PHOTOS_IN_BATCH.toLocaleString('en-US')} photos in one webhook, copied ${COPIER_CONCURRENCY} at a time, each stored and announced once, never over 15 downloads/s at Infobip`,
    async () => {
      const { stack } = ls;
      const problems: Array<{ level: string; message: string }> = [];
      const allowedHosts = ['127.0.0.1'];
      const copier = startCopier({
        redis: { url: stack.proxy.url, token: stack.proxy.token },
        s3: stack.s3,
        apiKey: stack.env.INFOBIP_API_KEY ?? '',
        allowedHosts,
        forwarder: () => sinkForwarderOf(stack),
        logger: (tag) =>
          createLogger(tag, { format: 'json', level: 'WARN', sink: (line) => void problems.push(JSON.parse(line)) }),
        reservedConcurrency: COPIER_CONCURRENCY,
        timeoutMs: 180_000,
        retryDelaysMs: [1_000, 2_000],
      });
      const webhook = inProcessOnMessage(stack, 1, copier.step);
      const files = Array.from({ length: PHOTOS_IN_BATCH }, (_, i) => {
        const bytes = sampleFile('image/jpeg', PHOTO_BASE_BYTES + i);
        const file = stack.sandbox.addInboundMedia({
          bytes,
          contentType: 'image/jpeg',
          via: i % 4 === 0 ? 'redirect' : 'direct',
        });
        return { messageId: `wamid.${runId}P${i}`, file, size: bytes.length };
      });
      files.forEach(({ messageId }) => keys.add(redisKeys.webhookEvent('message', messageId)));
      const results = files.flatMap(
        ({ messageId, file }) =>
          inboundMessagePayload({ type: 'IMAGE', messageId, extra: { message: { url: file.url } } }).results,
      );
      const body = JSON.stringify({ results, messageCount: results.length, pendingMessageCount: 0 });

      const started = Date.now();
      const delivery = await deliverLikeInfobip(
        webhook.post,
        body,
        { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 2_000 },
        Math.random,
      );
      const webhookMs = Date.now() - started;
      await copier.lambda.idle(COPIES_TIMEOUT_MS);
      const copiesMs = Date.now() - started;

      const checked = await verdicts(copier, stack.s3, stack.sink.received, files);
      const storedOnce = checked.filter(
        (v, i) =>
          v.object?.sha256 === files[i]!.file.sha256 &&
          v.object.metadataSha256 === files[i]!.file.sha256 &&
          v.writesToFinalKey === 1 &&
          v.stored.length === 1 &&
          v.stored[0]!.media?.sha256 === files[i]!.file.sha256 &&
          v.failed.length === 0 &&
          v.messageEvents === 1 &&
          v.messageFirst,
      );
      // s3rver keeps objects as files in folders, and a DELETE removes the folders it leaves
      // empty: one may vanish under a concurrent write into it, and the DELETE answers 500. S3
      // has no folders. The copier's removal of its partial object is best effort (the bucket's
      // rule removes what stays), so these are counted, not failures.
      const partialLeft = (p: { message: string }) =>
        /\[S3\] DELETE failed for object \[inbound-partial\/[^\]]+\]: Error: S3 answered 500$/.test(p.message);
      const errors = problems.filter((p) => p.level === 'ERROR' && !partialLeft(p));
      const answers = stack.sandbox.inboundMediaRequests;
      const attempts = copier.lambda.invocations.flatMap((i) => i.attempts);
      const failedByReason: Record<string, number> = {};
      for (const v of checked)
        for (const e of v.failed) failedByReason[e.reason ?? '?'] = (failedByReason[e.reason ?? '?'] ?? 0) + 1;
      const figures = {
        files: files.length,
        storedOnce: storedOnce.length,
        lost: checked.filter((v) => v.stored.length + v.failed.length === 0).length,
        duplicated: checked.filter((v) => v.stored.length + v.failed.length > 1 || v.writesToFinalKey > 1).length,
        failedByReason,
        failureDestination: copier.lambda.failureDestination.length,
        peakRateAtInfobip: stack.sandbox.inboundMediaPeakRate(),
        /** The same, counted when the limiter let each download go, before it reached Infobip. */
        peakRateLetGo: peakPerSecond(copier.slotsTaken),
        infobipRequests: answers.filter((r) => r.host === 'api').length,
        cdnRequests: answers.filter((r) => r.host === 'cdn').length,
        answered429: answers.filter((r) => r.host === 'api' && r.status === 429).length,
        attempts: attempts.length,
        retriedRuns: attempts.length - copier.lambda.invocations.length,
        peakConcurrency: copier.lambda.peakConcurrency(),
        webhookAttempts: delivery.attempts.length,
        webhookSeconds: Math.round(webhookMs / 100) / 10,
        seconds: Math.round(copiesMs / 100) / 10,
        partialObjectsLeft: problems.filter(partialLeft).length,
        copierWarnings: problems.filter((p) => p.level === 'WARN').length,
      };
      process.stdout.write(`load: ${JSON.stringify(figures)}\n`);
      // What a file that was not stored once looks like, to say why when it happens.
      for (const v of checked.filter((c) => !storedOnce.includes(c)).slice(0, 3)) {
        const { stored, failed, ...rest } = v;
        process.stdout.write(`not stored once: ${JSON.stringify({ ...rest, stored: stored.length, failed: failed.length })}\n`);
      }

      expect(delivery.delivered).toBe(true);
      expect(errors.slice(0, 5)).toEqual([]);
      expect({
        storedOnce: figures.storedOnce,
        lost: figures.lost,
        duplicated: figures.duplicated,
        failedByReason,
        failureDestination: figures.failureDestination,
        ...keyLeaks(stack.sandbox),
      }).toEqual({
        storedOnce: PHOTOS_IN_BATCH,
        lost: 0,
        duplicated: 0,
        failedByReason: {},
        failureDestination: 0,
        cdnWithKey: 0,
        apiWithoutKey: 0,
      });
      expect(figures.peakConcurrency).toBeLessThanOrEqual(COPIER_CONCURRENCY);
      // Infobip's limit for the account: the one speed this test holds the copier to.
      expect(figures.peakRateAtInfobip).toBeLessThanOrEqual(INFOBIP_MEDIA_RATE_PER_SECOND);
      await recordResults('inboundMediaCopies', figures);
    },
    COPIES_TIMEOUT_MS + 120_000,
  );
});
