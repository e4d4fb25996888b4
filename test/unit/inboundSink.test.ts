import { makeCtliveSinkHandler } from '../../lib/inbound/sink';
import { createLogger } from '../../lib/platform/log';
import { captureLines } from '../support/lambda';

function setup() {
  const { lines, sink } = captureLines();
  const handler = makeCtliveSinkHandler(createLogger('ctliveSink', { format: 'text', level: 'INFO', sink }));
  return { lines, handler };
}

describe('the local ctlive sink Lambda', () => {
  it('prints each ctlive event on one line, tagged ctliveSink', async () => {
    const { lines, handler } = setup();
    const event = {
      event: 'message',
      channel: 'WHATSAPP',
      messageId: 'wamid.1',
      text: 'Oh\nwell',
      raw: { messageId: 'wamid.1' },
    };

    await handler(event);

    expect(lines).toEqual([`[IMCHANNEL] [ctliveSink] ctlive received ${JSON.stringify(event)}`]);
  });

  it.each([
    ['not an object', 'hello'],
    ['an unknown event kind', { event: 'typing', messageId: 'x', raw: {} }],
    ['no messageId', { event: 'seen', raw: {} }],
    ['no raw', { event: 'seen', messageId: 'x' }],
  ])('says at ERROR when it receives %s', async (_label, event) => {
    const { lines, handler } = setup();

    await handler(event);

    expect(lines).toEqual([expect.stringMatching(/^\[IMCHANNEL\] \[ctliveSink\] Not a ctlive event: .+: .+/)]);
  });
});
