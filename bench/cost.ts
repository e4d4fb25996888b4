/**
 * `npm run cost`: what 1,000 messages cost on this design, from what one
 * message measurably does. Each flow runs in this process through the production handlers,
 * against a real Redis behind the Upstash proxy (which counts requests and commands), the
 * Infobip sandbox and the ctlive sink on 127.0.0.1:
 *
 * - inbound: one `onMessage` webhook with one result, forwarded to ctlive over HTTP;
 * - outbound text: `sendMessage` under an Idempotency-Key, then its delivery report and its
 *   seen report, one `onDeliveryReport` webhook each (Infobip's worst case: no batching);
 * - outbound file: an image send of FILE_BYTES, Infobip's HEAD and GET of it, and its two reports.
 *
 * Per invocation it measures the handler's time (median of ITERATIONS), the Redis requests
 * and commands, the bytes of log lines, and the request and response sizes. A Lambda's billed
 * time on AWS is that local time plus the network waits this machine does not have: each
 * Redis round trip, each Infobip call and each forward to ctlive at the latencies in ASSUMED,
 * which a reader changes for their own setup. Prices: PRICES, with where and when they were
 * read. The table goes to stdout in Markdown, ready for docs/performance.md.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDedupe } from '../lib/inbound/dedupe';
import { createForwarder } from '../lib/inbound/forwarder';
import { makeOnDeliveryReportHandler, makeOnMessageHandler } from '../lib/inbound/webhook';
import { makeFetchMediaHandler } from '../lib/media/fetch';
import { MEDIA_KINDS } from '../lib/media/kinds';
import { makeSendMediaHandler } from '../lib/media/send';
import { createMediaStore } from '../lib/media/store';
import { createIdempotencyStore } from '../lib/outbound/idempotency';
import { createInfobipClient } from '../lib/outbound/infobip';
import { createConversationReader } from '../lib/outbound/windowGuard';
import { makeSendMessageHandler } from '../lib/messages/text';
import type { HttpEvent, HttpResponse } from '../lib/platform/http';
import { createLogger } from '../lib/platform/log';
import { createRedis } from '../lib/platform/redis';
import { startCtliveSink } from '../tools/ctliveSink';
import { deliveryResult, inboundMessagePayload, seenReportPayload, startInfobipSandbox } from '../tools/infobipSandbox';
import { findRedis } from '../tools/localRedis';
import { startUpstashProxy } from '../tools/upstashProxy';
import { apiEvent, lambdaContext } from '../test/support/lambda';
import { sampleFile } from '../test/support/sampleFile';
import { ROOT } from './paths';
import { percentile, round } from './stats';

const ITERATIONS = Number(process.env.COST_ITERATIONS ?? 200);
const FILE_BYTES = 200 * 1024;

/** Network waits on AWS that loopback does not have; change them for your own setup. */
export const ASSUMED = {
  /** One Upstash REST request from Lambda in the same region (HTTPS, kept-alive connection). */
  redisRoundTripMs: 3,
  /** One OMNI send, Lambda to Infobip's API and back. */
  infobipCallMs: 150,
  /** One forward to ctlive (the figure batches are measured against). */
  ctliveForwardMs: 50,
  /** Lambda's own START, END and REPORT lines per invocation, in CloudWatch Logs. */
  lambdaLinesBytes: 350,
};

/**
 * Published prices, us-east-1, read 2026-12-02. Lambda: aws.amazon.com/lambda/pricing
 * (arm64: $0.20 per million requests, $0.0000133334 per GB-second, first tier). API Gateway
 * HTTP API: aws.amazon.com/api-gateway/pricing ($1.00 per million requests for the first
 * 300 million; a request is metered in 512 KB increments). Upstash Redis pay-as-you-go:
 * upstash.com/pricing/redis ($0.20 per 100,000 commands; storage and bandwidth left out, see
 * the docs). CloudWatch Logs: aws.amazon.com/cloudwatch/pricing ($0.50 per GB ingested,
 * standard class). Free tiers are left out: the table is the price at volume.
 */
export const PRICES = {
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecond: 0.0000133334,
  apiGatewayPerRequest: 1.0 / 1e6,
  apiGatewayIncrementBytes: 512 * 1024,
  upstashPerCommand: 0.2 / 100_000,
  logsPerGb: 0.5,
};

interface Invocation {
  function: string;
  memoryMb: number;
  handlerMs: number;
  redisRequests: number;
  redisCommands: number;
  infobipCalls: number;
  ctliveForwards: number;
  logBytes: number;
  requestBytes: number;
  responseBytes: number;
}

interface Flow {
  name: string;
  invocations: Invocation[];
}

/** The memory of each function: the provider's default, or the function's own `memorySize`. */
function memorySizes(): (fn: string) => number {
  const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const fallback = Number(/^provider:[\s\S]*?^ {2}memorySize: (\d+)/m.exec(yml)?.[1] ?? 1024);
  return (fn) => {
    const block = new RegExp(`^ {2}${fn}:\\n((?: {4}.*\\n|\\n)*)`, 'm').exec(yml)?.[1] ?? '';
    return Number(/^ {4}memorySize: (\d+)/m.exec(block)?.[1] ?? fallback);
  };
}

type Handler = (event: HttpEvent, context: ReturnType<typeof lambdaContext>) => Promise<HttpResponse>;

export async function measureCost(log: (line: string) => void = () => undefined): Promise<Flow[]> {
  const local = await findRedis(process.env.REDIS_URL);
  const redisUrl = local.url;
  const token = `cost-${randomUUID()}`;
  const apiKey = `cost-key-${randomUUID()}`;
  const ctliveToken = `cost-ctlive-${randomUUID()}`;
  const sinkToken = `cost-sink-${randomUUID()}`;
  const proxy = await startUpstashProxy({ redisUrl, token });
  const sandbox = await startInfobipSandbox({ apiKey, port: 0, fetchMedia: false, deliveryReports: false, log: () => undefined });
  const sink = await startCtliveSink({ token: sinkToken, log: () => undefined });
  const memory = memorySizes();
  const redis = createRedis({ url: proxy.url, token });
  const lines: string[] = [];
  const logger = (tag: string) => createLogger(tag, { format: 'json', level: 'INFO', sink: (line) => void lines.push(line) });
  const idempotencyConfig = { ttlSeconds: 86_400, lookupGraceSeconds: 600 };
  const publicUrl = 'https://imchannel.example/tenant/imchannel';
  const media = { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * 1024 * 1024 };
  const common = (tag: string) => ({
    idempotency: { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig },
    log: logger(tag),
    infobipConfig: {
      // With the business number known, as in production, so every send reads its 24-hour window.
      defaults: { baseUrl: sandbox.url, apiKey, scenarioKey: 'COST', sender: '44123456789' },
      allowedHosts: ['127.0.0.1'],
      timeoutMs: 10_000,
    },
    infobip: createInfobipClient({ timeoutMs: 10_000 }),
    conversationWindow: { policy: 'warn' as const, read: createConversationReader(redis) },
    notifyUrl: () => `${publicUrl}/onDeliveryReport`,
    ctliveApiToken: ctliveToken,
  });
  const image = MEDIA_KINDS.image;
  const forwarder = createForwarder({ kind: 'http', url: sink.url, token: sinkToken, timeoutMs: 10_000 });
  const webhook = (tag: string) => ({ log: logger(tag), auth: {}, dedupe: createDedupe(redis), forwarder });
  const handlers = {
    sendMessage: makeSendMessageHandler(common('sendMessage')),
    [image.sendTag]: makeSendMediaHandler(image, {
      ...common(image.sendTag),
      publicUrl,
      store: createMediaStore(redis, logger(image.sendTag)),
      media,
    }),
    [image.fetchTag]: makeFetchMediaHandler(image, {
      log: logger(image.fetchTag),
      store: createMediaStore(redis, logger(image.fetchTag)),
      media,
    }),
    onMessage: makeOnMessageHandler(webhook('onMessage')),
    onDeliveryReport: makeOnDeliveryReportHandler(webhook('onDeliveryReport')),
  } as Record<string, Handler>;
  const file = sampleFile('image/jpeg', FILE_BYTES).toString('base64');

  /** One invocation: its time, and what it cost in Redis, Infobip, ctlive and log bytes. */
  const invoke = async (fn: string, options: Parameters<typeof apiEvent>[0]) => {
    proxy.resetCounts();
    const omniBefore = sandbox.accepted.length;
    const forwardsBefore = sink.received.length;
    const linesBefore = lines.length;
    const event = apiEvent(options);
    const started = performance.now();
    const response = await (handlers[fn] as Handler)(event, lambdaContext(fn));
    const ms = performance.now() - started;
    if ((response.statusCode ?? 200) >= 300) throw new Error(`${fn} answered ${response.statusCode}: ${String(response.body)}`);
    const counts = proxy.counts();
    const body = String(response.body ?? '');
    return {
      response,
      ms,
      invocation: {
        function: fn,
        memoryMb: memory(fn),
        handlerMs: 0,
        redisRequests: counts.requests,
        redisCommands: counts.commands,
        infobipCalls: sandbox.accepted.length - omniBefore,
        ctliveForwards: sink.received.length - forwardsBefore,
        logBytes: lines.slice(linesBefore).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0),
        requestBytes: Buffer.byteLength(String(event.body ?? '')),
        responseBytes: response.isBase64Encoded ? Buffer.from(body, 'base64').length : Buffer.byteLength(body),
      } satisfies Invocation,
    };
  };
  const auth = { authorization: `Bearer ${ctliveToken}` };
  const reports = async (messageId: string) => [
    await invoke('onDeliveryReport', {
      body: { results: [deliveryResult({ messageId, to: '39123456789', sentAt: new Date(Date.now() - 2000) })] },
    }),
    await invoke('onDeliveryReport', { body: seenReportPayload({ messageId }) }),
  ];

  const flows: Record<string, (i: number) => Promise<Awaited<ReturnType<typeof invoke>>[]>> = {
    'inbound message': async () => [await invoke('onMessage', { body: inboundMessagePayload({ text: 'Hello' }) })],
    'outbound text': async (i) => {
      const sent = await invoke('sendMessage', {
        headers: { ...auth, 'idempotency-key': `cost-text-${token}-${i}` },
        body: { to: '39123456789', text: 'Your ticket is closed. Anything else?' },
      });
      return [sent, ...(await reports(JSON.parse(String(sent.response.body)).messageId as string))];
    },
    [`outbound file (${FILE_BYTES / 1024} KB image)`]: async (i) => {
      const sent = await invoke(image.sendTag, {
        headers: { ...auth, 'idempotency-key': `cost-file-${token}-${i}` },
        body: { to: '39123456789', fileName: 'photo.jpg', contentType: 'image/jpeg', content: file },
      });
      const answer = JSON.parse(String(sent.response.body)) as { messageId: string; mediaId: string };
      const fetch = (method: string) =>
        invoke(image.fetchTag, {
          method,
          path: `/imchannel/${image.route}/${answer.mediaId}`,
          pathParameters: { id: answer.mediaId },
        });
      return [sent, await fetch('HEAD'), await fetch('GET'), ...(await reports(answer.messageId))];
    },
  };

  const result: Flow[] = [];
  try {
    for (const [name, run] of Object.entries(flows)) {
      log(`  ${name}: ${ITERATIONS} runs …`);
      const runs: Awaited<ReturnType<typeof invoke>>[][] = [];
      for (let i = 0; i < ITERATIONS; i++) runs.push(await run(i));
      const shape = runs[runs.length - 1] as Awaited<ReturnType<typeof invoke>>[];
      result.push({
        name,
        invocations: shape.map((step, k) => ({
          ...step.invocation,
          handlerMs: round(
            percentile(
              runs.map((r) => (r[k] as (typeof r)[number]).ms),
              50,
            ),
            2,
          ),
        })),
      });
    }
  } finally {
    await sink.close();
    await sandbox.close();
    await proxy.close();
    await local.stop();
  }
  return result;
}

/** Billed milliseconds on AWS: the local time plus the assumed network waits, rounded up to 1 ms. */
export const billedMs = (i: Invocation, assumed = ASSUMED) =>
  Math.ceil(
    i.handlerMs +
      i.redisRequests * assumed.redisRoundTripMs +
      i.infobipCalls * assumed.infobipCallMs +
      i.ctliveForwards * assumed.ctliveForwardMs,
  );

export function costPerThousand(flow: Flow, prices = PRICES, assumed = ASSUMED) {
  const per = (pick: (i: Invocation) => number) => 1000 * flow.invocations.reduce((sum, i) => sum + pick(i), 0);
  const lambdaRequests = per(() => prices.lambdaPerRequest);
  const lambdaCompute = per((i) => (i.memoryMb / 1024) * (billedMs(i, assumed) / 1000) * prices.lambdaPerGbSecond);
  const apiGateway = per(
    (i) =>
      Math.max(1, Math.ceil(Math.max(i.requestBytes, i.responseBytes) / prices.apiGatewayIncrementBytes)) *
      prices.apiGatewayPerRequest,
  );
  const upstash = per((i) => i.redisCommands * prices.upstashPerCommand);
  const logs = per((i) => ((i.logBytes + assumed.lambdaLinesBytes) / 1e9) * prices.logsPerGb);
  return {
    lambdaRequests,
    lambdaCompute,
    apiGateway,
    upstash,
    logs,
    total: lambdaRequests + lambdaCompute + apiGateway + upstash + logs,
  };
}

const usd = (value: number) => `$${value.toFixed(4)}`;

export function costTables(flows: Flow[]): string {
  const steps = [
    '| flow | invocations (function: handler ms locally → billed ms, MB) | Redis requests / commands | log bytes |',
    '|---|---|---:|---:|',
    ...flows.map((flow) => {
      const calls = flow.invocations.map((i) => `${i.function}: ${i.handlerMs} → ${billedMs(i)}, ${i.memoryMb}`).join('; ');
      const sum = (pick: (i: Invocation) => number) => flow.invocations.reduce((total, i) => total + pick(i), 0);
      return `| ${flow.name} | ${calls} | ${sum((i) => i.redisRequests)} / ${sum((i) => i.redisCommands)} | ${sum((i) => i.logBytes)} |`;
    }),
  ];
  const costs = [
    '| per 1,000 | Lambda requests | Lambda compute | API Gateway | Upstash | CloudWatch Logs | total |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...flows.map((flow) => {
      const c = costPerThousand(flow);
      return `| ${flow.name} | ${usd(c.lambdaRequests)} | ${usd(c.lambdaCompute)} | ${usd(c.apiGateway)} | ${usd(c.upstash)} | ${usd(c.logs)} | **${usd(c.total)}** |`;
    }),
  ];
  return [...steps, '', ...costs].join('\n');
}

if (require.main === module) {
  const started = new Date().toISOString();
  measureCost((line) => process.stdout.write(`${line}\n`))
    .then((flows) => {
      process.stdout.write(
        `\nnpm run cost, ${started}, Node ${process.version}, ${ITERATIONS} runs per flow\n\n${costTables(flows)}\n`,
      );
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`cost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
