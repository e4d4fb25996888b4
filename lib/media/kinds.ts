import type { MessageOf } from '../outbound/message';
import { StickerRefusedError } from '../platform/errors';

/**
 * The media kinds of CONTRACT sections 3 and 4. They differ only in the data below; the
 * send and fetch handlers are shared (lib/media/send.ts, lib/media/fetch.ts), and each
 * transport maps the kind's message (lib/outbound/transports).
 */

export type MediaKind = 'image' | 'document' | 'audio' | 'video' | 'sticker';

export interface MediaKindSpec {
  kind: MediaKind;
  /** Lambda function name and log tag of the send function. */
  sendTag: string;
  /** Lambda function name and log tag of the fetch function. */
  fetchTag: string;
  /** Path segment, under IMCHANNEL_PUBLIC_URL, that Infobip fetches the file from. */
  route: string;
  /** The message of a file at `url`; `caption` only where the kind shows one. */
  message: (url: string, file: { caption?: string; fileName: string }) => MessageOf<MediaKind>;
  /** Media types (without parameters), lower case. */
  contentTypes: readonly string[];
  /** The kind's own rules on the file's first bytes and its size (a sticker's pixels and limits); rejects with a 4xx. */
  checkFile?: (start: Buffer, size: number) => Promise<void>;
}

function spec(
  kind: MediaKind,
  name: string,
  // WhatsApp shows no caption under a voice note or a sticker.
  captioned: boolean,
  contentTypes: readonly string[],
): MediaKindSpec {
  return {
    kind,
    sendTag: `sendWhatsApp${name}Message`,
    fetchTag: `onGet${name}Message`,
    route: `get${name}Message`,
    message: (url, file) =>
      (captioned ? { kind, url, caption: file.caption, fileName: file.fileName } : { kind, url }) as MessageOf<MediaKind>,
    contentTypes,
  };
}

/**
 * The types each kind takes. `text/plain` documents and `audio/mp4` are outside the lists
 * of OMNI's `fileUrl`/`audioUrl` descriptions but inside Infobip's WhatsApp API lists for
 * the same channel ("PDF, TXT, XLS…", "AAC, AMR, MP3, MP4, OPUS": api-evangelist/infobip
 * openapi/infobip-whatsapp-openapi.json; OMNI's in openapi/infobip-omni-failover-openapi.json),
 * and in the contract, so they stay; docs/api.md says what happens should Infobip refuse one.
 */
export const MEDIA_KINDS: Readonly<Record<MediaKind, MediaKindSpec>> = {
  image: spec('image', 'Image', true, ['image/jpeg', 'image/png']),
  document: spec('document', 'Document', true, [
    'application/pdf',
    'application/msword',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/vnd.ms-excel',
    'application/vnd.ms-powerpoint',
    'text/plain',
  ]),
  audio: spec('audio', 'Audio', false, ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg']),
  video: spec('video', 'Video', true, ['video/mp4', 'video/3gpp']),
  // A WebP image of 512×512 (lib/media/sticker.ts checks it); only the WhatsApp API carries one.
  // The check is a chunk of its own, loaded when the first sticker is checked: every function
  // that holds this table (the other sends, the fetches, the upload route) would otherwise
  // parse it at init without ever running it.
  sticker: {
    ...spec('sticker', 'Sticker', false, ['image/webp']),
    checkFile: async (start, size) => {
      const refusal = (await import('./sticker')).stickerRefusal(start, size);
      if (refusal !== undefined) throw new StickerRefusedError(refusal.message, refusal.details);
    },
  },
};

export const MEDIA_KIND_NAMES = Object.keys(MEDIA_KINDS) as MediaKind[];

export const isMediaKind = (value: unknown): value is MediaKind => typeof value === 'string' && Object.hasOwn(MEDIA_KINDS, value);

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// Parameter values are limited to printable ASCII, so the stored type is always a safe
// header value when it is served back as Content-Type.
const QUOTED = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"';
/** Built from parts for reading; exported so that the ReDoS test checks it like every literal. */
export const CONTENT_TYPE = new RegExp(`^(${TOKEN}/${TOKEN})((?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*)[ \\t]*$`);

/**
 * The content type as it will be stored and served: the media type in lower case and any
 * parameters as given (`audio/ogg; codecs=opus`), or undefined when the kind does not
 * allow it or it is not a well-formed media type.
 */
export function allowedContentType(spec: MediaKindSpec, contentType: string): string | undefined {
  const match = CONTENT_TYPE.exec(contentType.trim());
  if (!match?.[1]) return undefined;
  const essence = match[1].toLowerCase();
  if (!spec.contentTypes.includes(essence)) return undefined;
  return `${essence}${(match[2] ?? '').trim()}`;
}
