/**
 * The sandbox's OMNI location and contact-card messages (tools/infobipSandbox/validateRich.ts)
 * over real HTTP: the shapes Infobip documents are taken and reported like a text, anything
 * off them is refused field by field, as Infobip answers a request it cannot take.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { waitFor } from '../support/wait';

const API_KEY = 'test-key-rich-0123456789';
const base = { scenarioKey: 'SCENARIO', destinations: [{ to: { phoneNumber: '39123456789' } }] };
const location = { latitude: 45.4641943, longitude: 9.1896346, locationName: 'Duomo di Milano', address: 'Piazza del Duomo' };
const card = {
  name: {
    firstName: 'Mario',
    lastName: 'Rossi',
    middleName: 'G.',
    nameSuffix: 'Jr.',
    namePrefix: 'Dott.',
    formattedName: 'Mario Rossi',
  },
  phones: [{ phone: '+39 02 1234 5678', type: 'WORK', waId: '390212345678' }],
  emails: [{ email: 'mario@example.com', type: 'HOME' }],
  addresses: [
    { street: 'Via Roma 1', city: 'Milano', state: 'MI', zip: '20121', country: 'Italy', countryCode: 'IT', type: 'WORK' },
  ],
  org: { company: 'Example', department: 'Support', title: 'Lead' },
  urls: [{ url: 'https://example.com', type: 'WORK' }],
  birthday: '1980-05-17',
};

let sandbox: InfobipSandbox;
const logLines: string[] = [];
beforeAll(async () => {
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, followUpDelayMs: 0, log: (line) => logLines.push(line) });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  logLines.length = 0;
});

interface OmniAnswer {
  messages?: unknown[];
  requestError?: { serviceException: { messageId: string; validationErrors?: Record<string, string[]> } };
}

async function omni(body: unknown) {
  const res = await fetch(`${sandbox.url}/omni/1/advanced`, {
    method: 'POST',
    headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as OmniAnswer };
}
const errorsOf = (json: OmniAnswer): Record<string, string[]> => json.requestError?.serviceException.validationErrors ?? {};

describe('Infobip sandbox: locations and contact cards', () => {
  it.each([
    ['a location with name and address', location],
    ['a location of coordinates only, at the edges of the map', { latitude: -90, longitude: -180 }],
    ['a location with a name of 1000 characters', { ...location, locationName: 'n'.repeat(1000) }],
    ['a contact card with every documented field', { contacts: [card] }],
    ['a contact card with a name alone', { contacts: [{ name: { firstName: 'A', formattedName: 'A' } }] }],
    ['two contact cards', { contacts: [card, { name: { firstName: 'A', formattedName: 'A' }, phones: [{ waId: '391' }] }] }],
  ])('takes %s and answers as for a text', async (_label, whatsApp) => {
    const res = await omni({ ...base, whatsApp });

    expect(res.status).toBe(200);
    expect(res.json.messages).toEqual([
      expect.objectContaining({ status: expect.objectContaining({ name: 'PENDING_ENROUTE' }) }),
    ]);
    expect(sandbox.accepted).toHaveLength(1);
  });

  it.each<[string, unknown, string]>([
    ['a latitude above 90', { ...location, latitude: 90.5 }, 'whatsApp.latitude'],
    ['a longitude below -180', { ...location, longitude: -181 }, 'whatsApp.longitude'],
    ['a latitude as a string', { ...location, latitude: '45.46' }, 'whatsApp.latitude'],
    ['a location without longitude', { latitude: 45, locationName: 'x' }, 'whatsApp.longitude'],
    ['a name without coordinates', { locationName: 'Duomo' }, 'whatsApp.latitude'],
    ['an address of 1001 characters', { ...location, address: 'a'.repeat(1001) }, 'whatsApp.address'],
    ['a location with text', { ...location, text: 'here' }, 'whatsApp'],
    ['a location with contacts', { ...location, contacts: [card] }, 'whatsApp'],
    ['contacts with an imageUrl', { contacts: [card], imageUrl: 'https://h/i.png' }, 'whatsApp'],
    ['empty contacts', { contacts: [] }, 'whatsApp.contacts'],
    ['contacts as an object', { contacts: card }, 'whatsApp.contacts'],
    ['a card without a name', { contacts: [{ phones: card.phones }] }, 'whatsApp.contacts[0].name'],
    ['a name without formattedName', { contacts: [{ name: { firstName: 'A' } }] }, 'whatsApp.contacts[0].name.formattedName'],
    [
      'a blank firstName',
      { contacts: [{ name: { firstName: ' ', formattedName: 'A' } }] },
      'whatsApp.contacts[0].name.firstName',
    ],
    [
      'a phone type MOBILE',
      { contacts: [{ ...card, phones: [{ phone: '1', type: 'MOBILE' }] }] },
      'whatsApp.contacts[0].phones[0].type',
    ],
    [
      'an email type CELL',
      { contacts: [{ ...card, emails: [{ email: 'a@b.c', type: 'CELL' }] }] },
      'whatsApp.contacts[0].emails[0].type',
    ],
    ['a numeric zip', { contacts: [{ ...card, addresses: [{ zip: 20121 }] }] }, 'whatsApp.contacts[0].addresses[0].zip'],
    ['a birthday as 17/05/1980', { contacts: [{ ...card, birthday: '17/05/1980' }] }, 'whatsApp.contacts[0].birthday'],
    ['an unknown field in a card', { contacts: [{ ...card, nickname: 'M' }] }, 'whatsApp.contacts[0].nickname'],
    ['an unknown field in an org', { contacts: [{ ...card, org: { company: 'E', ceo: 'X' } }] }, 'whatsApp.contacts[0].org.ceo'],
    ['an unknown whatsApp field next to a location', { ...location, placeId: 'x' }, 'whatsApp.placeId'],
  ])('refuses %s with 400 and its field, and takes nothing', async (_label, whatsApp, field) => {
    sandbox.expectSchemaRefusals();

    const res = await omni({ ...base, whatsApp });

    expect(res.status).toBe(400);
    expect(res.json.requestError?.serviceException.messageId).toBe('BAD_REQUEST');
    expect(Object.keys(errorsOf(res.json))).toContain(field);
    expect(sandbox.accepted).toHaveLength(0);
  });

  it('reports a location and a contact card DELIVERED to notifyUrl like a text, and fetches nothing', async () => {
    const posted: unknown[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/onDeliveryReport`;
    try {
      await omni({ ...base, destinations: [{ to: { phoneNumber: '391' }, messageId: 'loc-1' }], whatsApp: location, notifyUrl });
      await omni({
        ...base,
        destinations: [{ to: { phoneNumber: '391' }, messageId: 'card-1' }],
        whatsApp: { contacts: [card] },
        notifyUrl,
      });

      // Reports due together go out in one batch, as Infobip pushes them: wait for both results.
      const resultsOf = () =>
        sandbox.deliveryReports.flatMap(
          (r) => (r.body as { results: { messageId: string; status: { groupName: string } }[] }).results,
        );
      await waitFor(() => resultsOf().length >= 2, 5_000, 'two delivery results');
      const reports = sandbox.deliveryReports;
      const results = reports.flatMap(
        (r) => (r.body as { results: { messageId: string; status: { groupName: string } }[] }).results,
      );
      expect(results.map((r) => [r.messageId, r.status.groupName]).sort()).toEqual([
        ['card-1', 'DELIVERED'],
        ['loc-1', 'DELIVERED'],
      ]);
      expect(posted).toHaveLength(reports.length);
      expect(sandbox.mediaFetches).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
