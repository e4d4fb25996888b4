/**
 * How the inbound media routes (./inboundMedia.ts) answer: the body, slowed or cut as a fault
 * says, and the one-second windows of Infobip's 15 requests per second.
 */
import type { ServerResponse } from 'node:http';
import type { InboundMediaFaults } from '../types';

export interface StoredMedia {
  sender: string;
  bytes: Buffer;
  contentType: string;
  via: 'direct' | 'redirect';
  /** ms since the epoch. */
  expiresAt: number;
}

/** How often a slowed body gets its next chunk. */
const SLOW_TICK_MS = 100;
const CHUNK_BYTES = 64 * 1024;

/**
 * 200 with the file's type and full length, then (GET) its bytes: at `bytesPerSecond` when the
 * fault says so, and the connection destroyed after `resetAfterBytes`, each chunk flushed
 * before the next so that the client really holds what was sent when the cut comes.
 */
export async function writeBody(
  res: ServerResponse,
  file: StoredMedia,
  method: string,
  fault: InboundMediaFaults | undefined,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const size = file.bytes.length;
  res.writeHead(200, { 'content-type': file.contentType, 'content-length': size });
  if (method === 'HEAD') return void res.end();
  const rate = fault?.bytesPerSecond;
  const cutAt = fault?.resetAfterBytes === undefined ? size : Math.min(fault.resetAfterBytes, size);
  if (rate === undefined && cutAt === size) return void res.end(file.bytes);
  const chunk = rate === undefined ? CHUNK_BYTES : Math.max(1, Math.floor((rate * SLOW_TICK_MS) / 1000));
  let sent = 0;
  while (sent < cutAt && !res.destroyed) {
    const piece = file.bytes.subarray(sent, Math.min(sent + chunk, cutAt));
    await new Promise<void>((resolve) => {
      // A client that hangs up mid-body must not leave this waiting for a flush that never comes.
      res.once('close', resolve);
      res.write(piece, () => {
        res.off('close', resolve);
        resolve();
      });
    });
    sent += piece.length;
    if (rate !== undefined && sent < size) await sleep((piece.length / rate) * 1000);
  }
  if (res.destroyed) return;
  if (cutAt < size) return void res.destroy();
  res.end();
}

/**
 * A sliding one-second window (or any length): `admit` takes a request and answers undefined,
 * or refuses it with the whole seconds until the oldest admitted one leaves the window
 * (`Retry-After`, at least 1). Refused requests do not count, so a client that waits that
 * long is admitted.
 */
export class SlidingWindow {
  private readonly admitted: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  admit(now: number): number | undefined {
    while (this.admitted.length > 0 && this.admitted[0]! <= now - this.windowMs) this.admitted.shift();
    if (this.admitted.length < this.limit) {
      this.admitted.push(now);
      return undefined;
    }
    return Math.max(1, Math.ceil((this.admitted[0]! + this.windowMs - now) / 1000));
  }

  clear(): void {
    this.admitted.length = 0;
  }
}

/** The most of `times` (ms, in arrival order) that fall within any one second. */
export function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while (sorted[last]! - sorted[first]! >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
