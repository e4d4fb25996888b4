/**
 * `npm run logs` arguments: what to search for and where. Bad input is a UsageError,
 * which the CLI prints as one line and exits 2 on.
 */
import { parseArgs } from 'node:util';
import { DEPLOYED_NAMES } from '../../lib/functions';

/** The functions of serverless.yml (lib/functions.ts): each one's log tag and (on AWS) log group suffix. */
export const TAGS: readonly string[] = DEPLOYED_NAMES;
export type Tag = string;

export const DEFAULT_SINCE = '1h';
export const DEFAULT_STAGE = 'dev';
export const DEFAULT_LIMIT = 5_000;

export const USAGE = [
  'usage: npm run logs -- [--tag <function>] [--message-id <id>] [--since 30m|1h|2d|<ISO time>]',
  '                       [--stage dev] [--region <region>] [--limit 5000] [--local [--file <path>]]',
  `  --tag         one of: ${TAGS.join(', ')}`,
  '  --message-id  lines that contain this id (Infobip messageId, wamid…, or a media id)',
  `  --since       how far back (default ${DEFAULT_SINCE}): 45s, 30m, 1h, 2d, 1w, or an ISO time`,
  `  --stage       the deployed stage whose log groups are searched (default ${DEFAULT_STAGE})`,
  "  --region      AWS region (default: AWS_REGION or the AWS profile's region)",
  `  --limit       stop after this many lines (default ${DEFAULT_LIMIT})`,
  "  --local       search the local stack's log file (npm start) instead of CloudWatch",
  '  --file        the local log file (default: IMCHANNEL_LOCAL_LOG or .imchannel/local.log)',
].join('\n');

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface LogsQuery {
  tag?: Tag;
  messageId?: string;
  /** Epoch milliseconds: no line older than this. */
  startTime: number;
  limit: number;
}

export interface LogsArgs extends LogsQuery {
  help: boolean;
  local: boolean;
  file?: string;
  stage: string;
  region?: string;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `1h`, `2d`… before `now`, or an absolute ISO time; epoch milliseconds. */
export function parseSince(value: string, now: number): number {
  const relative = /^(\d+)\s*([smhdw])$/i.exec(value.trim());
  if (relative) return now - Number(relative[1]) * (UNITS[(relative[2] ?? '').toLowerCase()] ?? 0);
  // Only ISO-looking times: Date.parse accepts far too much ("1", "May").
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const time = Date.parse(value.trim());
    if (!Number.isNaN(time)) return time;
  }
  throw new UsageError(`bad --since "${value}": use 30m, 1h, 2d, 1w or an ISO time like 2026-02-27T15:00:00Z`);
}

export function isTag(value: string): value is Tag {
  return (TAGS as readonly string[]).includes(value);
}

export function parseLogsArgs(argv: readonly string[], now = Date.now()): LogsArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        tag: { type: 'string' },
        'message-id': { type: 'string' },
        since: { type: 'string', default: DEFAULT_SINCE },
        stage: { type: 'string', default: DEFAULT_STAGE },
        region: { type: 'string' },
        limit: { type: 'string' },
        local: { type: 'boolean', default: false },
        file: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error: unknown) {
    // node:util's messages are one line already; drop its hint about `--` for values.
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '').replace(/\. To specify.*$/, '') : String(error);
    throw new UsageError(message);
  }

  const tag = values.tag;
  if (tag !== undefined && !isTag(tag)) {
    throw new UsageError(`unknown --tag "${tag}": use one of ${TAGS.join(', ')}`);
  }
  const messageId = values['message-id']?.trim();
  if (messageId !== undefined && (messageId === '' || messageId.includes('"'))) {
    throw new UsageError('bad --message-id: give the id itself (no quotes)');
  }
  const stage = values.stage;
  if (!/^[A-Za-z0-9-]+$/.test(stage)) {
    throw new UsageError(`bad --stage "${stage}": letters, digits and dashes only`);
  }
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`bad --limit "${values.limit}": a whole number above 0`);
  if (values.file !== undefined && !values.local) throw new UsageError('--file only goes with --local');

  return {
    help: values.help,
    local: values.local,
    file: values.file,
    stage,
    region: values.region,
    tag,
    messageId,
    startTime: parseSince(values.since, now),
    limit,
  };
}
