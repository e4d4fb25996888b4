import { randomBytes } from 'node:crypto';

/**
 * Real leading bytes for each media type the send routes take (written out here rather than
 * taken from lib/media/magic.ts, so a wrong signature there fails the tests that use these).
 */
const LEADING: Record<string, Buffer> = {
  'image/jpeg': Buffer.from('ffd8ffe000104a46494600', 'hex'),
  'image/png': Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
  'application/pdf': Buffer.from('%PDF-1.7\n'),
  'application/msword': Buffer.from('d0cf11e0a1b11ae1', 'hex'),
  'application/vnd.ms-excel': Buffer.from('d0cf11e0a1b11ae1', 'hex'),
  'application/vnd.ms-powerpoint': Buffer.from('d0cf11e0a1b11ae1', 'hex'),
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': Buffer.from('504b0304140006000800', 'hex'),
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': Buffer.from('504b0304140006000800', 'hex'),
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': Buffer.from('504b0304140006000800', 'hex'),
  'audio/aac': Buffer.from('fff15080', 'hex'),
  'audio/amr': Buffer.from('#!AMR\n'),
  'audio/mpeg': Buffer.from('4944330400000000', 'hex'),
  'audio/mp4': Buffer.from('0000001c667479704d344120', 'hex'),
  'audio/ogg': Buffer.from('4f67675300020000', 'hex'),
  'video/mp4': Buffer.from('000000186674797069736f6d', 'hex'),
  'video/3gpp': Buffer.from('0000001466747970336770340000', 'hex'),
  // RIFF, a size, WEBP, then a VP8X chunk: no animation, a 512×512 canvas (width − 1 and height − 1 = 0x1FF).
  'image/webp': Buffer.from('52494646000000005745425056503858' + '0a000000' + '00000000' + 'ff0100' + 'ff0100', 'hex'),
};

/** The real leading bytes of a type (empty for text/plain and for a type without a signature). */
export const leadingBytes = (contentType: string): Buffer => LEADING[essenceOf(contentType)] ?? Buffer.alloc(0);

const essenceOf = (contentType: string) => (contentType.split(';')[0] ?? '').trim().toLowerCase();

const TEXT = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.\n';

/**
 * `size` bytes that pass the check of the declared type (`audio/ogg; codecs=opus` works):
 * its real leading bytes, then random ones; printable text for text/plain; only random
 * bytes for a type that has no signature (one the routes refuse anyway).
 */
export function sampleFile(contentType: string, size: number): Buffer {
  if (essenceOf(contentType) === 'text/plain') {
    const bytes = randomBytes(size);
    return Buffer.from(Array.from(bytes, (byte) => TEXT.charCodeAt(byte % TEXT.length)));
  }
  const leading = leadingBytes(contentType);
  return Buffer.concat([leading, randomBytes(Math.max(0, size - leading.length))]).subarray(0, size);
}
