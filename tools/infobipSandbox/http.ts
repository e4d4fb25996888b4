import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Far above any OMNI request; the contract only needs 1 MiB to get through. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface Body {
  bytes: number;
  tooLarge: boolean;
  text: string;
  json: { ok: true; value: unknown } | { ok: false; reason: string };
}

export function readBody(req: IncomingMessage): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Keep draining past the limit so the client reads our 413 instead of an EPIPE.
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const tooLarge = bytes > MAX_BODY_BYTES;
      const text = tooLarge ? '' : Buffer.concat(chunks).toString('utf8');
      let json: Body['json'];
      try {
        json = { ok: true, value: JSON.parse(text) };
      } catch (e: unknown) {
        json = { ok: false, reason: e instanceof Error ? e.message : String(e) };
      }
      resolve({ bytes, tooLarge, text, json });
    });
    req.on('error', reject);
    // After 'end' this is a no-op; before it, the client hung up mid-body.
    req.on('close', () => reject(new Error('client went away')));
  });
}

export function lowerCaseHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export const sha256 = (data: string | Buffer): Buffer => createHash('sha256').update(data).digest();

/** fetch() hides the useful part (ECONNREFUSED, …) in `cause`. */
export const describe = (e: unknown): string =>
  e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
