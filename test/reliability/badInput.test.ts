/**
 * Generated bad input: fast-check throws at least 1,000 requests at each
 * endpoint, bodies and headers both, near-valid and plain garbage. Every answer must be
 * one the contract names for bad input (or 200 when the input happened to be valid),
 * never a crash or a 5xx; a request without the right credentials is always 401; and no
 * response or log line holds a configured secret or the file that was sent. Infobip is a
 * recorder here (it answers as Infobip does), so the property can also check that the API
 * key went nowhere but an allowed Infobip host.
 */
import { functionsIn } from '../../lib/functions';
import fc from 'fast-check';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { leaked, type Reply, type Stack, startStack, basic, WEBHOOK_USER } from './faultSupport/stack';
import { tally } from './faultSupport/results';
import { leadingBytes } from '../support/sampleFile';
import { LOCATION_TAG, makeSendLocationHandler } from '../../lib/messages/location';
import { CONTACT_TAG, makeSendContactHandler } from '../../lib/messages/contact';
import { LIST_TAG, makeSendListHandler } from '../../lib/messages/list';
import { BUTTONS_TAG, URL_BUTTON_TAG, makeSendButtonsHandler, makeSendUrlButtonHandler } from '../../lib/interactive/send';
import { memoryUploads } from '../support/uploadFake';
import { TYPING_TAG, makeTypingHandler } from '../../lib/signals/typing';
import { MARK_AS_READ_TAG, makeMarkAsReadHandler } from '../../lib/signals/markAsRead';
import { acceptedAnswer } from '../support/infobipAnswers';
import { defaultTemplates } from '../../tools/infobipSandbox';

const WEBHOOK_NAMES = functionsIn('webhook').map((fn) => fn.name as 'onMessage' | 'onDeliveryReport');

const RUNS = 1_000;
const figures = tally('badInput');
let stack: Stack;
const infobipCalls: { url: string }[] = [];
const recordingFetch = (async (input: string | URL | Request) => {
  infobipCalls.push({ url: String(input) });
  // Accepted in the shape of the API the call went to; a read receipt answers 204.
  if (String(input).endsWith('/read')) return new Response(null, { status: 204 });
  return acceptedAnswer(String(input));
}) as typeof fetch;
const ALLOWLIST = ['*.api.infobip.com'];

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  figures.write();
  await stack?.close();
});

// ---- headers -------------------------------------------------------------------------

const junkHeaders = fc.dictionary(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,24}$/).filter((name) => name.toLowerCase() !== 'authorization'),
  fc.string({ maxLength: 80 }),
  { maxKeys: 4 },
);

/** An Authorization header for a bearer endpoint, and whether it is the right one. */
const bearerAuth = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ valid: true, header: () => `Bearer ${stack.secrets.ctliveToken}` }) },
  { weight: 2, arbitrary: fc.constant({ valid: true, header: () => `bearer   ${stack.secrets.ctliveToken} ` }) },
  fc.constant({ valid: false, header: () => undefined }),
  fc.constant({ valid: false, header: () => `Bearer ${stack.secrets.ctliveToken}x` }),
  fc.constant({ valid: false, header: () => `Bearer ${stack.secrets.ctliveToken.slice(1)}` }),
  fc.constant({ valid: false, header: () => `Basic ${stack.secrets.ctliveToken}` }),
  fc.constant({ valid: false, header: () => stack.secrets.ctliveToken }),
  fc.string({ maxLength: 60 }).map((s) => ({ valid: false, header: () => s })),
  fc.string({ maxLength: 60 }).map((s) => ({ valid: false, header: () => `Bearer ${s}` })),
);

const webhookAuth = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constant({ valid: true, header: () => basic(WEBHOOK_USER, stack.secrets.webhookPassword).authorization }),
  },
  fc.constant({ valid: false, header: () => undefined }),
  fc.constant({ valid: false, header: () => basic(WEBHOOK_USER, `${stack.secrets.webhookPassword}!`).authorization }),
  fc.string({ maxLength: 60 }).map((s) => ({ valid: false, header: () => s })),
  fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })).map(([u, p]) => ({
    valid: false,
    header: () => basic(u, p).authorization,
  })),
);

// ---- bodies --------------------------------------------------------------------------

const anyJson = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const longString = (min: number) => fc.integer({ min, max: min + 20 }).map((n) => 'x'.repeat(n));

const phone = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^\+?\d{7,15}$/) },
  fc.stringMatching(/^\+?\d{0,20}$/),
  fc.string({ maxLength: 20 }),
  anyJson,
);
const infobipSettings = fc.oneof(
  fc.record(
    {
      baseUrl: fc.oneof(
        fc.constant('https://x.api.infobip.com'),
        fc.constant('https://evil.example@x.api.infobip.com'),
        fc.webUrl(),
        fc.string({ maxLength: 40 }),
        anyJson,
      ),
      apiKey: fc.oneof(fc.string({ maxLength: 40 }), longString(1025), anyJson),
      scenarioKey: fc.oneof(fc.string({ maxLength: 40 }), longString(257), anyJson),
    },
    { requiredKeys: [] },
  ),
  anyJson,
);
const sendCommon = {
  to: phone,
  infobip: fc.option(infobipSettings, { nil: undefined, freq: 2 }),
  callbackData: maybe(fc.oneof(fc.string({ maxLength: 60 }), longString(4001), anyJson)),
  messageId: maybe(fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,30}$/), fc.string({ maxLength: 30 }), longString(201), anyJson)),
};
const textFields = fc.record(
  {
    ...sendCommon,
    text: fc.oneof(
      { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 60 }) },
      fc.constant(''),
      longString(4097),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

/** A coordinate: mostly in range (some sends get through), sometimes just out of it, or not a number. */
const coordinate = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -max, max, noNaN: true }) },
    fc.double({ min: max, max: max * 2, noNaN: true, minExcluded: true }),
    fc.constantFrom(-max, max, -max - 1e-9, 0),
    fc.double().map(String),
    anyJson,
  );
const locationText = maybe(
  fc.oneof({ weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) }, fc.constant(''), longString(1001), anyJson),
);
const locationFields = fc.record(
  { ...sendCommon, latitude: coordinate(90), longitude: coordinate(180), name: locationText, address: locationText },
  { requiredKeys: [] },
);

/** Contact cards near OMNI's shape: valid ones, and each field wrong in the ways a caller gets it wrong. */
const cardText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
  fc.constant(''),
  longString(1001),
  anyJson,
);
const placeType = maybe(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom('HOME', 'WORK') }, fc.constantFrom('CELL', 'home', ''), anyJson),
);
const contactCard = fc.oneof(
  // A card that is right, so that some sends get through to the recorder.
  {
    weight: 4,
    arbitrary: fc.constant({
      name: { firstName: 'Mario', formattedName: 'Mario Rossi' },
      phones: [{ phone: '+39 02 1234 5678', type: 'WORK' }],
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record(
      {
        name: fc.oneof(
          {
            weight: 6,
            arbitrary: fc.record(
              { firstName: cardText, formattedName: cardText, lastName: maybe(cardText) },
              { requiredKeys: [] },
            ),
          },
          anyJson,
        ),
        phones: maybe(
          fc.array(
            fc.record(
              {
                phone: maybe(
                  fc.oneof(
                    { weight: 4, arbitrary: fc.stringMatching(/^\+?[\d ]{3,20}$/) },
                    fc.string({ maxLength: 20 }),
                    anyJson,
                  ),
                ),
                type: maybe(
                  fc.oneof(
                    { weight: 4, arbitrary: fc.constantFrom('CELL', 'MAIN', 'IPHONE', 'HOME', 'WORK') },
                    fc.constantFrom('MOBILE', ''),
                    anyJson,
                  ),
                ),
                waId: maybe(fc.oneof(fc.stringMatching(/^[1-9]\d{6,14}$/), fc.string({ maxLength: 16 }))),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
        ),
        emails: maybe(
          fc.array(
            fc.record(
              { email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 }), anyJson), type: placeType },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
        ),
        urls: maybe(
          fc.array(
            fc.record(
              { url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 }), anyJson), type: placeType },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
        ),
        addresses: maybe(
          fc.array(
            fc.record({ street: cardText, city: cardText, countryCode: cardText, type: placeType }, { requiredKeys: [] }),
            { maxLength: 2 },
          ),
        ),
        org: maybe(
          fc.oneof(fc.record({ company: cardText, department: cardText, title: cardText }, { requiredKeys: [] }), anyJson),
        ),
        birthday: maybe(
          fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
            fc.constantFrom('1981-02-29', '17/05/1980'),
            anyJson,
          ),
        ),
        nickname: maybe(fc.string({ maxLength: 10 })),
      },
      { requiredKeys: [] },
    ),
  },
  anyJson,
);
const contactFields = fc.record(
  { ...sendCommon, contacts: fc.oneof({ weight: 6, arbitrary: fc.array(contactCard, { maxLength: 3 }) }, anyJson) },
  { requiredKeys: [] },
);

/** A text within `max` mostly, sometimes empty, one over, or not a string. */
const boundedText = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: Math.min(max, 30) }) },
    fc.constant(''),
    longString(max + 1),
    anyJson,
  );
/** A list menu near InteractiveListContent: rows and sections at and over their limits, duplicate ids, junk. */
const listRow = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      { id: boundedText(200), title: boundedText(24), description: maybe(boundedText(72)) },
      { requiredKeys: [] },
    ),
  },
  fc.record({ id: fc.constant('same'), title: fc.constant('Same') }),
  anyJson,
);
const listFields = fc.record(
  {
    ...sendCommon,
    text: boundedText(1024),
    buttonText: boundedText(20),
    sections: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.array(
          fc.record({ title: maybe(boundedText(24)), rows: fc.array(listRow, { maxLength: 12 }) }, { requiredKeys: [] }),
          { maxLength: 11 },
        ),
      },
      anyJson,
    ),
    header: maybe(fc.oneof(fc.record({ type: fc.constantFrom('TEXT', 'IMAGE'), text: boundedText(60) }), anyJson)),
    footer: maybe(boundedText(60)),
  },
  { requiredKeys: [] },
);
const typingFields = fc.record(
  { to: phone, infobip: fc.option(infobipSettings, { nil: undefined, freq: 2 }) },
  { requiredKeys: [] },
);
const markFields = fc.record(
  {
    messageId: fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,60}$/) },
      fc.string({ maxLength: 30 }),
      longString(513),
      anyJson,
    ),
    infobip: fc.option(infobipSettings, { nil: undefined, freq: 2 }),
  },
  { requiredKeys: [] },
);

const bytes = fc.uint8Array({ minLength: 12, maxLength: 300 });
/** Mostly the real leading bytes of one of the kind's types (so some sends get through), sometimes none. */
const fileOf = (kind: MediaKind) =>
  fc
    .tuple(fc.option(fc.constantFrom(...MEDIA_KINDS[kind].contentTypes), { freq: 4 }), bytes)
    .map(([type, tail]) => Buffer.concat([type === null ? Buffer.alloc(0) : leadingBytes(type), tail]).toString('base64'));
/**
 * The uploads a generated menu header may name (in memory: lib/media/sendStored.ts's checks run
 * on them): an image and a PDF whose bytes fit their type, and one PDF never PUT.
 */
const uploads = memoryUploads();
const UPLOADED = [
  uploads.add('image', 'promo.png', 'image/png', Buffer.concat([leadingBytes('image/png'), Buffer.alloc(200)])),
  uploads.add('document', 'contract.pdf', 'application/pdf', Buffer.concat([leadingBytes('application/pdf'), Buffer.alloc(200)])),
  uploads.add('document', 'late.pdf', 'application/pdf', Buffer.alloc(10), { put: false }),
];
/** A buttons or link-button header near InteractiveButtonsHeaderContent: TEXT, or a file by url, inline or by mediaId, mixed and junk. */
const menuHeader = fc.oneof(
  { weight: 2, arbitrary: fc.record({ type: fc.constant('TEXT'), text: boundedText(60) }, { requiredKeys: [] }) },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        type: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('IMAGE', 'VIDEO', 'DOCUMENT') },
          fc.constantFrom('AUDIO', 'image', ''),
        ),
        url: maybe(fc.oneof(fc.webUrl(), fc.constant('ftp://x.example/a.png'), longString(2049), anyJson)),
        content: maybe(fc.oneof(fileOf('image'), fileOf('document'), fc.string({ maxLength: 40 }), anyJson)),
        contentType: maybe(fc.oneof(fc.constantFrom('image/png', 'application/pdf', 'video/mp4', 'text/html'), anyJson)),
        fileName: maybe(fc.oneof(fc.constantFrom('promo.png', 'contract.pdf', '   '), longString(241), anyJson)),
        mediaId: maybe(
          fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...UPLOADED) }, fc.uuid({ version: 4 }), fc.string(), anyJson),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  anyJson,
);
const menuCommon = { ...sendCommon, text: boundedText(1024), header: maybe(menuHeader), footer: maybe(boundedText(60)) };
const buttonsFields = fc.record(
  {
    ...menuCommon,
    buttons: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.array(fc.record({ id: boundedText(256), title: boundedText(20) }, { requiredKeys: [] }), { maxLength: 4 }),
      },
      anyJson,
    ),
  },
  { requiredKeys: [] },
);
const urlButtonFields = fc.record(
  {
    ...menuCommon,
    displayText: boundedText(20),
    url: fc.oneof(
      { weight: 4, arbitrary: fc.webUrl({ validSchemes: ['https'] }) },
      fc.webUrl(),
      fc.constantFrom('javascript:alert(1)', 'https://', 'http://example.com/o/1'),
      longString(2049),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

const fileFields = (kind: MediaKind) =>
  fc.record(
    {
      ...sendCommon,
      fileName: fc.oneof(
        { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
        fc.constant('   '),
        longString(241),
        anyJson,
      ),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...MEDIA_KINDS[kind].contentTypes) },
        fc.constantFrom(
          'image/jpg',
          'text/html',
          'application/pdf; x=1',
          'audio/ogg; codecs="opus"',
          'IMAGE/PNG',
          'video/quicktime',
        ),
        fc.string({ maxLength: 40 }),
        anyJson,
      ),
      content: fc.oneof(
        { weight: 6, arbitrary: fileOf(kind) },
        fileOf(kind).map((b64) => `${b64.slice(0, 8)}\n${b64.slice(8)}`),
        fileOf(kind).map((b64) => b64.replace(/=+$/, '')),
        fc.constant(''),
        fc.string({ maxLength: 40 }),
        fc.constant(Buffer.alloc(70 * 1024, 7).toString('base64')),
        anyJson,
      ),
      caption: maybe(fc.oneof(fc.string({ maxLength: 40 }), longString(3001), anyJson)),
    },
    { requiredKeys: [] },
  );

// A template: near-valid names, languages and placeholders, every header and button shape, and junk.
const placeholders = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 3 }) },
  fc.array(fc.oneof(fc.constant(''), longString(1025), anyJson), { maxLength: 3 }),
  fc.array(fc.constant('p'), { minLength: 101, maxLength: 105 }),
  anyJson,
);
const headerFile = (type: 'IMAGE' | 'VIDEO' | 'DOCUMENT', kind: MediaKind) =>
  fc.record(
    {
      type: fc.constant(type),
      url: maybe(
        fc.oneof(fc.webUrl(), fc.constant('ftp://x.example/a'), fc.string({ maxLength: 30 }), longString(2049), anyJson),
      ),
      content: maybe(fc.oneof({ weight: 4, arbitrary: fileOf(kind) }, fc.string({ maxLength: 30 }), anyJson)),
      contentType: maybe(fc.oneof(fc.constantFrom(...MEDIA_KINDS[kind].contentTypes), fc.string({ maxLength: 30 }), anyJson)),
      fileName: maybe(fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constant(' '), longString(241), anyJson)),
    },
    { requiredKeys: ['type'] },
  );
const templateHeader = fc.oneof(
  fc.record({ type: fc.constant('TEXT'), text: fc.oneof(fc.string({ maxLength: 30 }), longString(61), anyJson) }),
  headerFile('IMAGE', 'image'),
  headerFile('VIDEO', 'video'),
  headerFile('DOCUMENT', 'document'),
  fc.record({
    type: fc.constant('LOCATION'),
    latitude: fc.oneof(fc.double({ min: -100, max: 100 }), anyJson),
    longitude: fc.oneof(fc.double({ min: -200, max: 200 }), anyJson),
  }),
  fc.record({ type: fc.oneof(fc.string({ maxLength: 10 }), anyJson), text: anyJson }, { requiredKeys: [] }),
  anyJson,
);
const templateButton = fc.oneof(
  fc.record({ type: fc.constant('QUICK_REPLY'), payload: fc.oneof(fc.string({ maxLength: 20 }), longString(129), anyJson) }),
  fc.record({ type: fc.constant('URL'), parameter: fc.oneof(fc.string({ maxLength: 20 }), longString(1501), anyJson) }),
  anyJson,
);
const templateFields = fc.record(
  {
    ...sendCommon,
    templateName: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...defaultTemplates().map((t) => t.name), 'unknown_template') },
      fc.constant('  '),
      longString(513),
      anyJson,
    ),
    templateNamespace: maybe(fc.oneof(fc.string({ maxLength: 20 }), anyJson)),
    language: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('en', 'es', 'en_GB', 'de') },
      fc.string({ maxLength: 8 }),
      anyJson,
    ),
    placeholders: maybe(placeholders),
    header: maybe(templateHeader),
    buttons: maybe(
      fc.oneof(fc.array(templateButton, { maxLength: 3 }), fc.array(templateButton, { minLength: 11, maxLength: 12 }), anyJson),
    ),
  },
  { requiredKeys: [] },
);

/** Templates the cached catalogue takes, so that some sends get through to Infobip. */
const validTemplates = fc.oneof(
  fc.record({
    to: fc.stringMatching(/^\+?[1-9]\d{6,14}$/),
    templateName: fc.constant('order_update'),
    language: fc.constantFrom('en', 'es'),
    placeholders: fc.array(
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''),
      { minLength: 2, maxLength: 2 },
    ),
  }),
  fc.record({
    to: fc.stringMatching(/^\+?[1-9]\d{6,14}$/),
    templateName: fc.constant('welcome_offer'),
    language: fc.constant('en'),
    placeholders: fc.constant(['Ada']),
    header: fc.record({
      type: fc.constant('IMAGE'),
      content: fileOf('image'),
      contentType: fc.constant('image/png'),
      fileName: fc.constant('a.png'),
    }),
    buttons: fc.constant([{ type: 'URL', parameter: 'x' }]),
  }),
);

const resultShape = fc.record(
  {
    messageId: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constant(''), anyJson),
    from: anyJson,
    to: anyJson,
    message: fc.oneof(
      fc.record(
        { type: fc.oneof(fc.constantFrom('TEXT', 'IMAGE', 'LOCATION', 'NEW_TYPE'), anyJson), text: anyJson, url: anyJson },
        { requiredKeys: [] },
      ),
      anyJson,
    ),
    content: fc.oneof(fc.array(anyJson, { maxLength: 3 }), anyJson),
    contact: anyJson,
    contacts: fc.oneof(fc.array(anyJson, { maxLength: 2 }), anyJson),
    status: anyJson,
    error: anyJson,
    seenAt: anyJson,
    doneAt: anyJson,
    callbackData: anyJson,
  },
  { requiredKeys: [] },
);
const webhookFields = fc.oneof(
  fc.record(
    {
      results: fc.oneof(fc.array(fc.oneof(resultShape, anyJson), { maxLength: 3 }), anyJson),
      messageCount: anyJson,
      pendingMessageCount: anyJson,
    },
    { requiredKeys: [] },
  ),
  anyJson,
);

/** A structure as the body, rendered the many ways a body can arrive. */
const asBody = (fields: fc.Arbitrary<unknown>, tooLargeBytes: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fields.map((value) => ({ body: JSON.stringify(value) ?? '', base64: false })) },
    {
      weight: 1,
      arbitrary: fields.map((value) => ({ body: Buffer.from(JSON.stringify(value) ?? '').toString('base64'), base64: true })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fields, fc.nat()).map(([value, n]) => {
        const json = JSON.stringify(value) ?? '';
        return { body: json.slice(0, n % (json.length + 1)), base64: false };
      }),
    },
    { weight: 1, arbitrary: anyJson.map((value) => ({ body: JSON.stringify(value), base64: false })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((body) => ({ body, base64: false })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean())
        .map(([body, base64]) => ({ body, base64 })),
    },
    { weight: 1, arbitrary: fc.constant({ body: undefined as string | undefined, base64: false }) },
    { weight: 1, arbitrary: fc.constant({ body: `{"results":[],"pad":"${'x'.repeat(tooLargeBytes)}"}`, base64: false }) },
  );

// ---- the property --------------------------------------------------------------------

interface Case {
  body: { body: string | undefined; base64: boolean };
  auth: { valid: boolean; header: () => string | undefined };
  headers: Record<string, string>;
  contentType: string | undefined;
  /** The header name as the caller spelt it: the stack lower-cases it. */
  authName: string;
}

async function invoke(
  handler: Parameters<Stack['call']>[0],
  c: Case,
  extra: { method?: string; pathParameters?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...c.headers };
  const authorization = c.auth.header();
  if (authorization !== undefined) headers[c.authName] = authorization;
  if (c.contentType !== undefined) headers['content-type'] = c.contentType;
  return stack.call(handler, {
    method: extra.method ?? 'POST',
    pathParameters: extra.pathParameters,
    headers,
    body: c.body.body,
    rawBody: true,
    isBase64Encoded: c.body.base64,
  });
}

function checkAnswer(endpoint: string, reply: Reply, allowed: readonly number[], mark: number, fileContent?: string) {
  figures.add(`answered:${endpoint}:${reply.status}`);
  if (!allowed.includes(reply.status)) {
    throw new Error(`status ${reply.status} is not one of ${allowed.join(', ')}: ${reply.body.slice(0, 300)}`);
  }
  if (reply.status !== 200) {
    expect(reply.headers['content-type']).toBe('application/json');
    expect(typeof reply.json.error?.code).toBe('string');
  }
  const secrets = Object.values(stack.secrets);
  const fileSecrets = fileContent !== undefined && fileContent.length >= 16 ? [fileContent] : [];
  const output = [`${JSON.stringify(reply.headers)}\n${reply.body}`, ...stack.lines.slice(mark)];
  const found = output.flatMap((text) => leaked(text, [...secrets, ...fileSecrets]));
  if (found.length > 0) throw new Error(`leaked ${found.map((s) => `${s.slice(0, 10)}…`).join(', ')}`);
  for (const call of infobipCalls) {
    const url = new URL(call.url);
    if (url.protocol !== 'https:' || !url.hostname.endsWith('.api.infobip.com'))
      throw new Error(`the API key went to ${call.url}`);
  }
  infobipCalls.length = 0;
}

const caseOf = (body: fc.Arbitrary<Case['body']>, auth: fc.Arbitrary<Case['auth']>) =>
  fc.record({
    body,
    auth,
    headers: junkHeaders,
    contentType: maybe(
      fc.oneof(
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8'),
        fc.string({ maxLength: 30 }),
      ),
    ),
    authName: fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION'),
  });

async function fuzz(endpoint: string, arb: fc.Arbitrary<Case>, run: (c: Case) => Promise<void>) {
  await fc.assert(
    fc.asyncProperty(arb, async (c) => {
      figures.add(`tried:${endpoint}`);
      await run(c);
    }),
    { numRuns: RUNS },
  );
}

it(
  'sendMessage: only 200, 400, 401, 413 or 415; a wrong token is always 401; nothing leaked',
  figures.track(async () => {
    const handler = stack.sendMessageWith({
      baseUrl: 'https://x.api.infobip.com',
      allowedHosts: ALLOWLIST,
      fetch: recordingFetch,
    });
    await fuzz('sendMessage', caseOf(asBody(textFields, 300 * 1024), bearerAuth), async (c) => {
      const mark = stack.lines.length;
      const reply = await invoke(handler, c);
      if (!c.auth.valid) expect(reply.status).toBe(401);
      // 415: a Content-Type that is not JSON (the send routes take JSON only).
      checkAnswer('sendMessage', reply, [200, 400, 401, 413, 415], mark);
    });
  }),
);

/** Read marks in memory (SET NX EX, DEL), so every generated call that passes validation reaches the recorder. */
const noMarks = { take: async () => true, forget: async () => undefined };

describe.each([
  [LOCATION_TAG, makeSendLocationHandler, locationFields],
  [CONTACT_TAG, makeSendContactHandler, contactFields],
  [LIST_TAG, makeSendListHandler, listFields],
  [TYPING_TAG, makeTypingHandler, typingFields],
  [
    MARK_AS_READ_TAG,
    (deps: Parameters<typeof makeTypingHandler>[0]) => makeMarkAsReadHandler({ ...deps, marks: noMarks }),
    markFields,
  ],
] as const)('%s', (tag, make, fields) => {
  it(
    'only 200, 400, 401, 413 or 415; a wrong token is always 401; nothing leaked',
    figures.track(async () => {
      const handler = stack.sendRouteWith(tag, make, {
        baseUrl: 'https://x.api.infobip.com',
        allowedHosts: ALLOWLIST,
        fetch: recordingFetch,
      });
      await fuzz(tag, caseOf(asBody(fields as fc.Arbitrary<unknown>, 300 * 1024), bearerAuth), async (c) => {
        const mark = stack.lines.length;
        const reply = await invoke(handler, c);
        if (!c.auth.valid) expect(reply.status).toBe(401);
        checkAnswer(tag, reply, [200, 400, 401, 413, 415], mark);
      });
    }),
  );
});

/** A refusal says how to fix the request: a message, and for a 400 each field's path and what is wrong with it. */
function expectFixHint(reply: Reply) {
  if (reply.status < 400) return;
  expect(reply.json.error?.message).toEqual(expect.stringMatching(/\S{3}/));
  const details = reply.json.error?.details as { path: unknown; message: unknown }[] | undefined;
  for (const detail of details ?? []) {
    expect(detail).toEqual({ path: expect.any(String), message: expect.stringMatching(/\S{3}/) });
  }
}

// A header's upload adds the refusals of a send by mediaId: 404 (no such upload), 409 (not
// PUT yet, or already another message's), 415 (its bytes are not its type); never a 5xx.
describe.each([
  [BUTTONS_TAG, makeSendButtonsHandler, buttonsFields],
  [URL_BUTTON_TAG, makeSendUrlButtonHandler, urlButtonFields],
] as const)('%s', (tag, make, fields) => {
  it(
    'only 200 or a 4xx that says how to fix it (400, 401, 404, 409, 413, 415, 422); a wrong token is always 401; neither secrets nor the file leaked',
    figures.track(async () => {
      const handler = make({
        ...stack.parkingDeps(tag, { baseUrl: 'https://x.api.infobip.com', allowedHosts: ALLOWLIST, fetch: recordingFetch }),
        objects: uploads.deps,
      });
      await fuzz(tag, caseOf(asBody(fields as fc.Arbitrary<unknown>, 400 * 1024), bearerAuth), async (c) => {
        const mark = stack.lines.length;
        const content = /"content":"([^"]*)"/.exec(c.body.body ?? '')?.[1];
        const reply = await invoke(handler, c);
        if (!c.auth.valid) expect(reply.status).toBe(401);
        checkAnswer(tag, reply, [200, 400, 401, 404, 409, 413, 415, 422], mark, content);
        expectFixHint(reply);
      });
    }),
  );
});

describe.each(MEDIA_KIND_NAMES)('send %s', (kind) => {
  it(
    'only 200, 400, 401, 413 or 415; a wrong token is always 401; neither secrets nor the file leaked',
    figures.track(async () => {
      const handler = stack.sendMediaWith(kind, {
        baseUrl: 'https://x.api.infobip.com',
        allowedHosts: ALLOWLIST,
        fetch: recordingFetch,
      });
      await fuzz(MEDIA_KINDS[kind].sendTag, caseOf(asBody(fileFields(kind), 400 * 1024), bearerAuth), async (c) => {
        const mark = stack.lines.length;
        const content = /"content":"([^"]*)"/.exec(c.body.body ?? '')?.[1];
        const reply = await invoke(handler, c);
        if (!c.auth.valid) expect(reply.status).toBe(401);
        checkAnswer(MEDIA_KINDS[kind].sendTag, reply, [200, 400, 401, 413, 415], mark, content);
      });
    }),
  );
});

const SENDER = '44123456789';
const templatesFetch = (async (input: string | URL | Request) => {
  infobipCalls.push({ url: String(input) });
  return new Response(JSON.stringify({ templates: defaultTemplates() }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}) as typeof fetch;
const infobipForTemplates = { baseUrl: 'https://x.api.infobip.com', allowedHosts: ALLOWLIST, sender: SENDER };

it(
  'sendWhatsAppTemplateMessage, its catalogue cached: only 200, 400, 401, 413 or 415; a wrong token is always 401; nothing leaked',
  figures.track(async () => {
    // Cached first, so that the generated templates are also checked against a catalogue.
    const list = stack.listTemplatesWith({ ...infobipForTemplates, fetch: templatesFetch });
    expect(
      (await stack.call(list, { method: 'GET', headers: { authorization: `Bearer ${stack.secrets.ctliveToken}` } })).status,
    ).toBe(200);
    infobipCalls.length = 0;
    const handler = stack.sendTemplateWith({ ...infobipForTemplates, fetch: recordingFetch });
    await fuzz(
      'sendWhatsAppTemplateMessage',
      caseOf(asBody(fc.oneof({ weight: 2, arbitrary: validTemplates }, templateFields), 920 * 1024), bearerAuth),
      async (c) => {
        const mark = stack.lines.length;
        const content = /"content":"([^"]*)"/.exec(c.body.body ?? '')?.[1];
        const reply = await invoke(handler, c);
        if (!c.auth.valid) expect(reply.status).toBe(401);
        checkAnswer('sendWhatsAppTemplateMessage', reply, [200, 400, 401, 413, 415], mark, content);
      },
    );
  }),
);

it(
  'listTemplates: any query and headers, only 200, 400 or 401; a wrong token is always 401; nothing leaked',
  figures.track(async () => {
    const handler = stack.listTemplatesWith({ ...infobipForTemplates, fetch: templatesFetch });
    const queryValue = fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^\+?\d{7,15}$/), fc.webUrl());
    const arb = fc.record({
      query: maybe(
        fc.record(
          {
            sender: queryValue,
            baseUrl: fc.oneof(fc.constant('https://x.api.infobip.com'), fc.constant('https://evil.example.com'), queryValue),
            refresh: fc.oneof(fc.constantFrom('true', 'false'), fc.string({ maxLength: 5 })),
            apiKey: maybe(fc.string({ maxLength: 20 })),
            other: maybe(fc.string({ maxLength: 10 })),
          },
          { requiredKeys: [] },
        ),
      ),
      auth: bearerAuth,
      headers: junkHeaders,
      apiKeyHeader: maybe(fc.string({ minLength: 1, maxLength: 40 })),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ query, auth, headers, apiKeyHeader }) => {
        figures.add('tried:listTemplates');
        const mark = stack.lines.length;
        const authorization = auth.header();
        const all: Record<string, string> = {
          ...headers,
          ...(authorization === undefined ? {} : { authorization }),
          ...(apiKeyHeader === undefined ? {} : { 'infobip-api-key': apiKeyHeader }),
        };
        const defined =
          query && (Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<string, string>);
        const reply = await stack.call(handler, { method: 'GET', headers: all, ...(defined ? { query: defined } : {}) });
        if (!auth.valid) expect(reply.status).toBe(401);
        checkAnswer('listTemplates', reply, [200, 400, 401], mark);
      }),
      { numRuns: RUNS },
    );
  }),
);

describe.each(WEBHOOK_NAMES)('%s', (route) => {
  it(
    'only 200, 400, 401 or 413; wrong credentials always 401; nothing leaked',
    figures.track(async () => {
      const handler = stack.webhooks()[route];
      await fuzz(route, caseOf(asBody(webhookFields, 1024 * 1024 + 1), webhookAuth), async (c) => {
        const mark = stack.lines.length;
        const reply = await invoke(handler, c);
        if (!c.auth.valid) expect(reply.status).toBe(401);
        checkAnswer(route, reply, [200, 400, 401, 413], mark);
      });
    }),
  );
});

describe.each(MEDIA_KIND_NAMES)('fetch %s', (kind) => {
  it(
    'any id, method and headers: only 404, never a crash; nothing leaked',
    figures.track(async () => {
      const handler = stack.fetchMedia[kind];
      const arb = fc.record({
        id: fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.uuid({ version: 4 }),
          fc.uuid(),
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.constant(''),
        ),
        method: fc.constantFrom('GET', 'HEAD'),
        headers: junkHeaders,
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ id, method, headers }) => {
          figures.add(`tried:${MEDIA_KINDS[kind].fetchTag}`);
          const mark = stack.lines.length;
          const reply = await stack.call(handler, { method, headers, pathParameters: id === '' ? undefined : { id } });
          checkAnswer(MEDIA_KINDS[kind].fetchTag, reply, [404], mark);
        }),
        { numRuns: RUNS },
      );
    }),
  );
});
