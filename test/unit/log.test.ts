import { compactJson, createLogger, runbook } from '../../lib/platform/log';
import { captureLines } from '../support/lambda';

const SECRETS = {
  ctliveToken: 'ctlive-Token-5f2b9c0e7d',
  upstashToken: 'AX1yASQgNTQ2ZmM4ZmQtupstash',
  webhookPassword: 'p@ss"word\\with-quotes',
  requestApiKey: '6b1e2f3a4c5d6e7f8091a2b3c4d5e6f7-0a1b2c3d-4e5f',
};

function logger(format: 'json' | 'text') {
  const { lines, sink } = captureLines();
  const log = createLogger('sendMessage', {
    format,
    level: 'DEBUG',
    sink,
    secrets: [SECRETS.ctliveToken, SECRETS.upstashToken, SECRETS.webhookPassword],
  });
  log.addSecret(SECRETS.requestApiKey);
  return { log, lines };
}

describe('tagged logger', () => {
  it('writes the runbook lines word for word in text format', () => {
    const { log, lines } = logger('text');
    const url = 'https://xxxx.api.infobip.com/omni/1/advanced';
    const payload = { scenarioKey: 'S', destinations: [{ to: { phoneNumber: '39123456789' } }], whatsApp: { text: 'Hi' } };

    log.info(runbook.infobipRequest(url, payload));
    log.info(runbook.infobipResponse(url, '{ "messages": [] }'));
    log.info(runbook.fetchReceived('bb8b8717-5b71-45a7-be04-af9cb746661b'));
    log.info(runbook.redisGet('IMChannel:MultimediaMessage:bb8b8717-5b71-45a7-be04-af9cb746661b'));
    log.info(runbook.setExpire('IMChannel:MultimediaMessage:bb8b8717-5b71-45a7-be04-af9cb746661b', 60));

    expect(lines).toEqual([
      `[IMCHANNEL] [sendMessage] request to [${url}] Data [{"scenarioKey":"S","destinations":[{"to":{"phoneNumber":"39123456789"}}],"whatsApp":{"text":"Hi"}}] with api key header`,
      `[IMCHANNEL] [sendMessage] response of [${url}]: {"messages":[]}`,
      '[IMCHANNEL] [sendMessage] Request received for ID [bb8b8717-5b71-45a7-be04-af9cb746661b]',
      '[IMCHANNEL] [sendMessage] [REDIS] Get message with key [IMChannel:MultimediaMessage:bb8b8717-5b71-45a7-be04-af9cb746661b]',
      '[IMCHANNEL] [sendMessage] Set expire for key [IMChannel:MultimediaMessage:bb8b8717-5b71-45a7-be04-af9cb746661b] 60',
    ]);
  });

  it('writes one JSON object per line with message, tag, level and messageId in json format', () => {
    const { log, lines } = logger('json');
    log.error('Forward failed', { messageId: 'm-1', reason: 'HTTP 503' });

    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] as string);
    expect(entry).toMatchObject({
      level: 'ERROR',
      message: '[IMCHANNEL] [sendMessage] Forward failed (messageId [m-1]): HTTP 503',
      tag: 'sendMessage',
      messageId: 'm-1',
      service: 'imchannel',
    });
  });

  it('keeps ordinary words after App, Bearer or Basic in a customer message', () => {
    const { log, lines } = logger('text');
    log.info(runbook.messageReceived(JSON.stringify({ text: 'Download the App today, Basic plan, Bearer of news' })));
    expect(lines[0]).toContain('Download the App today, Basic plan, Bearer of news');
  });

  it('compacts JSON bodies and keeps anything else on one line', () => {
    expect(compactJson('{\n  "a": 1\n}')).toBe('{"a":1}');
    expect(compactJson('not json\nsecond line')).toBe('not json\\nsecond line');
  });

  it('drops lines under the configured level', () => {
    const { lines, sink } = captureLines();
    const log = createLogger('onMessage', { format: 'text', level: 'ERROR', sink });
    log.info('quiet');
    log.error('loud');
    expect(lines).toEqual(['[IMCHANNEL] [onMessage] loud']);
  });

  describe.each(['json', 'text'] as const)('in %s format, no secret survives any path', (format) => {
    const secretValues = Object.values(SECRETS);
    const inText = `tokens: ${secretValues.join(' | ')}`;
    const paths: [string, (log: ReturnType<typeof logger>['log']) => void][] = [
      ['info message', (log) => log.info(inText)],
      ['debug message', (log) => log.debug(inText)],
      ['warn reason', (log) => log.warn('Something', { reason: inText })],
      ['error reason', (log) => log.error('Failed', { reason: inText, messageId: SECRETS.requestApiKey })],
      [
        'nested attributes',
        (log) => log.error('Failed', { details: { deep: [{ key: SECRETS.upstashToken, other: SECRETS.webhookPassword }] } }),
      ],
      [
        'runbook request payload',
        (log) => log.info(runbook.infobipRequest('https://h/omni/1/advanced', { whatsApp: { text: inText } })),
      ],
      ['runbook response body', (log) => log.info(runbook.infobipResponse('https://h', JSON.stringify({ echo: secretValues })))],
      ['webhook body', (log) => log.info(runbook.messageReceived(JSON.stringify({ results: [{ message: { text: inText } }] })))],
      [
        'authorization headers of any scheme',
        (log) => log.info('App some-unknown-key-123 Bearer other-unknown-token-42 Basic aW5mb2JpcDpwYXNzMTIz'),
      ],
    ];

    it.each(paths)('%s', (name, write) => {
      const { log, lines } = logger(format);
      write(log);
      expect(lines).toHaveLength(1);
      const line = lines[0] as string;
      for (const secret of secretValues) expect(line).not.toContain(secret);
      expect(line).not.toContain(JSON.stringify(SECRETS.webhookPassword).slice(1, -1));
      expect(line).not.toMatch(/some-unknown-key-123|other-unknown-token-42|aW5mb2JpcDpwYXNzMTIz/);
      // Text lines carry the message alone, so nested attributes never reach them at all.
      if (!(format === 'text' && name === 'nested attributes')) expect(line).toContain('***');
    });
  });
});
