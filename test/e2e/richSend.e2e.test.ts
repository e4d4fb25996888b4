import { reportTokenFor } from '../../lib/platform/reportToken';
import { waitFor } from '../support/wait';
import { expectMatchesOpenApi } from '../support/openapi';
import { startLocalStack, type LocalStack } from '../../tools/stack';

/**
 * The location and contact-card sends through the whole local stack (serverless-offline,
 * the sandbox, real Redis), as ctlive sees them: the sandbox receives the exact OMNI body
 * Infobip documents, the terminal shows the two runbook lines under each tag, the answers
 * are the ones docs/openapi.json describes.
 */
describe('sendWhatsAppLocationMessage and sendWhatsAppContactMessage through the local stack', () => {
  let stack: LocalStack;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: (line) => output.push(line) });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  }, 30_000);
  beforeEach(() => {
    stack.sandbox.reset();
    output.length = 0;
  });

  const post = (route: string, body: unknown) =>
    fetch(`${stack.apiUrl}/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const card = {
    name: { firstName: 'Mario', lastName: 'Rossi', formattedName: 'Mario Rossi' },
    phones: [{ phone: '+39 02 1234 5678', type: 'WORK', waId: '390212345678' }],
    emails: [{ email: 'mario.rossi@example.com', type: 'WORK' }],
    org: { company: 'Example S.p.A.' },
    birthday: '1980-05-17',
  };

  it.each([
    [
      'sendWhatsAppLocationMessage',
      { to: '39123456789', latitude: 45.4641943, longitude: 9.1896346, name: 'Duomo di Milano', address: 'Piazza del Duomo' },
      { latitude: 45.4641943, longitude: 9.1896346, locationName: 'Duomo di Milano', address: 'Piazza del Duomo' },
    ],
    ['sendWhatsAppContactMessage', { to: '39123456789', contacts: [card] }, { contacts: [card] }],
  ])('%s: the sandbox takes the OMNI body, and the two runbook lines carry the tag', async (route, body, whatsApp) => {
    const res = await post(route, body);

    expect(res.status).toBe(200);
    const answer = (await res.json()) as { messageId: string };
    expectMatchesOpenApi('POST', res.url, res.status, answer);
    expect(stack.sandbox.accepted.map((m) => m.messageId)).toEqual([answer.messageId]);
    const sent = stack.sandbox.received[0]?.body as { whatsApp: unknown; destinations: unknown; notifyUrl: string };
    expect(sent.whatsApp).toEqual(whatsApp);
    expect(sent.destinations).toEqual([{ to: { phoneNumber: '39123456789' }, messageId: answer.messageId }]);
    const token = reportTokenFor(stack.env.INFOBIP_REPORT_TOKEN as string, answer.messageId);
    expect(sent.notifyUrl).toBe(`${stack.apiUrl}/onDeliveryReport?token=${token}`);

    const omniUrl = `${stack.sandbox.url}/omni/1/advanced`;
    await waitFor(() => output.some((line) => line.startsWith(`[IMCHANNEL] [${route}] response of [${omniUrl}]`)));
    expect(output.filter((line) => line.startsWith(`[IMCHANNEL] [${route}] request to [${omniUrl}] Data [`))).toHaveLength(1);
    expect(output.join('\n')).not.toContain(stack.env.INFOBIP_API_KEY);
    expect(output.join('\n')).not.toContain(stack.env.INFOBIP_REPORT_TOKEN);
  });

  it.each([
    ['sendWhatsAppLocationMessage', { to: '39123456789', latitude: 91, longitude: 0 }, 'latitude'],
    ['sendWhatsAppContactMessage', { to: '39123456789', contacts: [{ ...card, birthday: '17/05/1980' }] }, 'contacts.0.birthday'],
  ])(
    '%s: bad input is a 400 naming the field, as docs/openapi.json describes, and nothing is sent',
    async (route, body, path) => {
      const res = await post(route, body);

      expect(res.status).toBe(400);
      const answer = (await res.json()) as { error: { code: string; details: { path: string }[] } };
      expectMatchesOpenApi('POST', res.url, res.status, answer);
      expect(answer.error.code).toBe('VALIDATION_FAILED');
      expect(answer.error.details.map((d) => d.path)).toEqual([path]);
      expect(stack.sandbox.received).toHaveLength(0);
    },
  );

  it.each(['sendWhatsAppLocationMessage', 'sendWhatsAppContactMessage'])('%s: a GET gets 405 with Allow: POST', async (route) => {
    const res = await fetch(`${stack.apiUrl}/${route}`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
