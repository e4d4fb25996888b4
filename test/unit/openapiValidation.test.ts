/**
 * The checks the end-to-end tests run on real responses (test/support/openapi.ts) can
 * fail: bodies of the wrong shape, undescribed statuses and malformed events are rejected.
 */
import { ctliveEventProblems, expectCtliveEvent, expectMatchesOpenApi, openApiProblems } from '../support/openapi';

const status = {
  groupId: 1,
  groupName: 'PENDING',
  id: 26,
  name: 'PENDING_ENROUTE',
  description: 'Message sent to next instance',
};
const sent = { messageId: 'abc', to: '39123456789', status, transport: 'omni' };

describe('the OpenAPI response check', () => {
  it('accepts the documented bodies', () => {
    expectMatchesOpenApi('POST', '/imchannel/sendMessage', 200, sent);
    expectMatchesOpenApi('POST', 'http://127.0.0.1:3000/imchannel/sendWhatsAppImageMessage', 200, {
      ...sent,
      mediaId: 'd2f3c0f4-1b7e-4d53-9a6b-0a8f1c9f6f11',
      mediaUrl: 'http://127.0.0.1:3000/imchannel/getImageMessage/d2f3c0f4-1b7e-4d53-9a6b-0a8f1c9f6f11',
    });
    expectMatchesOpenApi('POST', '/imchannel/sendMessage', 400, {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'Request body failed validation',
        retryable: false,
        details: [{ path: 'to', message: 'x' }],
      },
    });
    expectMatchesOpenApi('POST', '/imchannel/sendWhatsAppAudioMessage', 415, {
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'no', retryable: false, allowed: ['audio/ogg'] },
    });
    expectMatchesOpenApi('HEAD', '/imchannel/getVideoMessage/d2f3c0f4-1b7e-4d53-9a6b-0a8f1c9f6f11', 200, undefined);
  });

  it.each([
    ['a 200 without status', 'POST', '/imchannel/sendMessage', 200, { messageId: 'abc', to: '39123456789' }],
    ['a 200 with a field nobody described', 'POST', '/imchannel/sendMessage', 200, { ...sent, extra: 1 }],
    ['a 401 with another code', 'POST', '/imchannel/sendMessage', 401, { error: { code: 'FORBIDDEN', message: 'no' } }],
    ['an error not under `error`', 'POST', '/imchannel/sendMessage', 502, { code: 'INFOBIP_ERROR', message: 'no' }],
    [
      'a 415 allowing an image type on the audio route',
      'POST',
      '/imchannel/sendWhatsAppAudioMessage',
      415,
      {
        error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'no', allowed: ['image/png'] },
      },
    ],
    ['a status sendMessage never answers', 'POST', '/imchannel/sendMessage', 415, { error: { code: 'X', message: 'y' } }],
    ['an undescribed route', 'POST', '/imchannel/nope', 200, {}],
    ['a method the route does not have', 'DELETE', '/imchannel/sendMessage', 200, sent],
    ['a body on HEAD', 'HEAD', '/imchannel/getImageMessage/x', 200, 'bytes'],
  ])('rejects %s', (_label, method, path, code, body) => {
    expect(openApiProblems(method, path, code, body)).not.toEqual([]);
    expect(() => expectMatchesOpenApi(method, path, code, body)).toThrow(/does not match docs\/openapi.json/);
  });
});

describe('the ctlive event check', () => {
  it('accepts each kind', () => {
    expectCtliveEvent({ event: 'message', channel: 'WHATSAPP', messageId: 'm', text: 'hi', raw: { messageId: 'm' } });
    expectCtliveEvent({ event: 'delivery', messageId: 'm', status: { name: 'DELIVERED_TO_HANDSET' }, raw: {} });
    expectCtliveEvent({ event: 'seen', messageId: 'm', seenAt: '2026-01-01T00:00:00.000+0000', raw: {} });
    expectCtliveEvent({ event: 'identityChanged', channel: 'WHATSAPP', messageId: '39:h', identityHash: 'h', raw: {} });
  });

  it.each([
    ['an unknown kind', { event: 'typing', messageId: 'm', raw: {} }],
    ['no raw', { event: 'seen', messageId: 'm' }],
    ['an empty messageId', { event: 'seen', messageId: '', raw: {} }],
    ['a message without its channel', { event: 'message', messageId: 'm', raw: {} }],
    ['a field of another kind', { event: 'seen', messageId: 'm', doneAt: 'x', raw: {} }],
    ['an identity change on another channel', { event: 'identityChanged', channel: 'VIBER', messageId: 'm', raw: {} }],
    ['a single part in parts', { event: 'message', channel: 'WHATSAPP', messageId: 'm', parts: [{ text: 'a' }], raw: {} }],
    ['a status that is not an object', { event: 'delivery', messageId: 'm', status: 'DELIVERED', raw: {} }],
  ])('rejects %s', (_label, event) => {
    expect(ctliveEventProblems(event)).not.toEqual([]);
    expect(() => expectCtliveEvent(event)).toThrow(/does not match docs\/ctlive-events.schema.json/);
  });
});
