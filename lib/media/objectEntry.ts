import { isMediaKind, type MediaKind } from './kinds';
import { contentDisposition } from './format';

/**
 * The Redis value of a file that lives in S3, beside the inline one of
 * ./format.ts (`v: 1`, still read as before): `v: 2` holds what was declared at upload and
 * where the object is. The key's life is the file's: once it is gone the file is not
 * served, whatever the bucket still holds.
 */
export interface ObjectEntry {
  kind: MediaKind;
  contentType: string;
  fileName: string;
  /** Declared at upload, checked against S3's HEAD before any send. */
  size: number;
  /** The object key in the media bucket. */
  objectKey: string;
  /** Hex, when the uploader declared one (S3 then verified it on PUT). */
  sha256?: string;
}

export function encodeObjectEntry(entry: ObjectEntry): string {
  const { kind, contentType, fileName, size, objectKey, sha256 } = entry;
  return JSON.stringify({ v: 2, kind, contentType, fileName, size, objectKey, ...(sha256 === undefined ? {} : { sha256 }) });
}

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** undefined when the value is not an S3-backed entry this service wrote. */
export function decodeObjectEntry(value: string): ObjectEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { v, kind, contentType, fileName, size, objectKey, sha256 } = parsed as Record<string, unknown>;
  if (v !== 2 || typeof kind !== 'string' || !isMediaKind(kind)) return undefined;
  if (!nonEmptyString(contentType) || !nonEmptyString(fileName) || !nonEmptyString(objectKey)) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) return undefined;
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))) return undefined;
  return { kind, contentType, fileName, size, objectKey, ...(sha256 === undefined ? {} : { sha256 }) };
}

/** The same headers an inline file is served with (CONTRACT section 4), from the metadata alone. */
export function objectFileHeaders(entry: ObjectEntry): Record<string, string> {
  return {
    'content-type': entry.contentType,
    'content-length': String(entry.size),
    'content-disposition': contentDisposition(entry.fileName),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}
