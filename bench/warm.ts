import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { LAST_MESSAGE_MEMBER, conversationKey } from '../lib/conversation/window';
import { encodeEntry } from '../lib/media/format';
import { redisKeys } from '../lib/platform/redis';
import { startCtliveSink, type CtliveSink } from '../tools/ctliveSink';
import { startInfobipSandbox, type InfobipSandbox } from '../tools/infobipSandbox';
import { LOCAL_CREDENTIALS } from '../tools/localCredentials';
import { findRedis } from '../tools/localRedis';
import { startUpstashProxy, type ProxyCounts, type UpstashProxy } from '../tools/upstashProxy';
import { FUNCTIONS } from '../lib/functions';
import { LAMBDA_CLIENT_FUNCTIONS, LAMBDA_CLIENT_PACKAGE } from './bundles';
import { removeLeftovers, type BenchLeftovers } from './cleanup';
import { BENCH_SENDER, functionEnv, type Services } from './functionEnv';
import { ROOT } from './paths';
import type { References } from './references';
import { ID_PLACEHOLDER } from './shared';
import { round } from './stats';
import type { Command, Latency, Reply, Step } from './warmChild';

/**
 * Parts 3 to 5: warm latency per route against the real Upstash proxy (a real Redis behind
 * it), the Infobip sandbox and the ctlive sink, over HTTP on 127.0.0.1; Redis round trips
 * counted at the proxy; peak RSS of each function's warm loop. One child process per
 * function (bench/warmChild.ts) loads its shipped bundle; this process owns the servers.
 */

export const WARM_RATIO_TARGET = 1.15;

export interface WarmRoute {
  route: string;
  function: string;
  baselineText: string;
  handler: Latency;
  baseline: Latency;
  ratioP50: number;
  meets: boolean;
}

export interface RoundTrip {
  operation: string;
  function: string;
  requests: number;
  commands: number;
  byRoute: ProxyCounts['byRoute'];
  targetRequests: number;
  meets: boolean;
  statusCode: number;
}

export interface FunctionMemory {
  function: string;
  rssAfterLoadBytes: number;
  peakRssBytes: number;
  invocations: number;
}

export interface LambdaClientProbe {
  function: string;
  /** AWS SDK clients evaluated after loading and one invocation with CTLIVE_TARGET=http. */
  evaluatedAfterInvocation: string[];
  statusCode: number;
}

export interface WarmReport {
  iterations: number;
  warmup: number;
  block: number;
  routes: WarmRoute[];
  roundTrips: RoundTrip[];
  memory: FunctionMemory[];
  lambdaClientProbes: LambdaClientProbe[];
  redisKeysRemoved: number;
  errors: string[];
}

export interface WarmOptions {
  iterations: number;
  warmup: number;
  block: number;
  redisUrl?: string;
}

const MEDIA_FIXTURES: Record<string, string> = {
  Image: 'png',
  Document: 'pdf',
  Audio: 'ogg-opus',
  Video: 'mp4',
  Sticker: 'webp',
};

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8')) as Record<string, unknown>;
const bodyOf = (event: Record<string, unknown>) => JSON.parse(String(event.body)) as Record<string, unknown>;
const basicAuth = `Basic ${Buffer.from(`${LOCAL_CREDENTIALS.INFOBIP_WEBHOOK_USERNAME}:${LOCAL_CREDENTIALS.INFOBIP_WEBHOOK_PASSWORD}`).toString('base64')}`;

/** A webhook fixture with Basic auth and its result(s) given the invocation's id (or ids). */
function webhookEvent(name: string, ids: string[] = [ID_PLACEHOLDER]): string {
  const event = fixture(name);
  const body = bodyOf(event);
  const [first] = body.results as Record<string, unknown>[];
  body.results = ids.map((messageId) => ({ ...first, messageId }));
  if ('messageCount' in body) body.messageCount = ids.length;
  event.body = JSON.stringify(body);
  event.headers = { ...(event.headers as Record<string, string>), authorization: basicAuth };
  return JSON.stringify(event);
}

function fetchEvent(kind: string, method: 'get' | 'head', id: string): string {
  const event = fixture(`onGet${kind}Message-200-${method}`);
  const fixtureId = (event.pathParameters as { id: string }).id;
  return JSON.stringify(event).split(fixtureId).join(id);
}

/** One function's warm process (bench/warmChild.ts), driven over IPC; also used by bench/batch.ts. */
export class Child {
  private readonly proc: ChildProcess;
  private pending?: { resolve: (r: Reply) => void; reject: (e: Error) => void };
  private stderr = '';

  constructor(script: string, env: Record<string, string>) {
    // stdout to /dev/null: the runbook lines each invocation writes, as in production.
    this.proc = fork(script, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    this.proc.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000)));
    this.proc.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.type === 'error') pending?.reject(new Error(reply.message));
      else pending?.resolve(reply);
    });
    this.proc.on('exit', (code) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(new Error(`the warm child exited with ${code}: ${this.stderr.trim().slice(-800)}`));
    });
  }

  ask<T extends Reply['type']>(command: Command, expect: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve: (reply) =>
          reply.type === expect
            ? resolve(reply as Extract<Reply, { type: T }>)
            : reject(new Error(`expected ${expect}, got ${reply.type}`)),
        reject,
      };
      this.proc.send(command);
    });
  }

  kill() {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

export interface Stack {
  proxy: UpstashProxy;
  sandbox: InfobipSandbox;
  sink: CtliveSink;
  services: Services;
  redisUrl: string;
  stopRedis: () => Promise<void>;
}

export async function startServers(redisUrl: string | undefined): Promise<Stack> {
  const redis = await findRedis(redisUrl);
  const proxyToken = randomBytes(16).toString('hex');
  const sandboxKey = `sandbox-${randomBytes(16).toString('hex')}`;
  const sinkToken = randomBytes(16).toString('hex');
  const quiet = () => undefined;
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token: proxyToken, port: 0 });
  const sandbox = await startInfobipSandbox({
    apiKey: sandboxKey,
    port: 0,
    fetchMedia: false,
    deliveryReports: false,
    log: quiet,
  });
  const sink = await startCtliveSink({ token: sinkToken, port: 0, log: quiet });
  return {
    proxy,
    sandbox,
    sink,
    redisUrl: redis.url,
    stopRedis: () => redis.stop(),
    services: { proxyUrl: proxy.url, proxyToken, sandboxUrl: sandbox.url, sandboxKey, sinkUrl: sink.url, sinkToken },
  };
}

const upstashHeaders = (token: string) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  'upstash-encoding': 'base64',
});

/** The OMNI request the handler just sent, as a bare request to the sandbox. */
/** The handler's last request to Infobip, OMNI's or the WhatsApp API's, as a bare fetch to repeat. */
function omniStep(sandbox: InfobipSandbox): Step {
  const sent = [...sandbox.received]
    .reverse()
    .find((r) => r.method === 'POST' && (r.path.startsWith('/omni/') || r.path.startsWith('/whatsapp/')));
  if (!sent) throw new Error('the handler sent nothing to the sandbox');
  const headers: Record<string, string> = {};
  for (const name of ['authorization', 'content-type', 'accept'])
    if (sent.headers[name]) headers[name] = sent.headers[name] as string;
  return { url: `${sandbox.url}${sent.path}`, method: 'POST', headers, body: JSON.stringify(sent.body) };
}

interface RouteSpec {
  route: string;
  event: string;
  baselineText: string;
  /** Runs after the sandbox's reset, before the captured invocation: what the route needs the sandbox to know. */
  prepare?: () => void;
  /** After one captured invocation: the bare requests that do the same I/O. */
  baseline: (captured: Extract<Reply, { type: 'invoked' }>) => Promise<Step[]>;
}

export async function measureWarm(
  shippedJs: Record<string, string>,
  refs: References,
  options: WarmOptions,
  progress: (line: string) => void,
): Promise<WarmReport> {
  const stack = await startServers(options.redisUrl);
  const { proxy, sandbox, sink, services } = stack;
  const direct = new IORedis(stack.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await direct.connect();
  const idPrefix = `bench-${randomBytes(4).toString('hex')}-`;
  const leftovers: BenchLeftovers = { mediaIds: new Set(), messageIds: new Set(), webhookMessageIdPrefix: idPrefix };
  const report: WarmReport = {
    iterations: options.iterations,
    warmup: options.warmup,
    block: options.block,
    routes: [],
    roundTrips: [],
    memory: [],
    lambdaClientProbes: [],
    redisKeysRemoved: 0,
    errors: [],
  };
  const baselineMediaKey = redisKeys.media(randomUUID());
  leftovers.mediaIds.add(baselineMediaKey.slice(baselineMediaKey.lastIndexOf(':') + 1));
  const proxyStep = (command: unknown): Step => ({
    url: `${proxy.url}/`,
    method: 'POST',
    headers: upstashHeaders(services.proxyToken),
    body: JSON.stringify(command),
  });
  const pipelineStep = (commands: unknown[]): Step => ({
    url: `${proxy.url}/pipeline`,
    method: 'POST',
    headers: upstashHeaders(services.proxyToken),
    body: JSON.stringify(commands),
  });

  // Which routes to drive comes from the function's row in the inventory (lib/functions.ts).
  const routesOf = async (name: string): Promise<RouteSpec[]> => {
    const row = FUNCTIONS.find((fn) => fn.name === name);
    if (!row) throw new Error(`${name} is not in lib/functions.ts`);
    const kindName = row.kind ? row.kind.charAt(0).toUpperCase() + row.kind.slice(1) : undefined;
    // It answers a caller's mistake from the route alone: nothing to compare it with.
    if (row.group === 'methodNotAllowed') return [];
    // Customers' files need the bucket, which the warm loops do not run: the copy part
    // (bench/copy.ts) measures the copier; the route is one S3 HEAD and a presigned redirect.
    if (row.group === 'copier' || row.group === 'inboundMedia') return [];
    if (name === 'markAsRead') {
      // The steady state: the message was marked once (the captured invocation), so one SET NX and no Infobip call.
      const messageId = String(bodyOf(fixture(`${name}-200-valid`)).messageId);
      return [
        {
          route: `POST /${name} (marked before)`,
          // Infobip marks only a message the business number received.
          prepare: () => sandbox.rememberInbound(messageId),
          event: JSON.stringify(fixture(`${name}-200-valid`)),
          baselineText: 'bare SET NX of the same read mark through the proxy',
          baseline: async () => [proxyStep(['SET', redisKeys.readMark(BENCH_SENDER, messageId), '1', 'NX', 'EX', 604800])],
        },
      ];
    }
    if (name === 'sendTypingIndicator') {
      return [
        {
          route: `POST /${name}`,
          event: JSON.stringify(fixture(`${name}-200-valid`)),
          baselineText: 'bare fetch of the same WhatsApp API events request to the sandbox',
          baseline: async () => [omniStep(sandbox)],
        },
      ];
    }
    if (row.group === 'send') {
      // Each send's plain case (a template's catalogue not cached: one claim-free send, as sendMessage's).
      return [
        {
          route: `POST /${name}`,
          event: JSON.stringify(fixture(`${name}-200-valid`)),
          baselineText:
            name === 'sendWhatsAppTemplateMessage'
              ? "bare GET of the cached catalogue, then bare fetch of the same OMNI request, the window's ZSCORE alongside both"
              : "bare fetch of the same Infobip request to the sandbox, the window's ZSCORE alongside (CONVERSATION_WINDOW_POLICY warn)",
          baseline: async () => {
            // The conversation's record, read while the send goes out (lib/outbound/windowGuard.ts, warn).
            const to = String(bodyOf(fixture(`${name}-200-valid`)).to);
            const zscore = proxyStep(['ZSCORE', conversationKey(BENCH_SENDER, to), LAST_MESSAGE_MEMBER]);
            const omni = omniStep(sandbox);
            if (name !== 'sendWhatsAppTemplateMessage') return [{ ...omni, alongside: [zscore] }];
            return [{ ...proxyStep(['GET', redisKeys.templates(BENCH_SENDER, services.sandboxUrl)]), alongside: [zscore] }, omni];
          },
        },
      ];
    }
    if (row.group === 'catalogue') {
      // The normal case: the catalogue is cached (the captured invocation cached it), so one GET.
      return [
        {
          route: 'GET /templates (cached)',
          event: JSON.stringify(fixture('listTemplates-200-deployment-sender')),
          baselineText: 'bare GET of the same key through the proxy',
          baseline: async () => [proxyStep(['GET', redisKeys.templates(BENCH_SENDER, services.sandboxUrl)])],
        },
      ];
    }
    if (row.group === 'mediaUpload') {
      return [
        {
          route: 'POST /media',
          event: JSON.stringify(fixture(`${name}-200-video-15mb`)),
          baselineText: 'bare SET of the same entry through the proxy (presigning is local)',
          baseline: async (captured) => {
            const mediaId = (JSON.parse(captured.body) as { mediaId?: string }).mediaId;
            const stored = mediaId ? await direct.get(redisKeys.media(mediaId)) : null;
            if (!mediaId || stored === null)
              throw new Error(`${name} stored nothing: ${captured.statusCode} ${captured.body.slice(0, 200)}`);
            leftovers.mediaIds.add(mediaId);
            return [proxyStep(['SET', baselineMediaKey, stored, 'EX', 900])];
          },
        },
      ];
    }
    const send = row.group === 'mediaSend' ? kindName : undefined;
    if (send) {
      return [
        {
          route: `POST /sendWhatsApp${send}Message`,
          event: JSON.stringify(fixture(`${name}-200-${MEDIA_FIXTURES[send]}`)),
          baselineText: 'bare SET of the same value through the proxy + bare fetch of the same OMNI request',
          baseline: async (captured) => {
            const mediaId = (JSON.parse(captured.body) as { mediaId?: string }).mediaId;
            const stored = mediaId ? await direct.get(redisKeys.media(mediaId)) : null;
            if (!mediaId || stored === null)
              throw new Error(`${name} stored nothing: ${captured.statusCode} ${captured.body.slice(0, 200)}`);
            leftovers.mediaIds.add(mediaId);
            return [proxyStep(['SET', baselineMediaKey, stored, 'EX', 900]), omniStep(sandbox)];
          },
        },
      ];
    }
    const get = row.group === 'mediaFetch' ? kindName : undefined;
    if (get) {
      const id = randomUUID();
      leftovers.mediaIds.add(id);
      const sendBody = bodyOf(fixture(`sendWhatsApp${get}Message-200-${MEDIA_FIXTURES[get]}`));
      const entry = {
        kind: get.toLowerCase(),
        contentType: String(sendBody.contentType),
        fileName: String(sendBody.fileName),
        content: String(sendBody.content),
      };
      await direct.set(redisKeys.media(id), encodeEntry(entry as Parameters<typeof encodeEntry>[0]), 'EX', 900);
      const getex = proxyStep(['GETEX', redisKeys.media(id), 'EX', 60]);
      return (['get', 'head'] as const).map((method) => ({
        route: `${method.toUpperCase()} /get${get}Message/{id}`,
        event: fetchEvent(get, method, id),
        baselineText: 'bare GETEX of the same key through the proxy',
        baseline: async () => [getex],
      }));
    }
    const fixtureName =
      row.group !== 'webhook' ? undefined : name === 'onMessage' ? 'onMessage-text' : 'onDeliveryReport-delivered';
    if (!fixtureName) throw new Error(`no route for ${name}`);
    return [
      {
        route: `POST /${name} (1 result)`,
        event: webhookEvent(fixtureName),
        baselineText: 'bare claim (SET NX + GET, pipelined) + bare POST of the same event to the sink + bare done mark (SET)',
        baseline: async (captured) => {
          const forwarded = sink.received.at(-1) as { event?: string } | undefined;
          if (!forwarded?.event)
            throw new Error(`${name} forwarded nothing: ${captured.statusCode} ${captured.body.slice(0, 200)}`);
          const key = redisKeys.webhookEvent(forwarded.event, ID_PLACEHOLDER);
          return [
            pipelineStep([
              ['SET', key, 'forwarding', 'NX', 'EX', 60],
              ['GET', key],
            ]),
            {
              url: services.sinkUrl,
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${services.sinkToken}` },
              body: JSON.stringify(forwarded).split(captured.id).join(ID_PLACEHOLDER),
            },
            proxyStep(['SET', key, 'done', 'EX', 86_400]),
          ];
        },
      },
    ];
  };

  const count = async (child: Child, fn: string, operation: string, event: string, targetRequests: number) => {
    proxy.resetCounts();
    const r = await child.ask({ type: 'invoke', event }, 'invoked');
    const counts = proxy.counts();
    const mediaId = (() => {
      try {
        return (JSON.parse(r.body) as { mediaId?: string }).mediaId;
      } catch {
        return undefined;
      }
    })();
    if (mediaId) leftovers.mediaIds.add(mediaId);
    report.roundTrips.push({
      operation,
      function: fn,
      requests: counts.requests,
      commands: counts.commands,
      byRoute: counts.byRoute,
      targetRequests,
      meets: counts.requests <= targetRequests,
      statusCode: r.statusCode,
    });
  };

  const children = new Set<Child>();
  try {
    for (const [name, bundle] of Object.entries(shippedJs)) {
      const child = new Child(refs.warmChild, functionEnv(name, services, 'http'));
      children.add(child);
      try {
        const loaded = await child.ask({ type: 'load', bundle, idPrefix }, 'loaded');
        let invocations = 0;
        for (const spec of await routesOf(name)) {
          sandbox.reset();
          sink.reset();
          spec.prepare?.();
          const captured = await child.ask({ type: 'invoke', event: spec.event }, 'invoked');
          if (captured.statusCode < 200 || captured.statusCode >= 300)
            throw new Error(`${spec.route} answered ${captured.statusCode}: ${captured.body.slice(0, 300)}`);
          const steps = await spec.baseline(captured);
          const looped = await child.ask(
            {
              type: 'loop',
              event: spec.event,
              baseline: steps,
              iterations: options.iterations,
              warmup: options.warmup,
              block: options.block,
            },
            'looped',
          );
          for (const id of looped.mediaIds) leftovers.mediaIds.add(id);
          invocations += options.iterations + options.warmup + 1;
          const ratioP50 = round(looped.handler.p50Ms / looped.baseline.p50Ms, 3);
          report.routes.push({
            route: spec.route,
            function: name,
            baselineText: spec.baselineText,
            handler: looped.handler,
            baseline: looped.baseline,
            ratioP50,
            meets: ratioP50 <= WARM_RATIO_TARGET,
          });
          progress(`  warm: ${spec.route}: p50 ${looped.handler.p50Ms} ms vs baseline ${looped.baseline.p50Ms} ms`);
          sandbox.reset();
          sink.reset();
        }
        if (name === 'sendWhatsAppImageMessage')
          await count(child, name, 'media store (one send)', JSON.stringify(fixture('sendWhatsAppImageMessage-200-png')), 1);
        if (name === 'onGetImageMessage') {
          const id = randomUUID();
          leftovers.mediaIds.add(id);
          await direct.set(
            redisKeys.media(id),
            encodeEntry({ kind: 'image', contentType: 'image/png', fileName: 'count.png', content: 'iVBORw0KGgo=' }),
            'EX',
            900,
          );
          await count(child, name, 'media fetch (one GET)', fetchEvent('Image', 'get', id), 1);
        }
        if (LAMBDA_CLIENT_FUNCTIONS.has(name)) {
          const fixtureName = name === 'onMessage' ? 'onMessage-text' : 'onDeliveryReport-delivered';
          await count(child, name, `${name}: one result`, webhookEvent(fixtureName, [`${idPrefix}rt-1`]), 2);
          const ten = Array.from({ length: 10 }, (_, i) => `${idPrefix}rt-10-${i}`);
          await count(child, name, `${name}: webhook with 10 results`, webhookEvent(fixtureName, ten), 3);
          const marked = refs.marked[name];
          if (marked) {
            const probed = await child.ask({ type: 'probe', bundle: marked, event: webhookEvent(fixtureName) }, 'probed');
            report.lambdaClientProbes.push({
              function: name,
              evaluatedAfterInvocation: probed.evaluated,
              statusCode: probed.statusCode,
            });
          }
        }
        const done = await child.ask({ type: 'done' }, 'done');
        report.memory.push({ function: name, rssAfterLoadBytes: loaded.rssBytes, peakRssBytes: done.maxRssBytes, invocations });
      } catch (error: unknown) {
        report.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        progress(`  warm: ${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        child.kill();
        children.delete(child);
      }
    }
  } finally {
    for (const child of children) child.kill();
    report.redisKeysRemoved = await removeLeftovers(stack.redisUrl, leftovers).catch(() => -1);
    direct.disconnect();
    await sink.close();
    await sandbox.close();
    await proxy.close();
    await stack.stopRedis();
  }
  return report;
}

export const lambdaClientLoaded = (probe: LambdaClientProbe) => probe.evaluatedAfterInvocation.includes(LAMBDA_CLIENT_PACKAGE);
