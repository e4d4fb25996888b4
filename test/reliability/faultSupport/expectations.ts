import { sampleFile } from '../../support/sampleFile';
import type { MediaKind } from '../../../lib/media/kinds';
import { leaked, type LogEntry, type Stack } from './stack';

/** Shared checks and request bodies of the fault and attack tests. */

export const CONTENT_TYPES: Record<MediaKind, string> = {
  image: 'image/png',
  document: 'application/pdf',
  audio: 'audio/ogg; codecs=opus',
  video: 'video/mp4',
  sticker: 'image/webp',
};

export const textBody = (messageId: string, extra: Record<string, unknown> = {}) => ({
  to: '39123456789',
  text: `fault run ${messageId}`,
  messageId,
  ...extra,
});

export const fileBody = (kind: MediaKind, messageId: string, extra: Record<string, unknown> = {}) => ({
  to: '39123456789',
  fileName: `fault-${messageId}.bin`,
  contentType: CONTENT_TYPES[kind],
  content: sampleFile(CONTENT_TYPES[kind], 3 * 1024 + 1).toString('base64'),
  messageId,
  ...extra,
});

/** The log entries written since `mark` (an index into stack.lines). */
export const entriesSince = (stack: Stack, mark: number): LogEntry[] =>
  stack.lines.slice(mark).map((line) => JSON.parse(line) as LogEntry);

/** The entries at `level` written since `mark` by the function `tag`, each with the tag in its message. */
function linesSince(stack: Stack, mark: number, tag: string, level: 'ERROR' | 'WARN'): LogEntry[] {
  return entriesSince(stack, mark).filter(
    (entry) => entry.level === level && entry.tag === tag && entry.message.startsWith(`[IMCHANNEL] [${tag}] `),
  );
}

/** ERROR: a failure of IMChannel or a dependency. */
export const errorLinesSince = (stack: Stack, mark: number, tag: string): LogEntry[] => linesSince(stack, mark, tag, 'ERROR');
/** WARN: a caller's mistake. */
export const warnLinesSince = (stack: Stack, mark: number, tag: string): LogEntry[] => linesSince(stack, mark, tag, 'WARN');

/**
 * No configured secret in any log line or response, and no file's content (base64, as
 * sent) in any log line or JSON response: only a fetch's file response may carry the file.
 */
export function expectNothingLeaked(stack: Stack, fileContents: readonly string[] = []): void {
  const secrets = Object.values(stack.secrets);
  const files = fileContents.filter((content) => content.length >= 16);
  const found = [
    ...stack.lines.flatMap((line) => leaked(line, [...secrets, ...files]).map((s) => `a log line leaks ${s.slice(0, 12)}…`)),
    ...stack.responses.flatMap((reply) => {
      const isJson = (reply.headers['content-type'] ?? '').startsWith('application/json');
      const text = `${JSON.stringify(reply.headers)}\n${reply.body}`;
      return leaked(text, isJson ? [...secrets, ...files] : secrets).map((s) => `a response leaks ${s.slice(0, 12)}…`);
    }),
  ];
  if (found.length > 0) throw new Error(`secrets or file contents leaked:\n${[...new Set(found)].join('\n')}`);
}
