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

export async function readBody(req: IncomingMessage): Promise<Body> {
  const { bytes, data } = await collect(req, MAX_BODY_BYTES);
  const tooLarge = data === undefined;
  const text = data === undefined ? '' : data.toString('utf8');
  let json: Body['json'];
  try {
    json = { ok: true, value: JSON.parse(text) };
  } catch (e: unknown) {
    json = { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  return { bytes, tooLarge, text, json };
}

/** The raw bytes of a body, or undefined when it passes `maxBytes`. */
export async function readBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return (await collect(req, maxBytes)).data;
}

function collect(req: IncomingMessage, maxBytes: number): Promise<{ bytes: number; data: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Keep draining past the limit so the client reads our 413 instead of an EPIPE.
      if (bytes <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve({ bytes, data: bytes > maxBytes ? undefined : Buffer.concat(chunks) }));
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
