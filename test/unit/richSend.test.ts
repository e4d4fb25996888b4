/**
 * The location and contact-card sends with a fake fetch for Infobip: the exact
 * OMNI body each one makes, every field's check with a message that says how to fix it, the
 * runbook's two lines under each tag, and the send conventions they share with sendMessage
 * (idempotency, Infobip's refusals).
 */
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { makeSendLocationHandler, LOCATION_TAG } from '../../lib/messages/location';
import { makeSendContactHandler, CONTACT_TAG } from '../../lib/messages/contact';
import type { SendMessageDeps } from '../../lib/messages/text';
import { memoryIdempotency } from '../support/idempotencyFake';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';
import omniError from '../fixtures/infobip/infobip-omni-error.response.json';

const TOKEN = 'ctlive-token-0123456789';
const API_KEY = 'infobip-key-abcdef0123456789';
const BASE_URL = 'https://xxxx.api.infobip.com';
const SCENARIO = 'AAAAAAAAAAAABC63903B684B3E46C5DD869';

type Make = (deps: SendMessageDeps) => ReturnType<typeof makeSendLocationHandler>;

function setup(tag: string, make: Make, answer: () => Response = () => new Response(JSON.stringify(omniSendResponse))) {
  const calls: { url: string; body: unknown; headers: Record<string, string> }[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, body: JSON.parse(String(init.body)), headers: init.headers as Record<string, string> });
    return answer();
  }) as unknown as typeof fetch;
  const { lines, sink } = captureLines();
  const handler = make({
    idempotency: memoryIdempotency(),
    log: createLogger(tag, { format: 'text', level: 'INFO', sink, secrets: [TOKEN] }),
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: {
      defaults: { baseUrl: BASE_URL, apiKey: API_KEY, scenarioKey: SCENARIO },
      allowedHosts: ['*.api.infobip.com'],
      timeoutMs: 200,
    },
    ctliveApiToken: TOKEN,
  });
  const send = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => {
    const res = await handler(apiEvent({ body, headers }), lambdaContext(tag));
    return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(String(res.body)) };
  };
  return { calls, lines, send };
}

const omniOf = (whatsApp: unknown, extra: Record<string, unknown> = {}) => ({
  scenarioKey: SCENARIO,
  destinations: [{ to: { phoneNumber: '39123456789' }, ...extra }],
  whatsApp,
});

const details = (body: { error: { details?: { path: string; message: string }[] } }) =>
  Object.fromEntries((body.error.details ?? []).map((d) => [d.path, d.message]));

describe('sendWhatsAppLocationMessage', () => {
  const location = {
    to: '+39123456789',
    latitude: 45.4641943,
    longitude: 9.1896346,
    name: 'Duomo di Milano',
    address: 'Piazza del Duomo, 20122 Milano MI, Italy',
  };

  it('sends OMNI latitude, longitude, locationName and address, and prints the two runbook lines with its tag', async () => {
    const { calls, lines, send } = setup(LOCATION_TAG, makeSendLocationHandler);

    const res = await send(location);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      messageId: omniSendResponse.messages[0]?.messageId,
      to: '39123456789',
      status: omniSendResponse.messages[0]?.status,
      transport: 'omni',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(`${BASE_URL}/omni/1/advanced`);
    expect(calls[0]?.headers.authorization).toBe(`App ${API_KEY}`);
    const omni = omniOf({
      latitude: 45.4641943,
      longitude: 9.1896346,
      locationName: 'Duomo di Milano',
      address: location.address,
    });
    expect(calls[0]?.body).toEqual(omni);
    expect(lines).toEqual([
      `[IMCHANNEL] [sendWhatsAppLocationMessage] request to [${BASE_URL}/omni/1/advanced] Data [${JSON.stringify(omni)}] with api key header`,
      `[IMCHANNEL] [sendWhatsAppLocationMessage] response of [${BASE_URL}/omni/1/advanced]: ${JSON.stringify(omniSendResponse)}`,
    ]);
  });

  it('sends the coordinates alone when there is no name or address, and the edges of the map are valid', async () => {
    const { calls, send } = setup(LOCATION_TAG, makeSendLocationHandler);

    expect((await send({ to: '39123456789', latitude: -90, longitude: 180 })).status).toBe(200);
    expect(
      (await send({ to: '39123456789', latitude: 90, longitude: -180, messageId: 'm-1', callbackData: 'ticket-1' })).status,
    ).toBe(200);

    expect(calls[0]?.body).toEqual(omniOf({ latitude: -90, longitude: 180 }));
    expect(calls[1]?.body).toEqual({
      ...omniOf({ latitude: 90, longitude: -180 }, { messageId: 'm-1' }),
      callbackData: 'ticket-1',
    });
  });

  it.each([
    ['a latitude above 90', { latitude: 90.0001 }, 'latitude', 'must be between -90 and 90'],
    ['a latitude below -90', { latitude: -91 }, 'latitude', 'must be between -90 and 90'],
    ['a longitude above 180', { longitude: 180.5 }, 'longitude', 'must be between -180 and 180'],
    [
      'a longitude as a string',
      { longitude: '9.18' },
      'longitude',
      'must be a number (the longitude in decimal degrees, not a string)',
    ],
    ['no latitude', { latitude: undefined }, 'latitude', 'must be a number (the latitude in decimal degrees, not a string)'],
    ['a name of 1001 characters', { name: 'x'.repeat(1001) }, 'name', 'must be at most 1000 characters'],
    ['an empty address', { address: '' }, 'address', 'must not be empty: leave the field out instead'],
    ['a number as the name', { name: 7 }, 'name', expect.stringContaining('expected string')],
  ])('refuses %s with a 400 naming the field, and sends nothing', async (_label, change, path, message) => {
    const { calls, send } = setup(LOCATION_TAG, makeSendLocationHandler);

    const res = await send({ ...location, ...change });

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', retryable: false });
    expect(details(res.body)).toEqual({ [path]: message });
    expect(calls).toHaveLength(0);
  });

  it('accepts a name and an address of exactly 1000 characters', async () => {
    const { calls, send } = setup(LOCATION_TAG, makeSendLocationHandler);
    const res = await send({ ...location, name: 'n'.repeat(1000), address: 'a'.repeat(1000) });
    expect(res.status).toBe(200);
    expect(calls[0]?.body).toMatchObject({ whatsApp: { locationName: 'n'.repeat(1000), address: 'a'.repeat(1000) } });
  });

  it('answers 401 without the token, and replays a retry under the same Idempotency-Key without a second call', async () => {
    const { calls, send } = setup(LOCATION_TAG, makeSendLocationHandler);

    expect((await send(location, {})).status).toBe(401);
    const headers = { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'loc-retry-1' };
    const first = await send(location, headers);
    const again = await send(location, headers);

    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, body: first.body, headers: { 'idempotent-replayed': 'true' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toMatchObject({ destinations: [{ messageId: expect.stringMatching(/^imc-[0-9a-f]{32}$/) }] });
  });

  it("maps Infobip's refusal to 502 with Infobip's text, as sendMessage does", async () => {
    const { send, lines } = setup(
      LOCATION_TAG,
      makeSendLocationHandler,
      () => new Response(JSON.stringify(omniError), { status: 400 }),
    );

    const res = await send(location);

    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'INFOBIP_ERROR', upstreamStatus: 400, retryable: false });
    expect(lines.at(-1)).toMatch(/^\[IMCHANNEL\] \[sendWhatsAppLocationMessage\] Request failed with 502 INFOBIP_ERROR/);
  });
});

describe('sendWhatsAppContactMessage', () => {
  const card = {
    name: { firstName: 'Mario', lastName: 'Rossi', formattedName: 'Mario Rossi', namePrefix: 'Dott.' },
    phones: [
      { phone: '+39 02 1234 5678', type: 'WORK' },
      { phone: '+39 333 123 4567', type: 'CELL', waId: '393331234567' },
      { waId: '393339876543' },
    ],
    emails: [{ email: 'mario.rossi@example.com', type: 'WORK' }, { email: 'mario@example.org' }],
    addresses: [{ street: 'Via Roma 1', city: 'Milano', zip: '20121', country: 'Italy', countryCode: 'IT', type: 'HOME' }],
    org: { company: 'Example S.p.A.', department: 'Support', title: 'Team lead' },
    urls: [{ url: 'https://www.example.com', type: 'WORK' }],
    birthday: '1980-02-29',
  };

  it('sends the contact cards as OMNI contacts[], field for field, and prints the two runbook lines with its tag', async () => {
    const { calls, lines, send } = setup(CONTACT_TAG, makeSendContactHandler);
    const second = { name: { firstName: 'Anna', formattedName: 'Anna' } };

    const res = await send({ to: '39123456789', contacts: [card, second], messageId: 'c-1' });

    expect(res.status).toBe(200);
    const omni = omniOf({ contacts: [card, second] }, { messageId: 'c-1' });
    expect(calls[0]?.body).toEqual(omni);
    expect(lines).toEqual([
      `[IMCHANNEL] [sendWhatsAppContactMessage] request to [${BASE_URL}/omni/1/advanced] Data [${JSON.stringify(calls[0]?.body)}] with api key header`,
      `[IMCHANNEL] [sendWhatsAppContactMessage] response of [${BASE_URL}/omni/1/advanced]: ${JSON.stringify(omniSendResponse)}`,
    ]);
  });

  const withCard = (change: Record<string, unknown>) => ({ to: '39123456789', contacts: [{ ...card, ...change }] });

  it.each([
    ['no contacts', { to: '39123456789', contacts: [] }, 'contacts', 'must hold at least one contact card'],
    [
      'contacts as an object',
      { to: '39123456789', contacts: card },
      'contacts',
      expect.stringContaining('must be an array of contact cards'),
    ],
    [
      'a card without a name',
      withCard({ name: undefined }),
      'contacts.0.name',
      expect.stringContaining('firstName and formattedName'),
    ],
    [
      'a name without formattedName',
      withCard({ name: { firstName: 'Mario' } }),
      'contacts.0.name.formattedName',
      'required, a string: the full name as it should appear',
    ],
    [
      'an empty firstName',
      withCard({ name: { firstName: '', formattedName: 'M' } }),
      'contacts.0.name.firstName',
      'must not be empty: the first name',
    ],
    [
      'a phone type WhatsApp does not know',
      withCard({ phones: [{ phone: '+39 02 1', type: 'MOBILE' }] }),
      'contacts.0.phones.0.type',
      'must be one of CELL, MAIN, IPHONE, HOME, WORK',
    ],
    [
      'a phone of letters',
      withCard({ phones: [{ phone: 'call me' }] }),
      'contacts.0.phones.0.phone',
      expect.stringContaining('must be a phone number'),
    ],
    [
      'a phone entry with neither phone nor waId',
      withCard({ phones: [{ type: 'CELL' }] }),
      'contacts.0.phones.0',
      'a phone entry needs phone or waId',
    ],
    [
      'a waId with a +',
      withCard({ phones: [{ waId: '+393331234567' }] }),
      'contacts.0.phones.0.waId',
      expect.stringContaining('7 to 15 digits'),
    ],
    [
      'an email without @',
      withCard({ emails: [{ email: 'mario.rossi' }] }),
      'contacts.0.emails.0.email',
      'must be an email address like name@example.com',
    ],
    [
      'an email entry without email',
      withCard({ emails: [{ type: 'HOME' }] }),
      'contacts.0.emails.0.email',
      expect.stringContaining('required'),
    ],
    [
      'an email type OTHER',
      withCard({ emails: [{ email: 'a@b.it', type: 'OTHER' }] }),
      'contacts.0.emails.0.type',
      'must be one of HOME, WORK',
    ],
    [
      'a url without a scheme',
      withCard({ urls: [{ url: 'www.example.com' }] }),
      'contacts.0.urls.0.url',
      expect.stringContaining('absolute http(s) URL'),
    ],
    [
      'an empty address',
      withCard({ addresses: [{ type: 'HOME' }] }),
      'contacts.0.addresses.0',
      expect.stringContaining('at least one of street'),
    ],
    ['an empty org', withCard({ org: {} }), 'contacts.0.org', 'org needs at least one of company, department, title'],
    [
      'a birthday in another format',
      withCard({ birthday: '17/05/1980' }),
      'contacts.0.birthday',
      expect.stringContaining('YYYY-MM-DD'),
    ],
    [
      'a birthday that is no date',
      withCard({ birthday: '1981-02-29' }),
      'contacts.0.birthday',
      expect.stringContaining('a real date'),
    ],
    [
      'a birthday in the future',
      withCard({ birthday: '2999-01-01' }),
      'contacts.0.birthday',
      expect.stringContaining('not in the future'),
    ],
    [
      'a name field of 1001 characters',
      withCard({ name: { firstName: 'x'.repeat(1001), formattedName: 'x' } }),
      'contacts.0.name.firstName',
      'must be at most 1000 characters',
    ],
    ['an unknown field in a card', withCard({ phone: '+39 02 1234 5678' }), 'contacts.0', 'Unrecognized key: "phone"'],
    [
      'an unknown field in a name',
      withCard({ name: { firstName: 'M', formattedName: 'M', nickname: 'Super' } }),
      'contacts.0.name',
      'Unrecognized key: "nickname"',
    ],
  ])('refuses %s with a 400 naming the field, and sends nothing', async (_label, body, path, message) => {
    const { calls, send } = setup(CONTACT_TAG, makeSendContactHandler);

    const res = await send(body);

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', retryable: false });
    expect(details(res.body)).toEqual({ [path]: message });
    expect(calls).toHaveLength(0);
  });

  it('lists every bad field of every card at once', async () => {
    const { send } = setup(CONTACT_TAG, makeSendContactHandler);
    const res = await send({
      to: '39123456789',
      contacts: [card, { name: { firstName: 'A', formattedName: 'A' }, emails: [{ email: 'x' }], birthday: 'yesterday' }],
    });
    expect(res.status).toBe(400);
    expect(Object.keys(details(res.body)).sort()).toEqual(['contacts.1.birthday', 'contacts.1.emails.0.email']);
  });

  it('replays a retry under the body messageId without a second Infobip call, and refuses the key with another body', async () => {
    const { calls, send } = setup(CONTACT_TAG, makeSendContactHandler);
    const body = { to: '39123456789', contacts: [card], messageId: 'ctlive-contact-1' };

    const first = await send(body);
    const again = await send(body);
    const other = await send({ ...body, contacts: [{ name: { firstName: 'B', formattedName: 'B' } }] });

    expect(first.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(calls).toHaveLength(1);
  });
});
