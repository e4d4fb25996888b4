/**
 * Fault matrix, Infobip side: each way Infobip can fail, against
 * sendMessage, the media sends, the menus and the read and typing signals, on a real Redis. For each: the status and error
 * code of CONTRACT section 3, one ERROR line with the function's tag and the message id,
 * the state of the media store afterwards (a refused send leaves no file; a timed-out one
 * keeps it, as docs/api.md documents, since Infobip may still fetch it), and the same
 * handler answering the next request with 200.
 */
import { randomUUID } from 'node:crypto';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { redisKeys } from '../../lib/platform/redis';
import { startBrokenInfobip, type BrokenInfobip } from './faultSupport/brokenInfobip';
import { errorLinesSince, expectNothingLeaked, fileBody, textBody } from './faultSupport/expectations';
import { tally } from './faultSupport/results';
import {
  bearer,
  INFOBIP_TIMEOUT_MS,
  MEDIA_TTL_SECONDS,
  startStack,
  type MenuTag,
  type Reply,
  type Stack,
} from './faultSupport/stack';
import { BUTTONS_TAG, URL_BUTTON_TAG } from '../../lib/interactive/send';
import { LIST_TAG } from '../../lib/messages/list';
import { MARK_AS_READ_TAG } from '../../lib/signals/markAsRead';
import { TYPING_TAG } from '../../lib/signals/typing';
import { SENDER } from '../support/whatsAppSandbox';
import { LOCATION_TAG, makeSendLocationHandler } from '../../lib/messages/location';
import { CONTACT_TAG, makeSendContactHandler } from '../../lib/messages/contact';

let stack: Stack;
let truncating: BrokenInfobip;
let resetting: BrokenInfobip;
const figures = tally('faults.infobip');
const sentContents: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  truncating = await startBrokenInfobip('truncated');
  resetting = await startBrokenInfobip('reset');
});

afterAll(async () => {
  figures.write();
  await truncating?.close();
  await resetting?.close();
  await stack?.close();
});

beforeEach(() => stack.sandbox.reset());

interface Fault {
  name: string;
  /** Arms the fault; returns the `infobip` settings the request should carry, if any. */
  arm(): { baseUrl: string } | undefined;
  status: number;
  code: string;
  upstreamStatus?: number;
  /** The text of the ERROR line after the tag and status. */
  reason: RegExp;
  /** A timed-out send may still reach Infobip, which then fetches the file: it is kept. */
  fileKept: boolean;
}

const refusal = (status: number, text: string): Fault => ({
  name: `Infobip answers ${status}`,
  arm: () => {
    stack.sandbox.failNext({ status });
    return undefined;
  },
  status: 502,
  code: 'INFOBIP_ERROR',
  upstreamStatus: status,
  reason: new RegExp(`Infobip refused the message: ${text}`),
  fileKept: false,
});

const FAULTS: Fault[] = [
  refusal(400, 'Bad request'),
  refusal(401, 'Invalid login details'),
  {
    name: 'Infobip answers 429 (throttled)',
    arm: () => {
      stack.sandbox.failNext({ status: 429 });
      return undefined;
    },
    status: 429,
    code: 'INFOBIP_RATE_LIMITED',
    upstreamStatus: 429,
    reason: /Infobip is throttling the sends/,
    fileKept: false,
  },
  refusal(500, 'Something went wrong'),
  refusal(503, 'Service unavailable'),
  {
    name: 'Infobip answers an HTML page with 200',
    arm: () => {
      stack.sandbox.failNext({ status: 200, body: '<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>' });
      return undefined;
    },
    status: 502,
    code: 'INFOBIP_ERROR',
    upstreamStatus: 200,
    // OMNI's or the WhatsApp API's answer, as the route's transport expects.
    reason: /not (an OMNI response|the WhatsApp API's SingleMessageInfo)/,
    // A 2xx may mean Infobip took the message: it may still fetch the file.
    fileKept: true,
  },
  {
    name: 'Infobip cuts its answer off half way (truncated body)',
    // Another base URL brings its own key (the deployment's goes only to INFOBIP_BASE_URL).
    arm: () => ({ baseUrl: truncating.url, apiKey: stack.secrets.apiKey }),
    status: 502,
    code: 'INFOBIP_ERROR',
    reason: /Could not reach Infobip/,
    fileKept: true, // the request went out: the outcome is unknown
  },
  {
    name: 'Infobip does not answer within INFOBIP_TIMEOUT_MS',
    arm: () => {
      stack.sandbox.failNext({ delayMs: INFOBIP_TIMEOUT_MS * 4 });
      return undefined;
    },
    status: 504,
    code: 'INFOBIP_TIMEOUT',
    reason: new RegExp(`Infobip did not answer within ${INFOBIP_TIMEOUT_MS} ms`),
    fileKept: true,
  },
  {
    name: 'Infobip resets the connection',
    arm: () => ({ baseUrl: resetting.url, apiKey: stack.secrets.apiKey }),
    status: 502,
    code: 'INFOBIP_ERROR',
    reason: /Could not reach Infobip/,
    fileKept: true, // after reading the request: the outcome is unknown
  },
];

const infobipCalls = () => stack.sandbox.received.length + truncating.authorizations.length + resetting.authorizations.length;

function expectFailure(reply: Reply, fault: Fault) {
  expect(reply.status).toBe(fault.status);
  expect(reply.headers['content-type']).toBe('application/json');
  expect(reply.json.error).toEqual(expect.objectContaining({ code: fault.code }));
  if (fault.upstreamStatus !== undefined) expect(reply.json.error?.upstreamStatus).toBe(fault.upstreamStatus);
  // Throttled: the caller is told when to come back.
  if (fault.status === 429) expect(reply.headers['retry-after']).toMatch(/^[1-9]\d*$/);
}

function expectOneErrorLine(mark: number, tag: string, fault: Fault, messageId: string) {
  const errors = errorLinesSince(stack, mark, tag);
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toMatch(
    new RegExp(
      `^\\[IMCHANNEL\\] \\[${tag}\\] Request failed with ${fault.status} ${fault.code} \\(messageId \\[${messageId}\\]\\): `,
    ),
  );
  expect(errors[0]?.message).toMatch(fault.reason);
  expect(errors[0]?.messageId).toBe(messageId);
}

describe.each(FAULTS)('$name', (fault) => {
  it(
    'sendMessage: the contract status, an ERROR line with the tag, and the next request is served',
    figures.track(async () => {
      const messageId = `fault-${randomUUID()}`;
      const mark = stack.lines.length;
      const infobip = fault.arm();

      const reply = await stack.call(stack.sendMessage, {
        body: textBody(messageId, infobip ? { infobip } : {}),
        headers: bearer(stack.secrets.ctliveToken),
      });

      expectFailure(reply, fault);
      expectOneErrorLine(mark, 'sendMessage', fault, messageId);
      const next = await stack.call(stack.sendMessage, {
        body: textBody(`next-${messageId}`),
        headers: bearer(stack.secrets.ctliveToken),
      });
      expect(next.status).toBe(200);
      expect(next.json.messageId).toBe(`next-${messageId}`);
    }),
  );

  // The location, contact-card and template sends: nothing parked (a plain template parks nothing either), so sendMessage's checks.
  const otherSends: [string, () => Parameters<Stack['call']>[0], (id: string) => Record<string, unknown>][] = [
    [
      LOCATION_TAG,
      () => stack.sendRouteWith(LOCATION_TAG, makeSendLocationHandler, {}),
      (messageId) => ({ to: '39123456789', latitude: 45.4641943, longitude: 9.1896346, name: 'Duomo', messageId }),
    ],
    [
      CONTACT_TAG,
      () => stack.sendRouteWith(CONTACT_TAG, makeSendContactHandler, {}),
      (messageId) => ({
        to: '39123456789',
        contacts: [{ name: { firstName: 'Mario', formattedName: 'Mario Rossi' } }],
        messageId,
      }),
    ],
    [
      'sendWhatsAppTemplateMessage',
      () => stack.sendTemplateWith({}),
      (messageId) => ({
        to: '39123456789',
        templateName: 'order_update',
        language: 'en',
        placeholders: ['Ada', 'A-17'],
        messageId,
      }),
    ],
  ];
  it.each(otherSends)(
    '%s: the contract status, an ERROR line with the tag, and the next request is served',
    figures.track(
      async (tag: string, handlerOf: () => Parameters<Stack['call']>[0], bodyOf: (id: string) => Record<string, unknown>) => {
        const handler = handlerOf();
        const messageId = `fault-${randomUUID()}`;
        const mark = stack.lines.length;
        const callsBefore = infobipCalls();
        const infobip = fault.arm();

        const reply = await stack.call(handler, {
          body: { ...bodyOf(messageId), ...(infobip ? { infobip } : {}) },
          headers: bearer(stack.secrets.ctliveToken),
        });

        expectFailure(reply, fault);
        expectOneErrorLine(mark, tag, fault, messageId);
        expect(infobipCalls()).toBe(callsBefore + 1);
        const next = await stack.call(handler, { body: bodyOf(`next-${messageId}`), headers: bearer(stack.secrets.ctliveToken) });
        expect(next.status).toBe(200);
        expect(next.json.messageId).toBe(`next-${messageId}`);
      },
    ),
  );

  it.each(MEDIA_KIND_NAMES)(
    `send %s: the contract status, an ERROR line with the tag, ${fault.fileKept ? 'the file kept' : 'no file left behind'}, and the next request is served`,
    figures.track(async (kind: MediaKind) => {
      const tag = MEDIA_KINDS[kind].sendTag;
      const messageId = `fault-${randomUUID()}`;
      const before = await stack.mediaKeys();
      const mark = stack.lines.length;
      const callsBefore = infobipCalls();
      const infobip = fault.arm();
      const body = fileBody(kind, messageId, infobip ? { infobip } : {});
      sentContents.push(body.content);

      const reply = await stack.call(stack.sendMedia[kind], { body, headers: bearer(stack.secrets.ctliveToken) });

      expectFailure(reply, fault);
      expectOneErrorLine(mark, tag, fault, messageId);
      // Infobip was called once, so the file had been stored first (CONTRACT section 3).
      expect(infobipCalls()).toBe(callsBefore + 1);
      const added = (await stack.mediaKeys()).filter((key) => !before.includes(key));
      if (fault.fileKept) {
        expect(added).toHaveLength(1);
        const ttl = await stack.direct.ttl(added[0] as string);
        expect(ttl).toBeGreaterThan(MEDIA_TTL_SECONDS - 60);
        await stack.direct.del(added[0] as string);
      } else {
        expect(added).toEqual([]);
      }

      const next = await stack.call(stack.sendMedia[kind], {
        body: fileBody(kind, `next-${messageId}`),
        headers: bearer(stack.secrets.ctliveToken),
      });
      expect(next.status).toBe(200);
      const stored = redisKeys.media(String(next.json.mediaId));
      expect(await stack.direct.exists(stored)).toBe(1);
      await stack.direct.del(stored);
    }),
  );

  // The menus: free-form sends through the WhatsApp API, the buttons with a parked header
  // file. The same message again goes out once more only when Infobip surely did not take
  // the first (the claim was released); after an unknown outcome it is held off, never doubled.
  const menuSends: [MenuTag, (messageId: string) => Record<string, unknown>][] = [
    [
      BUTTONS_TAG,
      (messageId) => {
        const { content } = fileBody('image', messageId);
        sentContents.push(content);
        return {
          to: '39123456789',
          text: 'How can we help?',
          buttons: [{ id: 'billing', title: 'Billing' }],
          header: { type: 'IMAGE', content, contentType: 'image/png', fileName: 'a.png' },
          messageId,
        };
      },
    ],
    [
      LIST_TAG,
      (messageId) => ({
        to: '39123456789',
        text: 'Pick a slot',
        buttonText: 'Slots',
        sections: [{ rows: [{ id: 'mon-9', title: 'Monday 9:00' }] }],
        messageId,
      }),
    ],
    [
      URL_BUTTON_TAG,
      (messageId) => ({
        to: '39123456789',
        text: 'Your order',
        displayText: 'Track it',
        url: 'https://example.com/o/1',
        messageId,
      }),
    ],
  ];
  it.each(menuSends)(
    `%s: the contract status, an ERROR line with the tag, ${fault.fileKept ? 'the header file kept, the same message held off' : 'no file left behind, the same message sent once on retry'}`,
    figures.track(async (tag: MenuTag, bodyOf: (messageId: string) => Record<string, unknown>) => {
      const messageId = `fault-${randomUUID()}`;
      const before = await stack.mediaKeys();
      const mark = stack.lines.length;
      const callsBefore = infobipCalls();
      const infobip = fault.arm();
      const body = { ...bodyOf(messageId), ...(infobip ? { infobip } : {}) };

      const reply = await stack.call(stack.menus[tag], { body, headers: bearer(stack.secrets.ctliveToken) });

      expectFailure(reply, fault);
      expectOneErrorLine(mark, tag, fault, messageId);
      expect(infobipCalls()).toBe(callsBefore + 1);
      const added = (await stack.mediaKeys()).filter((key) => !before.includes(key));
      expect(added).toHaveLength(tag === BUTTONS_TAG && fault.fileKept ? 1 : 0);
      const retry = await stack.call(stack.menus[tag], { body, headers: bearer(stack.secrets.ctliveToken) });
      if (fault.fileKept) {
        expect(retry.status).toBe(409);
        expect(retry.json.error).toEqual(expect.objectContaining({ code: 'OUTCOME_UNKNOWN' }));
        expect(infobipCalls()).toBe(callsBefore + 1);
      } else {
        expect(retry.status).toBe(200);
        expect(retry.json.messageId).toBe(messageId);
        expect(infobipCalls()).toBe(callsBefore + 2);
      }
      await stack.direct.del(...(await stack.mediaKeys()).filter((key) => !before.includes(key)), 'none');
    }),
  );

  /** A read receipt or typing event is no message: any 2xx is Infobip taking it, so an HTML 200 is a success. */
  const signalFails = fault.upstreamStatus !== 200;

  it(
    `markAsRead: ${signalFails ? 'the contract status, an ERROR line, and the mark forgotten, so that the retry goes out' : 'taken, the mark kept'}`,
    figures.track(async () => {
      const id = `wamid.HBgL${randomUUID().replace(/-/g, '')}+/=`;
      stack.sandbox.rememberInbound(id);
      const mark = stack.lines.length;
      const callsBefore = infobipCalls();
      const infobip = fault.arm();

      const reply = await stack.call(stack.menus[MARK_AS_READ_TAG], {
        body: { messageId: id, ...(infobip ? { infobip } : {}) },
        headers: bearer(stack.secrets.ctliveToken),
      });

      expect(infobipCalls()).toBe(callsBefore + 1);
      const readMark = redisKeys.readMark(SENDER, id);
      if (!signalFails) {
        expect(reply.status).toBe(200);
        expect(await stack.direct.exists(readMark)).toBe(1);
        return;
      }
      expectFailure(reply, fault);
      expect(errorLinesSince(stack, mark, MARK_AS_READ_TAG).map((e) => e.message)).toContainEqual(
        expect.stringContaining(`Request failed with ${fault.status} ${fault.code}`),
      );
      expect(await stack.direct.exists(readMark)).toBe(0);
      const retry = await stack.call(stack.menus[MARK_AS_READ_TAG], {
        body: { messageId: id },
        headers: bearer(stack.secrets.ctliveToken),
      });
      expect(retry.json).toEqual({ messageId: id, read: true, alreadyMarked: false });
      expect(infobipCalls()).toBe(callsBefore + 2);
    }),
  );

  it(
    `sendTypingIndicator: ${signalFails ? 'the contract status and an ERROR line; the next indicator goes out' : 'taken'}`,
    figures.track(async () => {
      const mark = stack.lines.length;
      const callsBefore = infobipCalls();
      const infobip = fault.arm();

      const reply = await stack.call(stack.menus[TYPING_TAG], {
        body: { to: '39123456789', ...(infobip ? { infobip } : {}) },
        headers: bearer(stack.secrets.ctliveToken),
      });

      expect(infobipCalls()).toBe(callsBefore + 1);
      if (!signalFails) {
        expect(reply.status).toBe(200);
        return;
      }
      expectFailure(reply, fault);
      expect(errorLinesSince(stack, mark, TYPING_TAG).map((e) => e.message)).toContainEqual(
        expect.stringContaining(`Request failed with ${fault.status} ${fault.code}`),
      );
      const next = await stack.call(stack.menus[TYPING_TAG], {
        body: { to: '39123456789' },
        headers: bearer(stack.secrets.ctliveToken),
      });
      expect(next.json).toEqual({ to: '39123456789', typing: true });
    }),
  );
});

it(
  'no response and no log line of the whole Infobip fault run holds a configured secret or a file',
  figures.track(async () => {
    expect(stack.responses.length).toBeGreaterThanOrEqual(FAULTS.length * 24);
    expectNothingLeaked(stack, sentContents);
  }),
);
