import type { WebhookAuthConfig } from '../../lib/platform/config';
import type { CtliveEvent } from '../../lib/inbound/events';
import type { ClaimOutcome, Dedupe, DedupeKey, ReportSeen } from '../../lib/inbound/dedupe';
import { ForwardError, type Forwarder } from '../../lib/inbound/forwarder';
import { createLogger } from '../../lib/platform/log';
import { makeOnDeliveryReportHandler, makeOnMessageHandler } from '../../lib/inbound/webhook';
import { apiEvent, captureLines, lambdaContext } from './lambda';

/** Fakes for the webhook unit tests: Redis semantics in memory, a ctlive that can be told to fail. */

export const PASSWORD = 'webhook-password-123456';
/** The webhooks' Infobip accounts: the deployment's own, and any other on the allowlist. */
export const ACCOUNTS = { defaultAccount: 'xxxx.api.infobip.com', allowedHosts: ['*.api.infobip.com'] };
export const BASIC = { authorization: `Basic ${Buffer.from(`infobip:${PASSWORD}`).toString('base64')}` };

/** Redis semantics of lib/inbound/dedupe.ts, in memory; `down` makes every call throw like an unreachable Redis. */
export function memoryDedupe() {
  const state = new Map<string, 'claimed' | 'done'>();
  const calls: string[] = [];
  /** The report marks settle left, as lib/inbound/dedupe.ts writes them. */
  const reports: ReportSeen[] = [];
  /** `kind:messageId`, behind `account/` for another account than the deployment's own. */
  const keyOf = ({ kind, messageId, account }: DedupeKey) =>
    account === undefined ? `${kind}:${messageId}` : `${account}/${kind}:${messageId}`;
  const named = (key: DedupeKey) => `${key.kind} ${key.messageId}${key.account === undefined ? '' : ` in ${key.account}`}`;
  const fake = {
    state,
    calls,
    reports,
    down: false,
    markDoneFails: false,
    /** Redis round trips: one per claim or settle call, as lib/inbound/dedupe.ts pipelines them. */
    roundTrips: 0,
    async claim(keys: DedupeKey[], _owner: string): Promise<ClaimOutcome[]> {
      fake.roundTrips += 1;
      for (const key of keys) calls.push(`claim ${named(key)}`);
      if (fake.down) throw new Error('redis unreachable');
      return keys.map((key) => {
        const current = state.get(keyOf(key));
        if (current === undefined) {
          state.set(keyOf(key), 'claimed');
          return 'claimed';
        }
        return current === 'done' ? 'done' : 'inFlight';
      });
    },
    async abandon(keys: DedupeKey[]) {
      fake.roundTrips += 1;
      for (const key of keys) calls.push(`abandon ${named(key)}`);
    },
    async settle(done: DedupeKey[], released: DedupeKey[], seen: ReportSeen[] = []) {
      fake.roundTrips += 1;
      for (const key of done) calls.push(`done ${named(key)}`);
      for (const key of released) calls.push(`release ${named(key)}`);
      if (fake.markDoneFails) throw new Error('redis went away');
      for (const key of done) state.set(keyOf(key), 'done');
      for (const key of released) state.delete(keyOf(key));
      reports.push(...seen);
    },
  };
  return fake satisfies Dedupe;
}

export function fakeForwarder() {
  const sent: CtliveEvent[] = [];
  const failFor = new Set<string>();
  const forwarder: Forwarder & { sent: CtliveEvent[]; failFor: Set<string> } = {
    target: 'https://ctlive.example/events',
    timeoutMs: 5_000,
    sent,
    failFor,
    async forward(event) {
      if (failFor.has(event.messageId)) throw new ForwardError('ctlive answered 503');
      sent.push(event as CtliveEvent); // the webhooks forward only their own events
    },
  };
  return forwarder;
}

export function setupWebhooks(
  auth: WebhookAuthConfig = { basic: { username: 'infobip', password: PASSWORD } },
  /** What the Lambda context says is left of the function's time, asked at each call. */
  remainingMs: () => number = () => 29_000,
) {
  const { lines, sink } = captureLines();
  const dedupe = memoryDedupe();
  const forwarder = fakeForwarder();
  const deps = (tag: string) => ({
    log: createLogger(tag, { format: 'text', level: 'INFO', sink, secrets: [PASSWORD] }),
    auth,
    dedupe,
    forwarder,
    accounts: ACCOUNTS,
  });
  const onMessage = makeOnMessageHandler(deps('onMessage'));
  const onDeliveryReport = makeOnDeliveryReportHandler(deps('onDeliveryReport'));
  type Query = Record<string, string>;
  const call = async (
    handler: typeof onMessage,
    body: unknown,
    headers: Record<string, string> = BASIC,
    raw = false,
    query?: Query,
  ) => {
    const context = { ...lambdaContext(), getRemainingTimeInMillis: remainingMs };
    const res = await handler(apiEvent({ body, headers, rawBody: raw, query }), context);
    return { status: res.statusCode, body: JSON.parse(String(res.body)) as Record<string, unknown> };
  };
  return {
    lines,
    dedupe,
    forwarder,
    message: (body: unknown, headers?: Record<string, string>, raw?: boolean, query?: Query) =>
      call(onMessage, body, headers, raw, query),
    report: (body: unknown, headers?: Record<string, string>, raw?: boolean, query?: Query) =>
      call(onDeliveryReport, body, headers, raw, query),
  };
}

export const result = (messageId: string, text = 'hi') => ({
  from: '39123456789',
  to: '44123456789',
  messageId,
  message: { type: 'TEXT', text },
  contact: { name: 'Username1' },
});
