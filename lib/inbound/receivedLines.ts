/**
 * The webhooks' first runbook line (`Message received <request body>`, CONTRACT section 7)
 * for bodies up to Lambda's 6 MB: CloudWatch Logs takes at most 256 KB (262,144 bytes) per
 * event, and a longer line is cut off, or split, by the time it is read.
 *
 * A body whose compact JSON is at most RECEIVED_PART_BYTES is logged whole, on one line, as
 * before. A larger one is logged in parts, each a whole JSON body of its own, the same
 * fields around a run of consecutive `results`, with ` [part i of n]` after it, so every
 * result is on record whole on one line that a search for its messageId finds. In JSON
 * log format that line is escaped once more, which at most doubles it (only `"` and `\`
 * grow, to two characters), so a part's line stays under 2 × 100,000 bytes plus the line's
 * few hundred bytes of other fields: within the event limit. A single result above the
 * budget, or a large body that is not JSON with `results`, is cut at the budget with a
 * note of how much is missing (the logger's own backstop, lib/platform/log.ts, cuts any
 * line at MAX_LINE_BYTES).
 */

/** Bytes of compact body JSON on one runbook line. */
export const RECEIVED_PART_BYTES = 100_000;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** `text` cut to at most `max` UTF-8 bytes, never inside a character. */
export function cutToBytes(text: string, max: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= max) return text;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && ((encoded[end] as number) & 0xc0) === 0x80) end -= 1;
  return encoded.subarray(0, end).toString('utf8');
}

const cut = (text: string) => {
  const kept = cutToBytes(text, RECEIVED_PART_BYTES);
  return `${kept}…[cut: ${bytes(text) - bytes(kept)} more bytes]`;
};

function parsedBody(body: string): { fields: Record<string, unknown>; results: unknown[] } | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const fields = parsed as Record<string, unknown>;
    return Array.isArray(fields.results) ? { fields, results: fields.results } : undefined;
  } catch {
    return undefined;
  }
}

/** Consecutive runs of results whose JSON fits the budget beside the envelope. */
function partsOf(results: unknown[], budget: number): string[][] {
  const parts: string[][] = [];
  let part: string[] = [];
  let size = 0;
  for (const result of results) {
    const json = JSON.stringify(result) ?? 'null';
    const grows = bytes(json) + 1; // and its comma
    if (part.length > 0 && size + grows > budget) {
      parts.push(part);
      part = [];
      size = 0;
    }
    part.push(json);
    size += grows;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * The runbook lines for one webhook body: `label(body)` for a body that fits, else one
 * `label(part)` per part, each followed by ` [part i of n]`. `label` is the runbook's
 * line builder (runbook.messageReceived or reportReceived), which compacts the JSON.
 */
export function receivedLines(body: string, label: (body: string) => string): string[] {
  const whole = label(body);
  const prefix = label('').length;
  if (bytes(whole) - prefix <= RECEIVED_PART_BYTES) return [whole];
  const parsed = parsedBody(body);
  if (parsed === undefined) return [label(cut(whole.slice(prefix)))];

  // The fields around `results`, in their place: the part's JSON is the body's, with fewer results.
  const marker = '"\u0000results\u0000"';
  const envelope = JSON.stringify(
    Object.fromEntries(Object.entries(parsed.fields).map(([k, v]) => [k, k === 'results' ? marker : v])),
  );
  const [before, after] = envelope.split(JSON.stringify(marker)) as [string, string];
  const budget = RECEIVED_PART_BYTES - bytes(before) - bytes(after) - 2;
  const parts = partsOf(parsed.results, Math.max(budget, 1));
  return parts.map((part, i) => {
    const json = `${before}[${part.join(',')}]${after}`;
    const text = bytes(json) <= RECEIVED_PART_BYTES ? json : cut(json);
    return `${label(text)} [part ${i + 1} of ${parts.length}]`;
  });
}
