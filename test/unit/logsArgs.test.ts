import { DEPLOYED_NAMES } from '../../lib/functions';
import { parseLogsArgs, parseSince, TAGS, UsageError } from '../../tools/logs/args';
import { formatLine, inTimeOrder, messageOf } from '../../tools/logs/format';

const now = Date.parse('2026-11-24T12:00:00.000Z');

describe('npm run logs arguments', () => {
  it('defaults to the dev stage, the last hour, every function', () => {
    expect(parseLogsArgs([], now)).toMatchObject({
      stage: 'dev',
      startTime: now - 3_600_000,
      tag: undefined,
      messageId: undefined,
      local: false,
      limit: 5_000,
    });
  });

  it('reads tag, message id, since, stage, region and --local', () => {
    const args = parseLogsArgs(
      ['--tag', 'onMessage', '--message-id', 'wamid.ABC', '--since', '30m', '--stage', 'prod', '--region', 'eu-west-1'],
      now,
    );
    expect(args).toMatchObject({
      tag: 'onMessage',
      messageId: 'wamid.ABC',
      startTime: now - 1_800_000,
      stage: 'prod',
      region: 'eu-west-1',
    });
    expect(parseLogsArgs(['--local', '--file', 'x.log'], now)).toMatchObject({ local: true, file: 'x.log' });
  });

  it.each([
    ['45s', now - 45_000],
    ['30m', now - 1_800_000],
    ['1h', now - 3_600_000],
    ['2d', now - 2 * 86_400_000],
    ['1w', now - 7 * 86_400_000],
    ['2026-11-24T10:00:00Z', Date.parse('2026-11-24T10:00:00Z')],
    ['2026-11-24', Date.parse('2026-11-24')],
  ])('--since %s', (since, expected) => {
    expect(parseSince(since, now)).toBe(expected);
  });

  it('knows the eleven functions as tags', () => {
    expect(TAGS).toEqual(DEPLOYED_NAMES);
    for (const tag of TAGS) expect(parseLogsArgs(['--tag', tag], now).tag).toBe(tag);
  });

  it.each([
    [['--tag', 'onMesage'], /unknown --tag "onMesage": use one of sendMessage, /],
    [['--tag'], /argument missing/],
    [['--since', '1y'], /bad --since "1y"/],
    [['--since', 'yesterday'], /bad --since/],
    [['--stage', 'prod/x'], /bad --stage/],
    [['--message-id', ''], /bad --message-id/],
    [['--message-id', 'a"b'], /bad --message-id/],
    [['--limit', '0'], /bad --limit/],
    [['--file', 'x.log'], /--file only goes with --local/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['onMessage'], /positional/i],
  ])('refuses %j as a one-line usage error', (argv, message) => {
    let error: unknown;
    try {
      parseLogsArgs(argv, now);
    } catch (e: unknown) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('npm run logs formatting', () => {
  it('prints the message of a Powertools JSON line, the raw line otherwise', () => {
    const json = JSON.stringify({ level: 'INFO', message: '[IMCHANNEL] [onMessage] Message received {"a":1}', messageId: 'm-1' });
    expect(messageOf(`${json}\n`)).toBe('[IMCHANNEL] [onMessage] Message received {"a":1}');
    expect(messageOf(`2026-11-24T12:00:00.000Z\tabc-123\tINFO\t${json}`)).toBe(
      '[IMCHANNEL] [onMessage] Message received {"a":1}',
    );
    expect(messageOf('2026-11-24T12:00:00.000Z\tabc-123\tERROR\tTask timed out')).toBe('Task timed out');
    expect(messageOf('[IMCHANNEL] [onMessage] plain text\n')).toBe('[IMCHANNEL] [onMessage] plain text');
    expect(messageOf('{not json')).toBe('{not json');
    expect(messageOf('{"no":"message"}')).toBe('{"no":"message"}');
  });

  it('orders by time, keeping the found order within a millisecond', () => {
    const lines = inTimeOrder([
      { time: 3, message: 'c' },
      { time: 1, message: 'a1' },
      { time: 1, message: 'a2' },
      { time: 2, message: 'b' },
    ]);
    expect(lines.map((l) => l.message)).toEqual(['a1', 'a2', 'b', 'c']);
    expect(formatLine({ time: now, message: 'x' })).toBe('2026-11-24T12:00:00.000Z x');
  });
});
