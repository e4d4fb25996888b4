/**
 * What a file's leading bytes say it is ("magic numbers"), for the types where that is
 * reliable, so a PDF declared as image/jpeg is refused instead of sent. The table is in
 * docs/api.md, "Content checked against its type".
 */
import { ContentMismatchError } from '../platform/errors';
import { MEDIA_KIND_NAMES, MEDIA_KINDS } from './kinds';

interface Signature {
  /** What the bytes look like, for the message: "a PDF". */
  label: string;
  /** How that shows, for the message: "starts with %PDF-". */
  shows: string;
  /** The declared media types (essence, lower case) these bytes fit. */
  types: readonly string[];
  test: (bytes: Buffer) => boolean;
  /** Leading bytes no plain text file starts with (a control character or a byte over 0x7F). */
  binary: boolean;
}

const startsWith = (prefix: readonly number[] | string) => {
  const expected = typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : Buffer.from(prefix);
  return (bytes: Buffer) => bytes.subarray(0, expected.length).equals(expected);
};

/**
 * An MPEG audio frame header: 11 sync bits, then a layer other than the reserved 00, which
 * is exactly where an ADTS header (AAC) differs, so the two never both match.
 */
const mpegFrame = (b: Buffer) => b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0 && ((b[1] ?? 0) & 0x06) !== 0;
/** ADTS: 12 sync bits and layer 00 (FFF1 / FFF9 without CRC, FFF0 / FFF8 with). */
const adts = (b: Buffer) => b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0;
const id3 = startsWith('ID3');

const OOXML = [
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
];

const SIGNATURES: readonly Signature[] = [
  { label: 'a JPEG', shows: 'starts with FF D8 FF', types: ['image/jpeg'], test: startsWith([0xff, 0xd8, 0xff]), binary: true },
  {
    label: 'a PNG',
    shows: 'starts with 89 50 4E 47 0D 0A 1A 0A',
    types: ['image/png'],
    test: startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    binary: true,
  },
  {
    label: 'a WebP image',
    shows: 'RIFF at byte 0 and WEBP at byte 8',
    types: ['image/webp'],
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
    binary: true,
  },
  { label: 'a PDF', shows: 'starts with %PDF-', types: ['application/pdf'], test: startsWith('%PDF-'), binary: false },
  {
    label: 'an Office Open XML file (ZIP)',
    shows: 'starts with PK 03 04',
    types: OOXML,
    test: startsWith([0x50, 0x4b, 0x03, 0x04]),
    binary: true,
  },
  {
    label: 'a legacy Microsoft Office file (OLE)',
    shows: 'starts with D0 CF 11 E0 A1 B1 1A E1',
    types: ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'],
    test: startsWith([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    binary: true,
  },
  { label: 'an Ogg file', shows: 'starts with OggS', types: ['audio/ogg'], test: startsWith('OggS'), binary: false },
  { label: 'an AMR file', shows: 'starts with #!AMR', types: ['audio/amr'], test: startsWith('#!AMR'), binary: false },
  {
    // The brand after `ftyp` is not reliable (3GPP files often carry isom or mp42, MP4s 3gp
    // ones), so any ftyp box fits all three.
    label: 'an MP4/3GPP file',
    shows: 'ftyp at byte 4',
    types: ['video/mp4', 'video/3gpp', 'audio/mp4'],
    test: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp',
    binary: true,
  },
  // An ID3 tag may open an AAC stream as well as an MP3, so it fits both.
  { label: 'an MP3 with an ID3 tag', shows: 'starts with ID3', types: ['audio/mpeg', 'audio/aac'], test: id3, binary: false },
  { label: 'an MP3', shows: 'starts with an MPEG audio frame header', types: ['audio/mpeg'], test: mpegFrame, binary: true },
  { label: 'an AAC stream', shows: 'starts with an ADTS header', types: ['audio/aac'], test: adts, binary: true },
  { label: 'an AAC file', shows: 'starts with ADIF', types: ['audio/aac'], test: startsWith('ADIF'), binary: false },
];

/** How many leading bytes are looked at: the signatures need 8, the text check 1 KiB. */
export const SNIFF_BYTES = 1024;
/** Base64 characters that decode to at least SNIFF_BYTES (a multiple of 4, so they decode alone). */
export const SNIFF_BASE64_CHARS = 4 * Math.ceil(SNIFF_BYTES / 3);

const UTF16_BOM = [startsWith([0xff, 0xfe]), startsWith([0xfe, 0xff])];

export type Verdict =
  | { fits: true }
  | {
      fits: false;
      /** What the bytes look like, when a signature says: its label, how it shows, the types it fits. */
      looksLike?: Pick<Signature, 'label' | 'shows' | 'types'>;
      /** Why the bytes do not fit the declared type. */
      expected: string;
    };

/**
 * Whether `bytes` (the file's first SNIFF_BYTES or all of it) fit the declared media type
 * (`essence`: lower case, no parameters). A type no signature covers fits anything, except
 * text/plain, which refuses what is clearly binary.
 */
export function checkContent(essence: string, bytes: Buffer): Verdict {
  const found = SIGNATURES.find((signature) => signature.test(bytes));
  const looksLike = found && { label: found.label, shows: found.shows, types: found.types };
  if (essence === 'text/plain') {
    // Text has no signature, and a text file may begin with ID3 or %PDF- as words: refuse only
    // bytes no text starts with, and a NUL in the first KiB. A UTF-16 byte order mark explains
    // both (FF FE is also an MPEG frame header).
    if (UTF16_BOM.some((bom) => bom(bytes))) return { fits: true };
    if (found?.binary || bytes.subarray(0, SNIFF_BYTES).includes(0)) {
      return {
        fits: false,
        looksLike,
        expected: `text, with no NUL byte in its first ${SNIFF_BYTES} bytes unless it starts with a UTF-16 byte order mark`,
      };
    }
    return { fits: true };
  }
  const own = SIGNATURES.filter((signature) => signature.types.includes(essence));
  if (own.length === 0 || own.some((signature) => signature.test(bytes))) return { fits: true };
  const expected = own.map((signature) => `${signature.label} (${signature.shows})`).join(', or ');
  return { fits: false, looksLike, expected };
}

/** "to /imchannel/sendWhatsAppVideoMessage with contentType video/mp4 or video/3gpp, or to …" */
function whereToSend(types: readonly string[]): string {
  const byRoute = new Map<string, string[]>();
  for (const type of types) {
    const kind = MEDIA_KIND_NAMES.find((name) => MEDIA_KINDS[name].contentTypes.includes(type));
    const route = kind === undefined ? undefined : `/imchannel/${MEDIA_KINDS[kind].sendTag}`;
    if (route !== undefined) byRoute.set(route, [...(byRoute.get(route) ?? []), type]);
  }
  return [...byRoute].map(([route, taken]) => `to ${route} with contentType ${taken.join(' or ')}`).join(', or ');
}

/** Refuses a file whose leading bytes contradict its declared type, saying what they look like. */
export function checkLeadingBytes(contentType: string, base64: string): void {
  const essence = contentType.split(';')[0] ?? contentType;
  const verdict = checkContent(essence, Buffer.from(base64.slice(0, SNIFF_BASE64_CHARS), 'base64'));
  if (verdict.fits) return;
  const { looksLike, expected } = verdict;
  if (looksLike === undefined) {
    throw new ContentMismatchError(
      `The content does not look like ${essence} (expected ${expected}): check that contentType is the file's real type and content the whole file in base64`,
    );
  }
  throw new ContentMismatchError(
    `The content looks like ${looksLike.label} (${looksLike.shows}), not ${essence}: send it ${whereToSend(looksLike.types)}`,
    looksLike.types,
  );
}
