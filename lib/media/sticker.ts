/**
 * WhatsApp's sticker, as Infobip's WhatsApp API documents it (`StickerContent`, Infobip's
 * published OpenAPI specification v3.210.0): a WebP image of exactly 512×512 pixels, at most
 * 100 KB when static and 500 KB when animated. Read as thousands of bytes, the stricter
 * reading. Checked on the file's first bytes (the WebP header) and its size, before it is
 * parked or sent.
 *
 * This module imports nothing: it is a chunk of its own, loaded on a sticker's first send
 * (lib/media/kinds.ts), and a module it shared with the handler would put that module into
 * one more chunk every function holding the kinds table parses at init.
 */
export const STICKER_SIDE = 512;
export const STICKER_STATIC_MAX_BYTES = 100 * 1000;
export const STICKER_ANIMATED_MAX_BYTES = 500 * 1000;

/** Why a file is no sticker WhatsApp would show: the message for the caller, and the limit and what was found. */
export interface StickerRefusal {
  message: string;
  details: Record<string, unknown>;
}

export interface WebpHeader {
  width: number;
  height: number;
  animated: boolean;
}

const fourCc = (bytes: Buffer, at: number) => bytes.subarray(at, at + 4).toString('latin1');
const uint24 = (bytes: Buffer, at: number) => bytes.readUIntLE(at, 3);

/**
 * The canvas size and whether the image is animated, from the WebP container's first chunk
 * (`VP8X` extended, `VP8 ` lossy or `VP8L` lossless); undefined when the bytes are no WebP
 * header this reads.
 */
export function readWebpHeader(bytes: Buffer): WebpHeader | undefined {
  if (bytes.length < 30 || fourCc(bytes, 0) !== 'RIFF' || fourCc(bytes, 8) !== 'WEBP') return undefined;
  const chunk = fourCc(bytes, 12);
  if (chunk === 'VP8X') {
    // Flags at 20 (animation is bit 1), canvas width − 1 and height − 1 as 24-bit integers at 24 and 27.
    return { animated: ((bytes[20] ?? 0) & 0x02) !== 0, width: uint24(bytes, 24) + 1, height: uint24(bytes, 27) + 1 };
  }
  if (chunk === 'VP8 ') {
    // A key frame's start code 9D 01 2A at 23, then 14-bit width and height.
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return undefined;
    return { animated: false, width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    // Signature 2F at 20, then width − 1 and height − 1 in 14 bits each.
    if (bytes[20] !== 0x2f) return undefined;
    const bits = bytes.readUInt32LE(21);
    return { animated: false, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

/** Why WhatsApp would not take this file as a sticker, saying which limit and what it found; undefined when it would. */
export function stickerRefusal(start: Buffer, size: number): StickerRefusal | undefined {
  const header = readWebpHeader(start);
  if (header === undefined) {
    return {
      message:
        'A sticker must be a WebP image, and this file has no WebP header WhatsApp can read (RIFF…WEBP then a VP8, VP8L or VP8X chunk): convert it to WebP',
      details: { found: 'no WebP header' },
    };
  }
  if (header.width !== STICKER_SIDE || header.height !== STICKER_SIDE) {
    return {
      message: `A sticker must be exactly ${STICKER_SIDE}×${STICKER_SIDE} pixels; this one is ${header.width}×${header.height}: resize it`,
      details: { limit: `${STICKER_SIDE}x${STICKER_SIDE}`, found: `${header.width}x${header.height}` },
    };
  }
  const max = header.animated ? STICKER_ANIMATED_MAX_BYTES : STICKER_STATIC_MAX_BYTES;
  if (size > max) {
    const what = header.animated ? 'An animated sticker' : 'A static sticker';
    return {
      message: `${what} may be at most ${max} bytes (${max / 1000} KB); this one has ${size}: compress it`,
      details: { limit: max, found: size, animated: header.animated },
    };
  }
  return undefined;
}
