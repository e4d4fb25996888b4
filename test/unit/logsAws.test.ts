import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { runLogs } from '../../tools/logs';
import { TAGS } from '../../tools/logs/args';
import { logGroupOf, searchAws } from '../../tools/logs/aws';

const cwl = mockClient(CloudWatchLogsClient);
const now = Date.parse('2026-11-24T12:00:00.000Z');
const json = (message: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level: 'INFO', message, timestamp: 'ignored', service: 'imchannel', ...extra });
const notFound = () => new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} });
const named = (name: string, message: string) => Object.assign(new Error(message), { name });

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLogs(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      now,
      env: {},
      client: () =>
        new CloudWatchLogsClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } }),
    },
  );
  return { code, out, err };
}

beforeEach(() => {
  cwl.reset();
  // A function that was never invoked has no log group: the default.
  cwl.on(FilterLogEventsCommand).rejects(notFound());
});

describe('npm run logs on AWS (FilterLogEvents, mocked)', () => {
  it("searches one function's log group for a tag, every page, from --since", async () => {
    const group = logGroupOf('prod', 'onMessage');
    cwl
      .on(FilterLogEventsCommand, { logGroupName: group })
      .resolvesOnce({
        events: [{ timestamp: now - 2_000, message: json('[IMCHANNEL] [onMessage] Message received {"results":[]}') }],
        nextToken: 'page-2',
      })
      .resolvesOnce({ events: [{ timestamp: now - 1_000, message: `${json('[IMCHANNEL] [onMessage] second page')}\n` }] });

    const { code, out, err } = await run(['--tag', 'onMessage', '--stage', 'prod', '--since', '30m']);

    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([
      '2026-11-24T11:59:58.000Z [IMCHANNEL] [onMessage] Message received {"results":[]}',
      '2026-11-24T11:59:59.000Z [IMCHANNEL] [onMessage] second page',
    ]);
    const calls = cwl.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      {
        logGroupName: '/aws/lambda/imchannel-prod-onMessage',
        startTime: now - 1_800_000,
        filterPattern: undefined,
        nextToken: undefined,
      },
      {
        logGroupName: '/aws/lambda/imchannel-prod-onMessage',
        startTime: now - 1_800_000,
        filterPattern: undefined,
        nextToken: 'page-2',
      },
    ]);
  });

  it('searches every group for a message id with a quoted term, and merges them in time order', async () => {
    const id = '6920cb18-8b18-4172-9de7-514e2aac9ef1';
    cwl.on(FilterLogEventsCommand, { logGroupName: logGroupOf('dev', 'sendMessage') }).resolves({
      events: [
        { timestamp: now - 5_000, message: json('[IMCHANNEL] [sendMessage] request to [x] Data [{}] with api key header') },
        { timestamp: now - 3_000, message: json(`[IMCHANNEL] [sendMessage] response of [x]: {"messageId":"${id}"}`) },
      ],
    });
    cwl.on(FilterLogEventsCommand, { logGroupName: logGroupOf('dev', 'onDeliveryReport') }).resolves({
      events: [
        { timestamp: now - 4_000, message: 'START RequestId: abc Version: $LATEST' },
        // Embedded metrics share the log group; they are skipped like the runtime's lines.
        {
          timestamp: now - 2_000,
          message: `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"function":"onDeliveryReport","id":"${id}","Requests":1}`,
        },
        {
          timestamp: now - 1_000,
          message: json(`[IMCHANNEL] [onDeliveryReport] Report received {"messageId":"${id}"}`, { messageId: id }),
        },
        { timestamp: now - 900, message: 'not json at all' },
      ],
    });

    const { code, out } = await run(['--message-id', id]);

    expect(code).toBe(0);
    expect(out).toEqual([
      '2026-11-24T11:59:55.000Z [IMCHANNEL] [sendMessage] request to [x] Data [{}] with api key header',
      `2026-11-24T11:59:57.000Z [IMCHANNEL] [sendMessage] response of [x]: {"messageId":"${id}"}`,
      `2026-11-24T11:59:59.000Z [IMCHANNEL] [onDeliveryReport] Report received {"messageId":"${id}"}`,
      '2026-11-24T11:59:59.100Z not json at all',
    ]);
    const calls = cwl.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.logGroupName).sort()).toEqual(TAGS.map((t) => logGroupOf('dev', t)).sort());
    for (const call of calls) expect(call).toMatchObject({ filterPattern: `"${id}"`, startTime: now - 3_600_000 });
  });

  it('says so when nothing matched, exit 0', async () => {
    cwl.on(FilterLogEventsCommand, { logGroupName: logGroupOf('dev', 'onMessage') }).resolves({ events: [] });
    const { code, out, err } = await run(['--message-id', 'nothing-here']);
    expect(code).toBe(0);
    expect(out).toEqual([]);
    expect(err).toEqual([expect.stringMatching(/^logs: no matching lines/)]);
  });

  it('stops at --limit and says so', async () => {
    cwl.on(FilterLogEventsCommand, { logGroupName: logGroupOf('dev', 'onMessage') }).resolves({
      events: [1, 2, 3].map((i) => ({ timestamp: now - 10_000 + i, message: json(`[IMCHANNEL] [onMessage] line ${i}`) })),
      nextToken: 'more',
    });
    const { code, out, err } = await run(['--tag', 'onMessage', '--limit', '2']);
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    expect(err).toEqual(['logs: stopped at 2 lines (narrow the search, or raise --limit)']);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(1);
  });

  it('a wrong stage (no group at all): one line, exit 1', async () => {
    const { code, out, err } = await run(['--stage', 'xyz']);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^logs: no log groups for stage "xyz" \("\/aws\/lambda\/imchannel-xyz-\*" not found in eu-west-1: /);
  });

  it('a wrong stage with a tag names that group', async () => {
    const { code, err } = await run(['--stage', 'xyz', '--tag', 'onMessage']);
    expect(code).toBe(1);
    expect(err).toEqual([
      expect.stringContaining('no log groups for stage "xyz" ("/aws/lambda/imchannel-xyz-onMessage" not found'),
    ]);
  });

  it.each([
    [
      'CredentialsProviderError',
      named('CredentialsProviderError', 'Could not load credentials from any providers'),
      /^logs: no AWS credentials found \(set AWS_PROFILE or AWS_ACCESS_KEY_ID/,
    ],
    [
      'ExpiredTokenException',
      named('ExpiredTokenException', 'The security token included in the request is expired'),
      /^logs: the AWS credentials have expired/,
    ],
    [
      'UnrecognizedClientException',
      named('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      /^logs: AWS does not accept these credentials/,
    ],
    [
      'AccessDeniedException',
      named('AccessDeniedException', 'not authorized to perform: logs:FilterLogEvents\nmore'),
      /^logs: not allowed to read the logs \(AccessDeniedException\): not authorized to perform: logs:FilterLogEvents$/,
    ],
    ['no region', named('Error', 'Region is missing'), /^logs: no AWS region \(pass --region or set AWS_REGION\)$/],
    [
      'ThrottlingException',
      named('ThrottlingException', 'Rate exceeded'),
      /^logs: CloudWatch Logs failed: ThrottlingException: Rate exceeded$/,
    ],
  ])('%s: one line, exit 1, no stack trace', async (_name, error, line) => {
    cwl.on(FilterLogEventsCommand).rejects(error);
    const { code, out, err } = await run(['--tag', 'onMessage']);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(line);
    expect(err[0]).not.toContain('\n');
  });

  it('a bad argument: one line, exit 2, no AWS call', async () => {
    const { code, err } = await run(['--tag', 'nope']);
    expect(code).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^logs: unknown --tag "nope": use one of .* \(npm run logs -- --help\)$/)]);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  });

  it('--help prints the usage, exit 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('usage: npm run logs --');
  });

  it('searchAws lists the groups that do not exist yet when others do', async () => {
    cwl.on(FilterLogEventsCommand, { logGroupName: logGroupOf('dev', 'onMessage') }).resolves({ events: [] });
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
    const result = await searchAws(client, 'dev', { startTime: 0, limit: 10 });
    expect(result.lines).toEqual([]);
    expect(result.missingGroups).toHaveLength(TAGS.length - 1); // every function but onMessage
    expect(result.truncated).toBe(false);
  });
});
