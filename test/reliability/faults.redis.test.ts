/**
 * Fault matrix, Redis side: Redis down, Redis slower than the client's
 * timeout, and Redis restarted in the middle of a run, against every function that uses
 * it: the media sends (store), the media fetches (GET and EXPIRE LT, one script), both webhooks
 * (claims), the menus (claims, a header's parked file) and markAsRead (its read mark); typing keeps nothing there.
 * Expected: 503 REDIS_UNAVAILABLE (CONTRACT sections 3 to 5), an ERROR line with the tag,
 * Infobip not called and nothing forwarded without Redis, no file left behind by a failed
 * send, and the same handler serving the next request once Redis is back.
 */
import { randomUUID } from 'node:crypto';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { redisKeys } from '../../lib/platform/redis';
import { errorLinesSince, expectNothingLeaked, fileBody } from './faultSupport/expectations';
import { tally } from './faultSupport/results';
import { basic, bearer, startStack, WEBHOOK_USER, type MenuTag, type Reply, type Stack } from './faultSupport/stack';
import { BUTTONS_TAG, URL_BUTTON_TAG } from '../../lib/interactive/send';
import { LIST_TAG } from '../../lib/messages/list';
import { MARK_AS_READ_TAG } from '../../lib/signals/markAsRead';
import { TYPING_TAG } from '../../lib/signals/typing';
import { SENDER } from '../support/whatsAppSandbox';

/** Longer than lib/platform/redis.ts's 3 s per call: every call times out, and its retry too. */
const SLOW_MS = 3_500;
/** Longer than that timeout too, so that requests during the restart fail rather than wait. */
const RESTART_DOWN_MS = 3_500;

let stack: Stack;
const figures = tally('faults.redis');
const sentContents: string[] = [];

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  figures.write();
  await stack?.close();
});

beforeEach(() => {
  stack.sandbox.reset();
  stack.sink.reset();
});

afterEach(async () => {
  stack.link.set({ kind: 'pass' });
  await stack.link.drained();
});

/** Redis is back when the proxy answers a PING through the link (its client reconnects on its own schedule). */
async function redisBack(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(stack.proxy.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.secrets.redisToken}` },
      body: '["PING"]',
    }).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error('Redis did not come back within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const newId = () => `wamid.REDIS${randomUUID().replace(/-/g, '').toUpperCase()}`;
const webhookBody = (id: string) => ({
  results: [{ from: '39123456789', to: '44123456789', messageId: id, message: { type: 'TEXT', text: 'Oh well' } }],
});
const reportBody = (id: string) => ({ results: [{ messageId: id, to: '39123456789', status: { groupName: 'DELIVERED' } }] });
const ctlive = () => bearer(stack.secrets.ctliveToken);
const infobip = () => basic(WEBHOOK_USER, stack.secrets.webhookPassword);

async function sendFile(kind: MediaKind, messageId = `m-${randomUUID()}`): Promise<{ reply: Reply; content: string }> {
  const body = fileBody(kind, messageId);
  sentContents.push(body.content);
  return { reply: await stack.call(stack.sendMedia[kind], { body, headers: ctlive() }), content: body.content };
}

const fetchFile = (kind: MediaKind, id: string, method = 'GET') =>
  stack.call(stack.fetchMedia[kind], { method, body: undefined, pathParameters: { id }, headers: {} });

function expectRedisUnavailable(reply: Reply) {
  expect(reply.status).toBe(503);
  expect(reply.json.error).toEqual(expect.objectContaining({ code: 'REDIS_UNAVAILABLE' }));
}

function expectErrorLine(mark: number, tag: string, pattern: RegExp) {
  expect(errorLinesSince(stack, mark, tag).map((entry) => entry.message)).toContainEqual(expect.stringMatching(pattern));
}

type FaultName = 'down' | 'slow';
const arm = (fault: FaultName) => stack.link.set(fault === 'down' ? { kind: 'down' } : { kind: 'slow', delayMs: SLOW_MS });
/** Back to normal, once everything a slow Redis was sent has run. */
async function heal() {
  stack.link.set({ kind: 'pass' });
  await stack.link.drained();
  await redisBack();
}

/** A menu send's body; the buttons carry a header file, so a failed send must leave no file behind. */
function menuBody(tag: MenuTag, messageId: string): Record<string, unknown> {
  const common = { to: '39123456789', messageId };
  if (tag === BUTTONS_TAG) {
    const { content } = fileBody('image', messageId);
    sentContents.push(content);
    return {
      ...common,
      text: 'How can we help?',
      buttons: [{ id: 'billing', title: 'Billing' }],
      header: { type: 'IMAGE', content, contentType: 'image/png', fileName: 'a.png' },
    };
  }
  if (tag === LIST_TAG) {
    return { ...common, text: 'Pick', buttonText: 'Slots', sections: [{ rows: [{ id: 'mon-9', title: 'Monday 9:00' }] }] };
  }
  return { ...common, text: 'Your order', displayText: 'Track it', url: 'https://example.com/o/1' };
}

describe.each([
  { fault: 'down' as const, kinds: MEDIA_KIND_NAMES, menus: [BUTTONS_TAG, LIST_TAG, URL_BUTTON_TAG] as MenuTag[] },
  { fault: 'slow' as const, kinds: ['image', 'audio'] as MediaKind[], menus: [BUTTONS_TAG] as MenuTag[] },
])('Redis $fault', ({ fault, kinds, menus }) => {
  it.each(menus)(
    '%s: 503, ERROR line, Infobip not called, no file left behind; then the same message is sent once, or held off, never twice',
    figures.track(async (tag: MenuTag) => {
      const messageId = `menu-${randomUUID()}`;
      const before = await stack.mediaKeys();
      const mark = stack.lines.length;
      arm(fault);

      const body = menuBody(tag, messageId);
      const reply = await stack.call(stack.menus[tag], { body, headers: ctlive() });

      expectRedisUnavailable(reply);
      expectErrorLine(
        mark,
        tag,
        new RegExp(`^\\[IMCHANNEL\\] \\[${tag}\\] Could not claim the Idempotency-Key in Redis, nothing sent`),
      );
      expect(stack.sandbox.received).toEqual([]);
      await heal();
      expect((await stack.mediaKeys()).filter((key) => !before.includes(key))).toEqual([]);

      const retry = await stack.call(stack.menus[tag], { body, headers: ctlive() });
      if (fault === 'slow' && retry.status === 409) {
        // The claim the client gave up on landed late and holds the key as in flight: the
        // retry is told to come back (until the claim counts as orphaned), never sent twice.
        expect(retry.json.error).toEqual(expect.objectContaining({ code: 'REQUEST_IN_PROGRESS', retryable: true }));
        expect(retry.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        expect(stack.sandbox.received).toEqual([]);
      } else {
        expect(retry.status).toBe(200);
        expect(retry.json.messageId).toBe(messageId);
        expect(stack.sandbox.received).toHaveLength(1);
      }
      await stack.direct.del(...(await stack.mediaKeys()).filter((key) => !before.includes(key)), 'none');
    }),
  );

  it(
    'markAsRead: 503 and an ERROR line, Infobip not asked without its mark; once Redis is back it marks once',
    figures.track(async () => {
      const id = `wamid.HBgL${randomUUID().replace(/-/g, '')}+/=`;
      stack.sandbox.rememberInbound(id);
      const mark = stack.lines.length;
      arm(fault);

      const reply = await stack.call(stack.menus[MARK_AS_READ_TAG], { body: { messageId: id }, headers: ctlive() });

      expectRedisUnavailable(reply);
      expectErrorLine(mark, MARK_AS_READ_TAG, /Request failed with 503 REDIS_UNAVAILABLE/);
      expect(stack.sandbox.received).toEqual([]);
      await heal();
      // A slow Redis still runs the SET NX it was sent, after the client gave up on it: that mark
      // would answer the retry without asking Infobip, so it must not have been left.
      const readMark = redisKeys.readMark(SENDER, id);
      for (let i = 0; i < 100 && (await stack.direct.exists(readMark)) === 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const retry = await stack.call(stack.menus[MARK_AS_READ_TAG], { body: { messageId: id }, headers: ctlive() });
      expect(retry.json).toEqual({ messageId: id, read: true, alreadyMarked: false });
      expect(stack.sandbox.received).toHaveLength(1);
    }),
  );

  it(
    'sendTypingIndicator keeps nothing in Redis: served as usual',
    figures.track(async () => {
      arm(fault);

      const reply = await stack.call(stack.menus[TYPING_TAG], { body: { to: '39123456789' }, headers: ctlive() });

      expect(reply.json).toEqual({ to: '39123456789', typing: true });
      expect(stack.sandbox.received).toHaveLength(1);
    }),
  );

  it.each(kinds)(
    'send %s: 503, ERROR line, Infobip not called, no file left behind; then the next send is served',
    figures.track(async (kind: MediaKind) => {
      const tag = MEDIA_KINDS[kind].sendTag;
      const before = await stack.mediaKeys();
      const mark = stack.lines.length;
      arm(fault);

      const { reply } = await sendFile(kind);

      expectRedisUnavailable(reply);
      expectErrorLine(
        mark,
        tag,
        // The send's first Redis call is the claim of its key (the body's messageId): it fails first.
        new RegExp(`^\\[IMCHANNEL\\] \\[${tag}\\] Could not claim the Idempotency-Key in Redis, nothing sent`),
      );
      expectErrorLine(mark, tag, new RegExp(`^\\[IMCHANNEL\\] \\[${tag}\\] Request failed with 503 REDIS_UNAVAILABLE`));
      expect(stack.sandbox.received).toEqual([]);
      await heal();
      // A slow Redis still runs the SET it was sent, after the client gave up on it.
      expect((await stack.mediaKeys()).filter((key) => !before.includes(key))).toEqual([]);

      const next = await sendFile(kind);
      expect(next.reply.status).toBe(200);
      expect(await stack.direct.exists(redisKeys.media(String(next.reply.json.mediaId)))).toBe(1);
    }),
  );

  it.each(kinds)(
    'fetch %s: 503 and an ERROR line; once Redis is back the same file is served',
    figures.track(async (kind: MediaKind) => {
      const tag = MEDIA_KINDS[kind].fetchTag;
      const { reply: sent, content } = await sendFile(kind);
      const mediaId = String(sent.json.mediaId);
      const mark = stack.lines.length;
      arm(fault);

      const reply = await fetchFile(kind, mediaId);

      expectRedisUnavailable(reply);
      expectErrorLine(
        mark,
        tag,
        new RegExp(
          `^\\[IMCHANNEL\\] \\[${tag}\\] \\[REDIS\\] GET and EXPIRE LT failed for key \\[IMChannel:MultimediaMessage:${mediaId}\\]`,
        ),
      );
      await heal();
      const next = await fetchFile(kind, mediaId);
      expect(next.status).toBe(200);
      expect(next.body).toBe(content);
    }),
  );

  it.each([
    { route: 'onMessage' as const, kind: 'message', body: webhookBody },
    { route: 'onDeliveryReport' as const, kind: 'delivery', body: reportBody },
  ])(
    '$route: 503, ERROR line with the messageId, nothing forwarded; then the retry is forwarded once',
    figures.track(async ({ route, kind, body }) => {
      const handler = stack.webhooks()[route];
      const id = newId();
      const mark = stack.lines.length;
      arm(fault);

      const reply = await stack.call(handler, { body: body(id), headers: infobip() });

      expectRedisUnavailable(reply);
      expect(reply.json.error?.notForwarded).toEqual([id]);
      expectErrorLine(
        mark,
        route,
        new RegExp(`Could not claim the ${kind} event in Redis, not forwarded \\(messageId \\[${id}\\]\\)`),
      );
      expect(stack.sink.received).toEqual([]);
      await heal();
      const key = redisKeys.webhookEvent(kind, id);
      // On a slow Redis the claim the client gave up on still lands, and the handler's
      // abandon (a delete of claims that hold this request's owner, and only those) lands
      // after it: no claim is left to hold Infobip's retry off.
      for (let i = 0; i < 100 && (await stack.direct.exists(key)) === 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50)); // delayed commands drain
      }
      expect(await stack.direct.exists(key)).toBe(0);
      const retry = await stack.call(handler, { body: body(id), headers: infobip() });
      expect(retry.json).toEqual({ forwarded: 1, duplicates: 0 });
      expect(await stack.direct.get(key)).toBe('done');
      expect(stack.sink.received).toEqual([expect.objectContaining({ event: kind, messageId: id })]);
    }),
  );
});

describe('Redis restarted in the middle of a run', () => {
  it(
    'every answer is 200 or 503, every message reaches ctlive once, every file sent is served, and none is left over',
    figures.track(async () => {
      // A claim whose answer was lost in the restart holds Infobip's retries off until it
      // expires (60 s in production); 2 s here, so that the retries below see it expire.
      const { onMessage } = stack.webhooks({ dedupe: { claimTtlSeconds: 2 } });
      const statuses: number[] = [];
      const ids: string[] = [];
      const files = new Map<string, string>();
      const failedSends: number[] = [];
      /** Retries a 503 as Infobip and ctlive do; anything else ends it. */
      const withRetries = async (attempt: () => Promise<Reply>): Promise<Reply> => {
        for (let i = 0; ; i++) {
          const reply = await attempt();
          statuses.push(reply.status);
          if (reply.status !== 503 || i >= 100) return reply;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const round = async () => {
        const id = newId();
        ids.push(id);
        const forwarded = await withRetries(() => stack.call(onMessage, { body: webhookBody(id), headers: infobip() }));
        expect(forwarded.json).toEqual({ forwarded: 1, duplicates: 0 });
        const body = fileBody('document', `restart-${id}`);
        sentContents.push(body.content);
        const sent = await stack.call(stack.sendMedia.document, { body, headers: ctlive() });
        statuses.push(sent.status);
        if (sent.status !== 200) {
          failedSends.push(sent.status);
          return;
        }
        files.set(String(sent.json.mediaId), body.content);
        const fetched = await withRetries(() => fetchFile('document', String(sent.json.mediaId)));
        expect(fetched.status).toBe(200);
        expect(fetched.body).toBe(body.content);
      };
      const before = await stack.mediaKeys();
      const mark = stack.lines.length;

      for (let i = 0; i < 5; i++) await round();
      const restart = stack.redis.restart(RESTART_DOWN_MS);
      let restarted = false;
      void restart.then(() => {
        restarted = true;
      });
      while (!restarted) await round();
      await redisBack();
      for (let i = 0; i < 5; i++) await round();
      await restart;

      expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
      expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
      expect(failedSends.every((status) => status === 503)).toBe(true);
      // Every 503 was one ERROR line with its function's tag.
      const failedLines = ['onMessage', 'sendWhatsAppDocumentMessage', 'onGetDocumentMessage'].flatMap((tag) =>
        errorLinesSince(stack, mark, tag).filter((entry) => entry.message.includes('Request failed with 503 ')),
      );
      expect(failedLines).toHaveLength(statuses.filter((status) => status === 503).length);
      const received = stack.sink.received.map((event) => (event as { messageId: string }).messageId);
      expect(received).toEqual(ids);
      // Done, unless Redis went away between the forward and the done mark: ctlive has the
      // event either way, and that case is one ERROR line naming the message (lib/inbound/webhook.ts).
      const unmarked = new Set(
        errorLinesSince(stack, mark, 'onMessage')
          .filter((entry) => entry.message.includes('Forwarded, but could not mark it done in Redis'))
          .map((entry) => entry.messageId),
      );
      for (const id of ids) {
        if (unmarked.has(id)) continue;
        expect({ id, state: await stack.direct.get(redisKeys.webhookEvent('message', id)) }).toEqual({ id, state: 'done' });
      }
      // Files from before the restart survive it (Upstash keeps its data, as this server does).
      for (const [mediaId, content] of files) expect((await fetchFile('document', mediaId)).body).toBe(content);
      const added = (await stack.mediaKeys()).filter((key) => !before.includes(key));
      expect(added.sort()).toEqual([...files.keys()].map(redisKeys.media).sort());
    }),
  );
});

it(
  'no response and no log line of the whole Redis fault run holds a configured secret or a file',
  figures.track(async () => {
    expect(stack.responses.length).toBeGreaterThanOrEqual(30);
    expectNothingLeaked(stack, sentContents);
  }),
);
