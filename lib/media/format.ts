import { isMediaKind, type MediaKind } from './kinds';

/**
 * The bytes-level rules of the media flow: what base64 is accepted, how a stored file is
 * encoded in its one Redis value, and the headers a file is served with.
 */

export interface MediaEntry {
  kind: MediaKind;
  contentType: string;
  fileName: string;
  /** The file, base64 (canonical: checked by `isCanonicalBase64` before it is stored). */
  content: string;
}

/** Decoded size, from the length alone, so an oversized file is refused before decoding. */
export function base64DecodedBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

/**
 * RFC 4648 base64 exactly as `Buffer#toString('base64')` writes it: standard alphabet,
 * `=` padding to a multiple of 4, no whitespace or line breaks, zero bits after the data.
 * Node's decoder skips what it does not understand, so a round trip is the strict check:
 * anything it skipped or fixed up comes back different.
 */
export function isCanonicalBase64(base64: string): boolean {
  if (base64.length === 0 || base64.length % 4 !== 0) return false;
  return Buffer.from(base64, 'base64').toString('base64') === base64;
}

// One value holds everything, so a fetch is one Redis call; `v` leaves room to change it later.
// Checked by hand rather than with a schema: the fetch functions carry no zod at all.
const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

export function encodeEntry(entry: MediaEntry): string {
  const { kind, contentType, fileName, content } = entry;
  return JSON.stringify({ v: 1, kind, contentType, fileName, content });
}

/** undefined when the value is not one this service wrote. */
export function decodeEntry(value: string): MediaEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { v, kind, contentType, fileName, content } = parsed as Record<string, unknown>;
  if (v !== 1 || typeof kind !== 'string' || !isMediaKind(kind)) return undefined;
  if (!nonEmptyString(contentType) || !nonEmptyString(fileName) || !nonEmptyString(content)) return undefined;
  return { kind, contentType, fileName, content };
}

/** RFC 8187 attr-char: what may stand unencoded in `filename*`. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

function rfc8187(value: string): string {
  // Buffer turns a lone surrogate into U+FFFD, where encodeURIComponent would throw.
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `inline; filename="…"` that no file name can break: the quoted name is printable ASCII
 * without `"`, `\`, `;` or `%` (each other character becomes `_`), and when that changed
 * the name, the exact name follows as RFC 6266 / RFC 8187 `filename*=UTF-8''…`, which
 * every current client prefers. Semicolons and percent signs are legal inside quotes, but
 * naive parsers split on the one and decode the other.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\;%]/gu, '_');
  if (fallback === fileName) return `inline; filename="${fileName}"`;
  return `inline; filename="${fallback}"; filename*=UTF-8''${rfc8187(fileName)}`;
}

/** The headers of CONTRACT section 4, the same for HEAD and GET. */
export function fileHeaders(entry: MediaEntry): Record<string, string> {
  return {
    'content-type': entry.contentType,
    'content-length': String(base64DecodedBytes(entry.content)),
    'content-disposition': contentDisposition(entry.fileName),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}
