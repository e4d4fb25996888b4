/**
 * How the sandbox judges the file behind a media message, as strictly as OMNI documents it:
 * the supported types and sizes per kind are those of `WhatsAppData` (imageUrl, fileUrl,
 * audioUrl, videoUrl) in api-evangelist/infobip, openapi/infobip-omni-failover-openapi.json.
 * A file that fails any rule gets an UNDELIVERABLE report with a media error (./codes.ts),
 * never DELIVERED.
 *
 * Which media error Infobip gives for which fault is not documented beyond the codes' own
 * descriptions; the mapping below follows them: a host that does not serve the file is
 * EC_MEDIA_HOSTING_ERROR, wrong type or size metadata is EC_MEDIA_METADATA_ERROR, a type
 * outside the list is EC_MEDIA_UNSUPPORTED.
 */
import { DELIVERED, ERROR, undelivered, type Outcome } from './codes';
import type { MediaFetch } from './types';
import type { MediaKey } from './validate';

const KB = 1024;
const MB = 1024 * KB;

interface MediaRule {
  /** Media types (without parameters), lower case. */
  types: readonly string[];
  maxBytes: number;
}

/**
 * The OMNI kinds, and two of the WhatsApp API's own (`POST /whatsapp/1/message/…`, whose
 * image, document and video are judged by the OMNI rules, the same lists): its audio, which
 * also takes MP4 ("Supported audio types are AAC, AMR, MP3, MP4, OPUS", `AudioContent`), and
 * stickers, which OMNI cannot send (`StickerContent`), both in Infobip's published OpenAPI
 * specification (v3.210.0), `infobip-whatsapp-openapi.json`.
 */
export type MediaRuleKey = MediaKey | 'audio' | 'sticker';

export const MEDIA_RULES: Readonly<Record<MediaRuleKey, MediaRule>> = {
  // "Supported image types: JPG, JPEG, PNG. Maximum image size is 5MB."
  imageUrl: { types: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  // "Supported file types are PDF, DOC(X), PPT(X), XLS(X). Maximum file size is 100MB."
  fileUrl: {
    types: [
      'application/pdf',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    maxBytes: 100 * MB,
  },
  // "Supported audio types are AAC, AMR, MP3, OPUS. Maximum audio size is 16MB." OPUS travels
  // in an Ogg container (audio/ogg; codecs=opus); MP3 is audio/mpeg.
  audioUrl: { types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/ogg', 'audio/opus'], maxBytes: 16 * MB },
  // "Supported video types are MP4, 3GPP. Maximum video size is 16MB."
  videoUrl: { types: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  audio: { types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/opus'], maxBytes: 16 * MB },
  // "Supported sticker type is WebP. … Maximum size is 100KB for static sticker and 500KB for
  // animated sticker": 500 KB here, and 100 KB for a WebP without the animation flag (below).
  sticker: { types: ['image/webp'], maxBytes: 500 * KB },
};

/** A WebP is animated when its VP8X chunk's flags (byte 20) have the animation bit (0x02). */
export function isAnimatedWebp(head: Buffer): boolean {
  return (
    head.length > 20 &&
    head.toString('latin1', 0, 4) === 'RIFF' &&
    head.toString('latin1', 8, 12) === 'WEBP' &&
    head.toString('latin1', 12, 16) === 'VP8X' &&
    (head[20]! & 0x02) !== 0
  );
}
const STATIC_STICKER_MAX = 100 * KB;

export interface MediaVerdict {
  outcome: Outcome;
  /** Why the file was refused, for the sandbox's log; absent when it was fine. */
  reason?: string;
}

const essence = (contentType: string | undefined): string | undefined =>
  contentType?.split(';')[0]?.trim().toLowerCase() || undefined;

/** The first fault in Infobip's two fetches (HEAD, then GET), or DELIVERED when there is none. */
export function judgeMedia(key: MediaRuleKey, fetches: readonly MediaFetch[]): MediaVerdict {
  const rule = MEDIA_RULES[key];
  for (const f of fetches) {
    const refuse = (error: Outcome['error'], why: string): MediaVerdict => ({
      outcome: undelivered(error),
      reason: `${f.method} ${why}`,
    });
    if (f.status === 0) return refuse(ERROR.EC_MEDIA_HOSTING_ERROR, `got no answer: ${f.error ?? 'unknown error'}`);
    if (f.status >= 300 && f.status < 400) {
      return refuse(
        ERROR.EC_MEDIA_HOSTING_ERROR,
        `answered ${f.status} to ${f.headers.location ?? '?'}: redirects are not followed`,
      );
    }
    if (f.status !== 200) return refuse(ERROR.EC_MEDIA_HOSTING_ERROR, `answered ${f.status}`);
    const type = essence(f.headers['content-type']);
    if (type === undefined) return refuse(ERROR.EC_MEDIA_METADATA_ERROR, 'answered without a Content-Type');
    if (!rule.types.includes(type)) {
      return refuse(ERROR.EC_MEDIA_UNSUPPORTED, `answered ${type}, not one of ${rule.types.join(', ')}`);
    }
    const declared = f.headers['content-length'] === undefined ? undefined : Number(f.headers['content-length']);
    if (declared !== undefined && declared > rule.maxBytes) {
      return refuse(ERROR.EC_MEDIA_METADATA_ERROR, `declared ${declared} bytes, over the ${rule.maxBytes} allowed`);
    }
    if (f.method === 'GET') {
      if (declared !== undefined && f.bodyBytes !== declared) {
        return refuse(ERROR.EC_MEDIA_METADATA_ERROR, `sent ${f.bodyBytes ?? 0} bytes for a Content-Length of ${declared}`);
      }
      if (f.error !== undefined) return refuse(ERROR.EC_MEDIA_HOSTING_ERROR, `body failed: ${f.error}`);
      if ((f.bodyBytes ?? 0) > rule.maxBytes) {
        return refuse(ERROR.EC_MEDIA_METADATA_ERROR, `sent ${f.bodyBytes} bytes, over the ${rule.maxBytes} allowed`);
      }
      const head = f.bodyHead === undefined ? undefined : Buffer.from(f.bodyHead, 'hex');
      if (key === 'sticker' && head && !isAnimatedWebp(head) && (f.bodyBytes ?? 0) > STATIC_STICKER_MAX) {
        return refuse(
          ERROR.EC_MEDIA_METADATA_ERROR,
          `sent a static sticker of ${f.bodyBytes} bytes, over the ${STATIC_STICKER_MAX} allowed`,
        );
      }
    }
  }
  const [head, get] = fetches;
  if (head && get && essence(head.headers['content-type']) !== essence(get.headers['content-type'])) {
    return {
      outcome: undelivered(ERROR.EC_MEDIA_METADATA_ERROR),
      reason: `HEAD said ${head.headers['content-type']}, GET ${get.headers['content-type']}`,
    };
  }
  return { outcome: DELIVERED };
}
