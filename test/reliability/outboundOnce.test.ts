/**
 * Exactly once on the way out, under faults. A simulated ctlive sends
 * thousands of texts and images, each under an Idempotency-Key (the header, or the body's
 * messageId), and retries the way real clients do: at once after its own timeout (while the
 * first attempt may still be running), after a pause on 5xx, and after `Retry-After` on 409,
 * 429 and 503. One message in ten is posted twice at the same moment. Meanwhile:
 *
 * - Infobip (a faulty front on the sandbox, faultSupport/faultyInfobip.ts) answers past the
 *   timeout after taking the message or without taking it, resets the connection after
 *   reading the request (having taken it or not), answers 500 in its own error shape, 502
 *   from a gateway after taking it, or 429; its message logs sometimes answer 503;
 * - Redis turns slow or unreachable for moments, and restarts once;
 * - a function is killed mid-request, before it calls Infobip or after Infobip took the
 *   message and before the answer was kept (its Redis calls never arrive; ctlive gets API
 *   Gateway's 502).
 *
 * At the end each message must be at the sandbox exactly once, and every ctlive request must
 * have ended with its 200. Time runs 20x faster for the idempotency code (its clock is
 * injected), so that "in flight for 30 s" and the lookup grace pass within the run; the grace
 * (100 s of that clock, 5 s of real time) stays longer than any attempt can last, which is
 * the condition the guarantee rests on in production too (600 s against a 30 s function).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { createIdempotencyStore, messageIdFor } from '../../lib/outbound/idempotency';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { makeSendMediaHandler } from '../../lib/media/send';
import { createMediaStore } from '../../lib/media/store';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import { createRedis } from '../../lib/platform/redis';
import type { HttpEvent, HttpResponse } from '../../lib/platform/http';
import { seeded } from './loadSupport/workload';
import { fileBody, textBody } from './faultSupport/expectations';
import { startFaultyInfobip, SEND_FAULTS, type FaultyInfobip, type SendFault } from './faultSupport/faultyInfobip';
import { tally } from './faultSupport/results';
import { bearer, INFOBIP_TIMEOUT_MS, SCENARIO_KEY, startStack, type Reply, type Stack } from './faultSupport/stack';
import { lambdaContext } from '../support/lambda';

const MESSAGES = 2_000;
const IMAGE_SHARE = 0.1;
/** Posted twice at the same moment (a double submit, or two ctlive workers). */
const DOUBLE_SHARE = 0.1;
const CLIENTS = 48;
/** ctlive's own HTTP timeout: past it, it retries while the first attempt may still run. */
const CLIENT_TIMEOUT_MS = 900;
/** Share of OMNI sends that fail, spread over the faults; the rest pass. */
const INFOBIP_FAULT_SHARE = 0.3;
const LOOKUP_FAULT_SHARE = 0.1;
const KILL_BEFORE_SEND_SHARE = 0.03;
const KILL_AFTER_SEND_SHARE = 0.03;
/** The idempotency code's clock runs this much faster than the wall clock. */
const SPEED = 20;
const LOOKUP_GRACE_SECONDS = 100;
/** A ctlive that has not had its 200 by then gives up (none should). */
const GIVE_UP_MS = 150_000;

type Kill = 'none' | 'beforeSend' | 'afterSend';

interface Planned {
  index: number;
  kind: 'text' | 'image';
  /** The header, or undefined when the body's messageId is the key. */
  header?: string;
  body: Record<string, unknown>;
  /** The destination messageId Infobip must get: ctlive's, or the one derived from the key. */
  messageId: string;
  double: boolean;
}

interface Outcome {
  planned: Planned;
  attempts: number;
  final?: Reply;
  statuses: Record<string, number>;
  /** From its first attempt to its 200. */
  ms: number;
}

const figures = tally('faults.outboundExactlyOnce');
let stack: Stack;
let infobip: FaultyInfobip;
let upstash: Redis;

const random = seeded(randomBytes(4).readUInt32BE());
const pick = (): SendFault =>
  random() < INFOBIP_FAULT_SHARE ? (SEND_FAULTS[1 + Math.floor(random() * (SEND_FAULTS.length - 1))] as SendFault) : 'pass';

beforeAll(async () => {
  stack = await startStack();
  infobip = await startFaultyInfobip({
    target: stack.sandbox.url,
    holdMs: INFOBIP_TIMEOUT_MS + 300,
    decide: pick,
    decideLookup: () => random() < LOOKUP_FAULT_SHARE,
  });
  upstash = createRedis({ url: stack.proxy.url, token: stack.secrets.redisToken });
});

afterAll(async () => {
  figures.write();
  await infobip?.close();
  await stack?.close();
});

/** A Redis client whose every call fails once its function has been "killed". */
function killable(redis: Redis, killed: () => boolean): Redis {
  return new Proxy(redis, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (killed()) throw new Error('the function was killed: this call never left it');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const T0 = Date.now();
const clock = () => T0 + (Date.now() - T0) * SPEED;
const idempotencyConfig = { ttlSeconds: 86_400, lookupGraceSeconds: LOOKUP_GRACE_SECONDS };
const publicUrl = 'https://imchannel.example/tenant/imchannel';

/** One Lambda invocation, wired as in production, which `kill` may end at one of two points. */
function invocation(kind: Planned['kind'], kill: Kill) {
  let killed = false;
  const redis = killable(upstash, () => killed);
  const fetchOrDie: typeof fetch = async (input, init) => {
    const omniSend = init?.method === 'POST';
    if (omniSend && kill === 'beforeSend') {
      killed = true;
      throw new Error('killed before calling Infobip');
    }
    const response = await fetch(input, init);
    if (omniSend && kill === 'afterSend') {
      await response.text().catch(() => undefined);
      killed = true;
      throw new Error('killed after Infobip answered');
    }
    return response;
  };
  const tag = kind === 'text' ? 'sendMessage' : MEDIA_KINDS.image.sendTag;
  const log = stack.logger(tag);
  const common = {
    idempotency: { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig, now: clock },
    log,
    infobipConfig: {
      defaults: { baseUrl: infobip.url, apiKey: stack.secrets.apiKey, scenarioKey: SCENARIO_KEY },
      allowedHosts: ['127.0.0.1'],
      timeoutMs: INFOBIP_TIMEOUT_MS,
    },
    infobip: createInfobipClient({ timeoutMs: INFOBIP_TIMEOUT_MS, fetch: fetchOrDie }),
    notifyUrl: () => `${publicUrl}/onDeliveryReport`,
    ctliveApiToken: stack.secrets.ctliveToken,
  };
  const handler: (event: HttpEvent, context: ReturnType<typeof lambdaContext>) => Promise<HttpResponse> =
    kind === 'text'
      ? makeSendMessageHandler(common)
      : makeSendMediaHandler(MEDIA_KINDS.image, {
          ...common,
          publicUrl,
          store: createMediaStore(redis, log),
          media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 64 * 1024 },
        });
  return { handler, killed: () => killed };
}

const API_GATEWAY_502: Reply = { status: 502, headers: {}, body: '{"message":"Internal Server Error"}', json: {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Attempts that ctlive stopped waiting for: they run on, and the run waits for them at the end. */
const abandoned = new Set<Promise<unknown>>();

const kills = { beforeSend: 0, afterSend: 0 };

async function attempt(planned: Planned): Promise<Reply | 'timeout'> {
  const roll = random();
  const kill: Kill =
    roll < KILL_BEFORE_SEND_SHARE ? 'beforeSend' : roll < KILL_BEFORE_SEND_SHARE + KILL_AFTER_SEND_SHARE ? 'afterSend' : 'none';
  if (kill !== 'none') kills[kill] += 1;
  const { handler, killed } = invocation(planned.kind, kill);
  const headers = {
    ...bearer(stack.secrets.ctliveToken),
    ...(planned.header === undefined ? {} : { 'idempotency-key': planned.header }),
  };
  const running = stack.call(handler, { headers, body: planned.body }).then((reply) => (killed() ? API_GATEWAY_502 : reply));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLIENT_TIMEOUT_MS);
  });
  const first = await Promise.race([running, timeout]);
  clearTimeout(timer);
  if (first === 'timeout') {
    const tracked = running.catch(() => undefined);
    abandoned.add(tracked);
    void tracked.finally(() => abandoned.delete(tracked));
  }
  return first;
}

/** ctlive sending one message until it has its 200, as a careful client retries. */
async function client(planned: Planned): Promise<Outcome> {
  const outcome: Outcome = { planned, attempts: 0, statuses: {}, ms: 0 };
  const began = Date.now();
  const until = began + GIVE_UP_MS;
  while (Date.now() < until) {
    outcome.attempts += 1;
    const reply = await attempt(planned);
    const label = reply === 'timeout' ? 'timeout' : `${reply.status}${reply.json.error?.code ? ` ${reply.json.error.code}` : ''}`;
    outcome.statuses[label] = (outcome.statuses[label] ?? 0) + 1;
    if (reply === 'timeout') continue;
    if (reply.status === 200) {
      outcome.final = reply;
      outcome.ms = Date.now() - began;
      return outcome;
    }
    const retryAfter = Number(reply.headers['retry-after']);
    if ([409, 429, 503].includes(reply.status) && Number.isFinite(retryAfter)) {
      // The service's clock runs SPEED times faster; so does its Retry-After.
      await sleep((retryAfter * 1000) / SPEED);
    } else if (reply.status >= 500) {
      await sleep(50 + random() * 150);
    } else {
      outcome.final = reply; // a 4xx other than those: ctlive would not retry it
      return outcome;
    }
  }
  return outcome;
}

/** Redis turning slow or unreachable for moments while the run lasts, and one restart. */
async function redisChaos(running: () => boolean, stats: Record<string, number>): Promise<void> {
  let restarted = false;
  const started = Date.now();
  while (running()) {
    await sleep(800 + random() * 800);
    if (!running()) break;
    const roll = random();
    if (!restarted && Date.now() - started > 8_000) {
      restarted = true;
      stats.restart = (stats.restart ?? 0) + 1;
      await stack.redis.restart(300);
    } else if (roll < 0.5) {
      stats.slow = (stats.slow ?? 0) + 1;
      stack.link.set({ kind: 'slow', delayMs: 250 });
      await sleep(600);
    } else {
      stats.down = (stats.down ?? 0) + 1;
      stack.link.set({ kind: 'down' });
      await sleep(300);
    }
    stack.link.set({ kind: 'pass' });
  }
  await stack.link.drained();
}

function plan(runId: string): Planned[] {
  return Array.from({ length: MESSAGES }, (_, index): Planned => {
    const kind = random() < IMAGE_SHARE ? 'image' : 'text';
    const byHeader = index % 2 === 0;
    const ctliveId = `${runId}-${index}`;
    const base = kind === 'text' ? textBody(ctliveId) : fileBody('image', ctliveId);
    if (byHeader) {
      const { messageId: _dropped, ...body } = base;
      void _dropped;
      const header = `ctlive-${ctliveId}`;
      return { index, kind, header, body, messageId: messageIdFor(header), double: random() < DOUBLE_SHARE };
    }
    return { index, kind, body: base, messageId: ctliveId, double: random() < DOUBLE_SHARE };
  });
}

it(
  `puts each of ${MESSAGES} messages at Infobip exactly once, with retries, under Infobip, Redis and function faults`,
  figures.track(async () => {
    const runId = `outbound-${randomBytes(4).toString('hex')}`;
    const messages = plan(runId);
    const jobs = messages.flatMap((planned) => (planned.double ? [planned, planned] : [planned]));
    const chaosStats: Record<string, number> = {};
    let running = true;
    const chaos = redisChaos(() => running, chaosStats);

    const outcomes: Outcome[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++] as Planned;
          outcomes.push(await client(job));
        }
      }),
    );
    running = false;
    await chaos;
    while (abandoned.size > 0) await Promise.allSettled([...abandoned]);
    const wallMs = Date.now() - started;

    // What Infobip has: each planned messageId, counted.
    const atSandbox = new Map<string, number>();
    for (const m of stack.sandbox.accepted) {
      if (m.messageId.startsWith(runId) || m.messageId.startsWith('imc-'))
        atSandbox.set(m.messageId, (atSandbox.get(m.messageId) ?? 0) + 1);
    }
    const duplicated = messages.filter((m) => (atSandbox.get(m.messageId) ?? 0) > 1);
    const lost = messages.filter((m) => !atSandbox.has(m.messageId));
    const unanswered = outcomes.filter((o) => o.final?.status !== 200);
    const wrongId = outcomes.filter((o) => o.final?.status === 200 && o.final.json.messageId !== o.planned.messageId);
    // The two copies of a double-posted image got one parked file: the same mediaId.
    const doubledImages = messages.filter((m) => m.double && m.kind === 'image');
    const splitImages = doubledImages.filter((m) => {
      const ids = new Set(outcomes.filter((o) => o.planned === m).map((o) => o.final?.json.mediaId));
      return ids.size !== 1;
    });

    const statuses: Record<string, number> = {};
    for (const o of outcomes) for (const [label, n] of Object.entries(o.statuses)) statuses[label] = (statuses[label] ?? 0) + n;
    const attempts = outcomes.reduce((total, o) => total + o.attempts, 0);
    figures.add('messagesRequested', messages.length);
    figures.add('ctliveRequests', jobs.length);
    figures.add('attempts', attempts);
    figures.add('messagesAtSandbox', [...atSandbox.keys()].length);
    figures.add('duplicates', duplicated.length);
    figures.add('lost', lost.length);
    figures.add('unanswered', unanswered.length);
    figures.add('wallMs', wallMs);
    const slowest = [...outcomes].sort((a, b) => b.ms - a.ms);
    figures.add('slowestMessageMs', slowest[0]?.ms ?? 0);
    figures.add('p50MessageMs', slowest[Math.floor(slowest.length / 2)]?.ms ?? 0);
    for (const [fault, n] of Object.entries(infobip.counts)) figures.add(`infobip:${fault}`, n);
    for (const [fault, n] of Object.entries(chaosStats)) figures.add(`redis:${fault}`, n);
    for (const [point, n] of Object.entries(kills)) figures.add(`killed:${point}`, n);
    for (const [label, n] of Object.entries(statuses)) figures.add(`answer:${label}`, n);

    const name = (list: Planned[]) => list.slice(0, 10).map((m) => `${m.messageId} (${m.kind})`);
    expect({ duplicated: name(duplicated), lost: name(lost) }).toEqual({ duplicated: [], lost: [] });
    expect(unanswered.map((o) => ({ messageId: o.planned.messageId, statuses: o.statuses, final: o.final?.json }))).toEqual([]);
    expect(wrongId).toEqual([]);
    expect(splitImages.map((m) => m.messageId)).toEqual([]);
    // The matrix really ran: every fault happened, and so did kills and replays.
    for (const fault of SEND_FAULTS) expect(infobip.counts[fault]).toBeGreaterThan(0);
    expect(infobip.counts.lookupFailed).toBeGreaterThan(0);
    expect(statuses['409 REQUEST_IN_PROGRESS'] ?? 0).toBeGreaterThan(0);
    expect(statuses['409 OUTCOME_UNKNOWN'] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(statuses).some((label) => label.startsWith('503'))).toBe(true);
    // A fault is a 502, 503, 504, 409 or 429 that says what to do; never a crash.
    expect({
      answers: Object.keys(statuses).filter((label) => label.startsWith('500')),
      lines: stack.lines.filter((line) => line.includes('INTERNAL_ERROR')).slice(0, 3),
    }).toEqual({ answers: [], lines: [] });
    expect(chaosStats.restart).toBe(1);
    expect(kills.beforeSend).toBeGreaterThan(0);
    expect(kills.afterSend).toBeGreaterThan(0);
  }),
  300_000,
);
