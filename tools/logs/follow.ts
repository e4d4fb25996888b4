/**
 * A media id's story goes on under another id: Infobip's delivery report of the message
 * that carried the file names only the message's id, never the file's. So a search by id
 * also follows the send lines it finds: the messageIds in a `request to […] Data […]` line
 * (the destination's own id) or in the `response of […]` line that answers it, and
 * searches those too. That brings in `[onDeliveryReport] Report received {…}` with its
 * status and error (an UNDELIVERABLE `EC_MEDIA_UNSUPPORTED` 7022, say) from the mediaId alone.
 */
import type { LogsQuery } from './args';
import { inTimeOrder, type LogLine } from './format';

const SEND_LINE = / (request to|response of) \[/;
const MESSAGE_ID = /"messageId":"([^"]+)"/g;
/** How long after a `request to` line its `response of` line may come: Infobip's timeout and some. */
export const RESPONSE_WITHIN_MS = 30_000;

/** At most this many sends are followed; a search that finds more is printed as found. */
export const MAX_FOLLOWED = 5;

const tagOf = (message: string) => /^\[IMCHANNEL\] \[([^\]]+)\] /.exec(message)?.[1];

/** The messageIds the send lines among `lines` name, but `searched` itself. */
export function sentMessageIds(lines: readonly LogLine[], searched: string): string[] {
  const ids = new Set<string>();
  for (const { message } of lines) {
    if (!SEND_LINE.test(message)) continue;
    for (const [, id] of message.matchAll(MESSAGE_ID)) if (id !== undefined && id !== searched) ids.add(id);
  }
  return [...ids];
}

/**
 * For each `request to` line among `found`, the first `response of` line of the same
 * function after it (within RESPONSE_WITHIN_MS), from `sameTag`: the lines of that function
 * from the request's time on. A response carries no media id, so only this pairing finds it.
 */
export function responsesTo(found: readonly LogLine[], sameTag: (tag: string, from: number) => Promise<LogLine[]>) {
  return Promise.all(
    found
      .filter((line) => / request to \[/.test(line.message))
      .map(async (request) => {
        const tag = tagOf(request.message);
        if (tag === undefined) return undefined;
        const answer = (lines: readonly LogLine[]) =>
          lines.find(
            (line) =>
              line.time >= request.time &&
              line.time - request.time <= RESPONSE_WITHIN_MS &&
              line.message.startsWith(`[IMCHANNEL] [${tag}] response of [`),
          );
        // Already found (it named the id too): no search needed.
        if (answer(found) !== undefined) return undefined;
        return answer(await sameTag(tag, request.time));
      }),
  ).then((responses) => responses.filter((line): line is LogLine => line !== undefined));
}

/** The lines of `extra` not already in `lines`, merged in time order. */
export function merged(lines: readonly LogLine[], extra: readonly LogLine[]): LogLine[] {
  const seen = new Set(lines.map((line) => `${line.time} ${line.message}`));
  const added = extra.filter((line) => {
    const key = `${line.time} ${line.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return inTimeOrder([...lines, ...added]);
}

type Search = (query: LogsQuery) => Promise<{ lines: LogLine[]; truncated: boolean }>;

/** `search`, then the same search for every message the found send lines name. */
export async function searchFollowingSends(search: Search, query: LogsQuery): Promise<{ lines: LogLine[]; truncated: boolean }> {
  const first = await search(query);
  const searched = query.messageId;
  if (searched === undefined || first.truncated) return first;
  // Only a search by id that found a send's request line has a message to follow, and only a
  // few: a customer's number finds all their messages, each worth a search of its own.
  const requests = first.lines.filter((line) => / request to \[/.test(line.message));
  if (requests.length === 0 || requests.length > MAX_FOLLOWED) return first;
  const responses = await responsesTo(first.lines, async (tag, from) => {
    const { lines } = await search({ tag: tag as LogsQuery['tag'], startTime: from, limit: 200 });
    return lines;
  });
  let lines = merged(first.lines, responses);
  let truncated = false;
  for (const id of sentMessageIds(lines, searched)) {
    const more = await search({ ...query, tag: undefined, messageId: id });
    lines = merged(lines, more.lines);
    truncated ||= more.truncated;
  }
  return { lines: lines.slice(0, query.limit), truncated: truncated || lines.length > query.limit };
}
