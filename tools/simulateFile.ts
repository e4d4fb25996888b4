/**
 * `npm run simulate -- inbound --file <path>`: a customer sending a file. The file is told to
 * the running sandbox through its local-only helper `POST /sandbox/inboundMedia`
 * (tools/infobipSandbox/whatsapp/local.ts), which serves it at Infobip's inbound media path
 * behind the API key, as Infobip does; the webhook then carries that URL, with the WhatsApp
 * message type the file's leading bytes (else its extension) make it.
 */
import { basename, extname } from 'node:path';

export type InboundFileType = 'IMAGE' | 'VIDEO' | 'AUDIO' | 'STICKER' | 'DOCUMENT';

interface Kind {
  type: InboundFileType;
  contentType: string;
}

const BY_EXTENSION: Record<string, Kind> = {
  '.jpg': { type: 'IMAGE', contentType: 'image/jpeg' },
  '.jpeg': { type: 'IMAGE', contentType: 'image/jpeg' },
  '.png': { type: 'IMAGE', contentType: 'image/png' },
  '.mp4': { type: 'VIDEO', contentType: 'video/mp4' },
  '.ogg': { type: 'AUDIO', contentType: 'audio/ogg' },
  '.mp3': { type: 'AUDIO', contentType: 'audio/mpeg' },
  '.aac': { type: 'AUDIO', contentType: 'audio/aac' },
  '.amr': { type: 'AUDIO', contentType: 'audio/amr' },
  '.m4a': { type: 'AUDIO', contentType: 'audio/mp4' },
  '.webp': { type: 'STICKER', contentType: 'image/webp' },
  '.pdf': { type: 'DOCUMENT', contentType: 'application/pdf' },
  '.txt': { type: 'DOCUMENT', contentType: 'text/plain' },
  '.docx': {
    type: 'DOCUMENT',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  },
  '.xlsx': { type: 'DOCUMENT', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
};

const latin1 = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');

/** What the leading bytes say, when they say something WhatsApp sorts by. */
function bySignature(bytes: Buffer): Kind | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return BY_EXTENSION['.jpg'];
  if (latin1(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return BY_EXTENSION['.png'];
  if (latin1(bytes, 0, 4) === 'RIFF' && latin1(bytes, 8, 12) === 'WEBP') return BY_EXTENSION['.webp'];
  if (latin1(bytes, 0, 4) === 'OggS') return BY_EXTENSION['.ogg'];
  if (latin1(bytes, 0, 6) === '#!AMR\n') return BY_EXTENSION['.amr'];
  if (latin1(bytes, 0, 3) === 'ID3') return BY_EXTENSION['.mp3'];
  if (latin1(bytes, 0, 5) === '%PDF-') return BY_EXTENSION['.pdf'];
  // ISO base media: an `ftyp` box first, whose brand tells audio-only (M4A) from video.
  if (latin1(bytes, 4, 8) === 'ftyp') {
    return latin1(bytes, 8, 12).startsWith('M4A') ? BY_EXTENSION['.m4a'] : BY_EXTENSION['.mp4'];
  }
  // MPEG audio sync bits: ADTS (AAC) has 12 and layer 00, an MP3 frame 11 and any other layer.
  const second = bytes[1] ?? 0;
  if (bytes[0] === 0xff && (second & 0xf6) === 0xf0) return BY_EXTENSION['.aac'];
  if (bytes[0] === 0xff && (second & 0xe0) === 0xe0 && (second & 0x06) !== 0) return BY_EXTENSION['.mp3'];
  return undefined;
}

/**
 * The WhatsApp message type and content type of a file: its leading bytes first (a PNG
 * named .jpg is an image/png), else its extension; anything else is a DOCUMENT.
 */
export function guessInboundFile(name: string, bytes: Buffer): Kind {
  return (
    bySignature(bytes) ??
    BY_EXTENSION[extname(name).toLowerCase()] ?? { type: 'DOCUMENT', contentType: 'application/octet-stream' }
  );
}

export interface RegisteredFile {
  name: string;
  type: InboundFileType;
  contentType: string;
  size: number;
  sha256: string;
  mediaId: string;
  url: string;
}

/** Has the sandbox keep the file for `sender`; `via` redirect serves it through the sandbox's CDN. */
export async function registerInboundFile(
  sandboxUrl: string,
  file: { path: string; bytes: Buffer },
  opts: { sender: string; via?: string },
): Promise<RegisteredFile> {
  const { path, bytes } = file;
  const { type, contentType } = guessInboundFile(path, bytes);
  const query = new URLSearchParams({ sender: opts.sender, ...(opts.via === undefined ? {} : { via: opts.via }) });
  const res = await fetch(`${sandboxUrl}/sandbox/inboundMedia?${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: bytes,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /sandbox/inboundMedia answered ${res.status} ${text}`);
  const added = JSON.parse(text) as { mediaId: string; url: string; sha256: string; size: number };
  return { name: basename(path), type, contentType, ...added };
}
