/**
 * `npm run logs -- [--tag onMessage] [--message-id ID] [--since 1h] [--stage prod] [--local]`:
 * a message's story, from CloudWatch (the stage's log groups) or from the local stack's
 * log file, as `<ISO time> <message>` lines in time order. Expected failures are one line
 * on stderr: exit 2 for bad arguments, 1 for no credentials, no log groups, no local log.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { parseLogsArgs, USAGE, UsageError } from './logs/args';
import { LogsError, searchAws } from './logs/aws';
import { searchFollowingSends } from './logs/follow';
import { formatLine, type LogLine } from './logs/format';
import { localLogPath, searchLocal } from './logs/local';

export interface LogsIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface LogsDeps {
  env?: Record<string, string | undefined>;
  client?: (region: string | undefined) => CloudWatchLogsClient;
  now?: number;
}

const defaultClient = (region: string | undefined) => new CloudWatchLogsClient(region ? { region } : {});

/** The whole CLI without process.exit: the exit code it should end with. */
export async function runLogs(argv: readonly string[], io: LogsIo, deps: LogsDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  try {
    const args = parseLogsArgs(argv, deps.now);
    if (args.help) {
      io.out(USAGE);
      return 0;
    }
    let lines: LogLine[];
    let truncated: boolean;
    if (args.local) {
      const path = args.file ?? localLogPath(env);
      ({ lines, truncated } = await searchFollowingSends(async (query) => searchLocal(path, query), args));
    } else {
      const client = (deps.client ?? defaultClient)(args.region);
      try {
        const result = await searchFollowingSends((query) => searchAws(client, args.stage, query), args);
        ({ lines, truncated } = result);
      } finally {
        client.destroy();
      }
    }
    for (const line of lines) io.out(formatLine(line));
    if (lines.length === 0) io.err('logs: no matching lines (try a longer --since, or check the --tag and --message-id)');
    if (truncated) io.err(`logs: stopped at ${args.limit} lines (narrow the search, or raise --limit)`);
    return 0;
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      io.err(`logs: ${error.message} (npm run logs -- --help)`);
      return 2;
    }
    if (error instanceof LogsError) {
      io.err(`logs: ${error.message}`);
      return 1;
    }
    io.err(`logs: unexpected error: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  // The SDK's Node 20 end-of-support notice is not the support staff's to act on, and would bury the one-line errors.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void runLogs(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).then((code) => {
    process.exitCode = code;
  });
}
