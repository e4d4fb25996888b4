import { createHash, randomUUID } from 'node:crypto';
import { checkContent, SNIFF_BYTES } from '../media/magic';
import type { ObjectStorage } from '../media/objects';
import { downloadInbound, PermanentCopyFailure, type DownloadDeps } from './download';
import { inboundObjectKey, PARTIAL_PREFIX, type InboundSource } from './reference';

/**
 * A customer's file in the bucket, written once: when it is already under its key (an
 * earlier copy, or the route's on-demand fetch), nothing is downloaded again. Otherwise the
 * bytes stream from Infobip to a partial object, hashed and counted on the way, and only a
 * whole, checked file is copied (S3-side) under its final key with its digest; a copy cut
 * off anywhere leaves nothing there, only a partial object the bucket's rule removes.
 */

export interface StoredFile {
  key: string;
  contentType: string;
  size: number;
  sha256: string;
  fileName?: string;
  /** False when the file was already in the bucket. */
  copiedNow: boolean;
}

export async function storeInbound(
  source: InboundSource,
  type: string,
  deps: DownloadDeps & { storage: ObjectStorage },
): Promise<StoredFile> {
  const key = inboundObjectKey(source.id);
  const existing = await deps.storage.head(key);
  if (existing !== undefined && existing.metadata.sha256 !== undefined) {
    return {
      key,
      contentType: existing.contentType,
      size: existing.size,
      sha256: existing.metadata.sha256,
      fileName: decodeName(existing.metadata.filename),
      copiedNow: false,
    };
  }
  const download = await downloadInbound(source, type, deps);
  const reader = download.body.getReader();
  const hash = createHash('sha256');
  let count = 0;
  // The leading bytes first: a file whose type they contradict is never stored.
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < SNIFF_BYTES && !done) {
    const next = await reader.read();
    done = next.done;
    if (next.value !== undefined) {
      head.push(Buffer.from(next.value));
      headBytes += next.value.byteLength;
    }
  }
  const start = Buffer.concat(head);
  const essence = (download.contentType.split(';')[0] ?? '').trim().toLowerCase();
  const verdict = checkContent(essence, start);
  if (!verdict.fits) {
    await reader.cancel();
    const looks = verdict.looksLike === undefined ? '' : ` they look like ${verdict.looksLike.label}`;
    throw new PermanentCopyFailure(
      'WRONG_TYPE',
      `Infobip says ${essence}, but the file's first bytes do not fit it:${looks || ` expected ${verdict.expected}`}`,
    );
  }
  const size = download.size;
  async function* bytes(): AsyncGenerator<Buffer> {
    const pass = (chunk: Buffer) => {
      count += chunk.length;
      // Past the declared size the PUT would fail anyway; stop reading at once.
      if (count > size) throw new Error(`the download ran past its declared ${size} bytes`);
      hash.update(chunk);
      return chunk;
    };
    if (start.length > 0) yield pass(start);
    while (!done) {
      const next = await reader.read();
      if (next.done) break;
      yield pass(Buffer.from(next.value));
    }
  }
  const partial = `${PARTIAL_PREFIX}${source.id}/${randomUUID()}`;
  try {
    await deps.storage.putStream(partial, bytes(), { size, contentType: download.contentType });
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const sha256 = hash.digest('hex');
  const metadata: Record<string, string> = { sha256 };
  if (download.fileName !== undefined) metadata.filename = encodeURIComponent(download.fileName);
  await deps.storage.copy(partial, key, { contentType: download.contentType, metadata });
  // Best effort: the bucket's rule removes what is left behind.
  await deps.storage.remove(partial).catch(() => undefined);
  return { key, contentType: download.contentType, size: count, sha256, fileName: download.fileName, copiedNow: true };
}

function decodeName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
