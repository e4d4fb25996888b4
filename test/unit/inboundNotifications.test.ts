import { toIdentityChangedEvent, webhookEvents } from '../../lib/inbound/notifications';
import { toMessageEvent } from '../../lib/inbound/events';
import { identityChangeSchema } from '../../lib/inbound/schemas';
import { ValidationError } from '../../lib/platform/errors';
import { setupWebhooks as setup } from '../support/inboundFakes';

/**
 * Bodies without `results` that Infobip documents (api-evangelist/infobip,
 * openapi/infobip-whatsapp-openapi.json, webhooks): the identity change
 * (whatsappSystemReportsSystemEventResponse) becomes its own event, the others are
 * acknowledged; an undocumented body is still a 400.
 */
const identityChange = (hash = 'eU2Fdi4EMUw=') => ({
  from: '41793026731',
  content: {
    description: 'Security code changed.',
    hash,
    type: 'user_identity_changed',
    userNumber: '385919998888',
    userId: 'HR.123123123',
  },
  createdAt: '2022-01-18T23:23:09.206+0000',
});

describe('the identity-change notification', () => {
  it('becomes an identityChanged event: customer, business number, new identity, time, raw', () => {
    const body = identityChange();

    expect(webhookEvents(body, toMessageEvent)).toEqual({
      events: [
        {
          event: 'identityChanged',
          channel: 'WHATSAPP',
          messageId: '385919998888:eU2Fdi4EMUw=',
          from: '385919998888',
          to: '41793026731',
          identity: { phoneNumber: '385919998888', userId: 'HR.123123123' },
          identityHash: 'eU2Fdi4EMUw=',
          description: 'Security code changed.',
          changedAt: '2022-01-18T23:23:09.206+0000',
          raw: body,
        },
      ],
      notForwarded: [],
    });
  });

  it('has an id that a retry repeats and a new change does not, with or without a hash', () => {
    const idOf = (body: unknown) => toIdentityChangedEvent(identityChangeSchema.parse(body), {}).messageId;
    const { hash: _hash, ...noHash } = identityChange().content;
    const withoutHash = { ...identityChange(), content: noHash };

    expect(idOf(identityChange())).toBe(idOf(structuredClone(identityChange())));
    expect(idOf(identityChange('other='))).not.toBe(idOf(identityChange()));
    expect(idOf(withoutHash)).toBe(idOf(structuredClone(withoutHash)));
    expect(idOf({ ...withoutHash, createdAt: '2023-01-01T00:00:00.000+0000' })).not.toBe(idOf(withoutHash));
  });

  it('a customer known only by BSUID is keyed on it', () => {
    const { userNumber: _n, ...content } = identityChange().content;
    const event = toIdentityChangedEvent(identityChangeSchema.parse({ ...identityChange(), content }), {});

    expect(event.messageId).toBe('HR.123123123:eU2Fdi4EMUw=');
    expect(event).not.toHaveProperty('from');
    expect(event.identity).toEqual({ userId: 'HR.123123123' });
  });

  it.each(['message', 'report'] as const)('on the %s webhook: 200, forwarded once, a retry is a duplicate', async (hook) => {
    const t = setup();

    const first = await t[hook](identityChange());
    const retry = await t[hook](identityChange());

    expect(first).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0 } });
    expect(retry).toEqual({ status: 200, body: { forwarded: 0, duplicates: 1 } });
    expect(t.forwarder.sent).toEqual([expect.objectContaining({ event: 'identityChanged', to: '41793026731' })]);
    expect(t.dedupe.calls[0]).toBe('claim identityChanged 385919998888:eU2Fdi4EMUw=');
  });
});

describe('the other WhatsApp notifications: acknowledged, not forwarded, never retried', () => {
  it.each([
    [
      'payment notification',
      { from: '41793026731', content: { from: '447860064555', type: 'payment', paymentId: 'p' }, createdAt: 't' },
    ],
    [
      'marketing-preference notification',
      { from: '41793026731', content: { from: '385919998888', notificationMessagesStatus: 'stop' }, createdAt: 't' },
    ],
    [
      'template update event',
      { messageTemplateId: '111', change: { type: 'TEMPLATE_STATUS_UPDATE', newStatus: 'APPROVED' }, entityId: 1 },
    ],
  ])('a %s gets 200 and an INFO line', async (what, body) => {
    const t = setup();

    const res = await t.message(body);

    expect(res).toEqual({ status: 200, body: { forwarded: 0, duplicates: 0, ignored: 1 } });
    expect(t.forwarder.sent).toEqual([]);
    expect(t.lines).toContain(`[IMCHANNEL] [onMessage] WhatsApp ${what}: acknowledged, not forwarded to ctlive`);
  });
});

describe('a body Infobip does not document is still a 400 that says what is expected', () => {
  it.each([
    ['a system event of another type', { from: '4179', content: { type: 'user_changed_number' }, createdAt: 't' }],
    ['a bare object', { hello: 'world' }],
    ['content that is not an object', { from: '4179', content: 'user_identity_changed' }],
  ])('%s', async (_label, body) => {
    expect(() => webhookEvents(body, toMessageEvent)).toThrow(ValidationError);
    expect(() => webhookEvents(body, toMessageEvent)).toThrow(/results must be an array.*user_identity_changed/);

    const t = setup();
    const res = await t.message(body);

    expect(res.status).toBe(400);
    expect(t.forwarder.sent).toEqual([]);
  });
});
