/** One found line, and how it is printed: `<ISO time> <message>`. */
export interface LogLine {
  /** Epoch milliseconds. */
  time: number;
  message: string;
}

export function formatLine(line: LogLine): string {
  return `${new Date(line.time).toISOString()} ${line.message}`;
}

/** Oldest first; lines of the same millisecond keep the order they were found in. */
export function inTimeOrder(lines: readonly LogLine[]): LogLine[] {
  return lines
    .map((line, index) => ({ line, index }))
    .sort((a, b) => a.line.time - b.line.time || a.index - b.index)
    .map(({ line }) => line);
}

/** The Lambda runtime's own lines (START, END, REPORT…), noise next to the function's lines. */
const PLATFORM_LINE = /^(START|END|REPORT|INIT_START|INIT_REPORT|EXTENSION|TELEMETRY) /;
/** An embedded metrics document (lib/platform/metrics.ts): numbers for CloudWatch, not a line to read. */
const EMF_LINE = /^\{"_aws":\{/;

export function isPlatformLine(raw: string): boolean {
  const text = raw.trim();
  return PLATFORM_LINE.test(text) || EMF_LINE.test(text);
}

/**
 * A CloudWatch event's text: the `message` of a Powertools JSON line (LOG_FORMAT=json),
 * also behind the Node runtime's `<time>\t<request id>\t<LEVEL>\t` prefix; anything else
 * as it came, trimmed.
 */
export function messageOf(raw: string): string {
  const text = raw.trim();
  const candidates = [text];
  const tabbed = /^\S+\t\S+\t[A-Z]+\t([\s\S]*)$/.exec(text);
  if (tabbed?.[1] !== undefined) candidates.push(tabbed[1].trim());
  for (const candidate of candidates) {
    if (!candidate.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
        return (parsed as { message: string }).message;
      }
    } catch {
      // not JSON: printed as it came
    }
  }
  return tabbed?.[1] !== undefined ? tabbed[1].trim() : text;
}
