/**
 * The CloudWatch side of `npm run logs`: FilterLogEvents over the stage's log groups
 * (one per function), every page, merged in time order.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { TAGS, type LogsQuery, type Tag } from './args';
import { inTimeOrder, isPlatformLine, messageOf, type LogLine } from './format';

/** The service name of serverless.yml: a function's log group is /aws/lambda/imchannel-<stage>-<function>. */
export const SERVICE = 'imchannel';

export const logGroupOf = (stage: string, tag: Tag) => `/aws/lambda/${SERVICE}-${stage}-${tag}`;

/** An error the CLI prints as its one line, exit 1. */
export class LogsError extends Error {
  override name = 'LogsError';
}

export interface AwsSearchResult {
  lines: LogLine[];
  /** Groups that do not exist (yet): a function never invoked has no log group. */
  missingGroups: string[];
  /** The limit was reached: older or later lines may be left out. */
  truncated: boolean;
}

/**
 * A plain quoted term: it matches the id in the message text (`Message received {…"messageId":"ID"…}`)
 * and in the JSON line's `messageId` attribute alike, where `{ $.messageId = "ID" }` would
 * miss the lines that carry the id only in their text.
 */
export const filterPatternOf = (messageId: string | undefined) => (messageId ? `"${messageId}"` : undefined);

const errorName = (error: unknown) => (error && typeof error === 'object' ? String((error as { name?: unknown }).name) : '');
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** The SDK's errors the support staff can act on, as one line each; anything else as its name and first line. */
export function describeAwsError(error: unknown): string {
  const name = errorName(error);
  const message = errorMessage(error);
  if (name === 'CredentialsProviderError') {
    return 'no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login)';
  }
  if (/region is missing/i.test(message)) return 'no AWS region (pass --region or set AWS_REGION)';
  if (['ExpiredTokenException', 'ExpiredToken', 'TokenRefreshRequired'].includes(name) || /token.*expired/i.test(message)) {
    return `the AWS credentials have expired (${name}): log in again`;
  }
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'InvalidClientTokenId'].includes(name)) {
    return `AWS does not accept these credentials (${name}): check AWS_PROFILE / AWS_ACCESS_KEY_ID`;
  }
  if (name === 'AccessDeniedException') return `not allowed to read the logs (${name}): ${message}`;
  return `CloudWatch Logs failed: ${name && name !== 'Error' ? `${name}: ` : ''}${message}`;
}

async function searchGroup(
  client: CloudWatchLogsClient,
  logGroupName: string,
  query: LogsQuery,
  budget: { left: number; cut: boolean },
): Promise<LogLine[] | 'missing'> {
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new FilterLogEventsCommand({
          logGroupName,
          startTime: query.startTime,
          filterPattern: filterPatternOf(query.messageId),
          nextToken,
        }),
      );
    } catch (error: unknown) {
      if (errorName(error) === 'ResourceNotFoundException') return 'missing';
      throw error;
    }
    for (const event of page.events ?? []) {
      const raw = event.message ?? '';
      if (isPlatformLine(raw)) continue;
      lines.push({ time: event.timestamp ?? event.ingestionTime ?? 0, message: messageOf(raw) });
      budget.left -= 1;
    }
    nextToken = page.nextToken;
  } while (nextToken && budget.left > 0);
  if (nextToken) budget.cut = true;
  return lines;
}

export async function searchAws(client: CloudWatchLogsClient, stage: string, query: LogsQuery): Promise<AwsSearchResult> {
  const tags: readonly Tag[] = query.tag ? [query.tag] : TAGS;
  const budget = { left: query.limit, cut: false };
  const groups = tags.map((tag) => logGroupOf(stage, tag));
  let found: (LogLine[] | 'missing')[];
  try {
    found = await Promise.all(groups.map((group) => searchGroup(client, group, query, budget)));
  } catch (error: unknown) {
    throw new LogsError(describeAwsError(error));
  }
  const missingGroups = groups.filter((_, i) => found[i] === 'missing');
  if (missingGroups.length === groups.length) {
    const which = query.tag ? `"${groups[0]}"` : `"/aws/lambda/${SERVICE}-${stage}-*"`;
    throw new LogsError(
      `no log groups for stage "${stage}" (${which} not found in ${await regionOf(client)}: wrong --stage or --region, or never deployed or invoked)`,
    );
  }
  const all = inTimeOrder(found.flatMap((lines) => (lines === 'missing' ? [] : lines)));
  return { lines: all.slice(0, query.limit), missingGroups, truncated: budget.cut || all.length > query.limit };
}

async function regionOf(client: CloudWatchLogsClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    return 'this region';
  }
}
