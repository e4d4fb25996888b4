/**
 * The local stack's side of `npm run logs --local`: the stack appends every function log
 * line to a file as `<ISO time> <line>` (tools/stack.ts, `logFile`), and this reads it back.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LogsQuery } from './args';
import { LogsError } from './aws';
import { formatLine, inTimeOrder, type LogLine } from './format';

/** Where `npm start` writes its log file unless IMCHANNEL_LOCAL_LOG says otherwise (git-ignored). */
export const DEFAULT_LOCAL_LOG = '.imchannel/local.log';
const ROOT = resolve(__dirname, '..', '..');

export function localLogPath(env: Record<string, string | undefined> = process.env): string {
  return resolve(ROOT, env.IMCHANNEL_LOCAL_LOG || DEFAULT_LOCAL_LOG);
}

/** The function lines among the stack's output; its own and serverless-offline's lines stay out. */
export const isFunctionLine = (line: string) => line.startsWith('[IMCHANNEL] [');

/** An appender for the stack's `output`: function lines only, written at once so they can be read at once. */
export function localLogWriter(path: string, now: () => number = Date.now): (line: string) => void {
  mkdirSync(dirname(path), { recursive: true });
  let failed = false;
  return (line) => {
    if (!isFunctionLine(line) || failed) return;
    try {
      appendFileSync(path, `${formatLine({ time: now(), message: line.replace(/\r?\n/g, '\\n') })}\n`);
    } catch (error: unknown) {
      // A full disk must not stop the stack: say so once, keep serving.
      failed = true;
      process.stderr.write(
        `[stack] cannot write ${path}, npm run logs -- --local will miss lines: ${(error as Error).message}\n`,
      );
    }
  };
}

const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (.*)$/;

export function parseLocalLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const row of text.split('\n')) {
    const match = STAMPED.exec(row);
    if (match?.[1] && match[2] !== undefined) lines.push({ time: Date.parse(match[1]), message: match[2] });
  }
  return lines;
}

export function matches(line: LogLine, query: LogsQuery): boolean {
  if (line.time < query.startTime) return false;
  if (query.tag && !line.message.startsWith(`[IMCHANNEL] [${query.tag}] `)) return false;
  if (query.messageId && !line.message.includes(query.messageId)) return false;
  return true;
}

export function searchLocal(path: string, query: LogsQuery): { lines: LogLine[]; truncated: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LogsError(`no local log at ${path} (start the local stack with npm start first, or pass --file)`);
    }
    throw new LogsError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const found = inTimeOrder(parseLocalLog(text).filter((line) => matches(line, query)));
  return { lines: found.slice(0, query.limit), truncated: found.length > query.limit };
}
