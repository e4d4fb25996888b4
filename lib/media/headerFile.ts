import * as z from '../platform/schema';
import { randomUUID } from 'node:crypto';
import type { MediaConfig } from '../platform/config';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, reasonOf } from '../platform/errors';
import type { TaggedLogger } from '../platform/log';
import { countFailedSend } from '../outbound/send';
import { MEDIA_KINDS, allowedContentType, type MediaKind } from './kinds';
import type { NamedUpload } from './sendStored';
import { base64DecodedBytes, isCanonicalBase64 } from './format';
import { checkLeadingBytes } from './magic';
import type { MediaStore } from './store';
import { removeUnclaimedFile } from './send';

/**
 * A message header's file (a template's, an interactive message's): a URL Infobip fetches,
 * or the file itself, checked as a media send checks one, parked under the claim like a
 * media send's, served by the kind's fetch route, and deleted again when Infobip refuses;
 * or, where the route takes uploads, an upload's `mediaId`, checked and served as a media
 * send's upload (./sendStored.ts).
 */

/** A header file's URL: absolute http(s), at most 2048 characters (every header `mediaUrl` of Infobip's specification). */
export const headerUrlSchema = z.string().check(
  z.maxLength(2048, 'must be at most 2048 characters'),
  z.refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  }, 'must be an absolute http(s) URL that Infobip can fetch'),
);

export const HEADER_KINDS: Readonly<Record<'IMAGE' | 'VIDEO' | 'DOCUMENT', MediaKind>> = {
  IMAGE: 'image',
  VIDEO: 'video',
  DOCUMENT: 'document',
};

/** A media header's file, when it carries one rather than a URL. */
export interface HeaderFile {
  kind: MediaKind;
  content: string;
  contentType: string;
  fileName: string;
}

/** What a media header may hold, whichever message it heads. */
export interface MediaHeaderInput {
  type: string;
  url?: string;
  content?: string;
  contentType?: string;
  fileName?: string;
  /** An upload of POST /imchannel/media, where the route takes one. */
  mediaId?: string;
}

/**
 * The rules a schema cannot say well: a media header has exactly one source (a URL, the
 * file, or with `uploads` an upload's mediaId), a file comes with its type and name, a
 * DOCUMENT header with `nameRequired` always has a name (OMNI's documentFilename). Returns
 * the file to park, if any.
 */
export function headerFileOf(
  header: MediaHeaderInput | undefined,
  options: { nameRequired: boolean; uploads?: boolean },
): HeaderFile | undefined {
  if (header === undefined || !(header.type in HEADER_KINDS)) return undefined;
  const type = header.type as keyof typeof HEADER_KINDS;
  const issues: { path: string; message: string }[] = [];
  const hasUrl = header.url !== undefined;
  const hasContent = header.content !== undefined;
  const sources = [hasUrl, hasContent, header.mediaId !== undefined].filter(Boolean).length;
  if (sources !== 1) {
    const upload = options.uploads === true ? ' or mediaId (an upload of POST /imchannel/media)' : '';
    issues.push({
      path: 'header',
      message:
        sources > 1
          ? options.uploads === true
            ? 'give only one of url, content or mediaId'
            : 'give either url or content, not both'
          : `an ${type} header needs url (where Infobip fetches the file), content (the file, base64)${upload}`,
    });
  }
  if (hasContent && header.contentType === undefined)
    issues.push({ path: 'header.contentType', message: 'required with content' });
  const nameNeeded = hasContent || (type === 'DOCUMENT' && options.nameRequired);
  if (nameNeeded && header.fileName === undefined) {
    issues.push({
      path: 'header.fileName',
      message: type === 'DOCUMENT' && options.nameRequired ? 'required for a DOCUMENT header' : 'required with content',
    });
  }
  if (hasUrl && type !== 'DOCUMENT' && header.contentType !== undefined) {
    issues.push({ path: 'header.contentType', message: 'only with content: Infobip learns the type from the URL' });
  }
  if (hasUrl && type !== 'DOCUMENT' && header.fileName !== undefined) {
    issues.push({
      path: 'header.fileName',
      message: `only with content, or for a DOCUMENT header: an ${type} header shows no name`,
    });
  }
  if (issues.length > 0) throw new ValidationError('Request body failed validation', issues);
  if (!hasContent) return undefined;
  return {
    kind: HEADER_KINDS[type],
    content: header.content as string,
    contentType: header.contentType as string,
    fileName: header.fileName as string,
  };
}

/**
 * The upload a header names by `mediaId`, once `headerFileOf` has checked its fields: a
 * `fileName` or `contentType` given beside it must be the upload's (./sendStored.ts).
 */
export function headerUploadOf(header: MediaHeaderInput | undefined): NamedUpload | undefined {
  if (header?.mediaId === undefined || !(header.type in HEADER_KINDS)) return undefined;
  return {
    mediaId: header.mediaId,
    kind: HEADER_KINDS[header.type as keyof typeof HEADER_KINDS],
    ...(header.fileName === undefined ? {} : { fileName: header.fileName }),
    ...(header.contentType === undefined ? {} : { contentType: header.contentType }),
  };
}

/** The message's header type that takes an upload of `kind`, if any. */
export const headerTypeOf = (kind: MediaKind) =>
  (Object.keys(HEADER_KINDS) as (keyof typeof HEADER_KINDS)[]).find((type) => HEADER_KINDS[type] === kind);

/** The media send's checks of a file (lib/media/send.ts), for a header's; `contentTypes` narrows the kind's. */
export function checkHeaderFile(
  file: HeaderFile,
  media: MediaConfig,
  fileLimit: string,
  contentTypes?: readonly string[],
): string {
  const kind = MEDIA_KINDS[file.kind];
  const spec = contentTypes === undefined ? kind : { ...kind, contentTypes };
  const contentType = allowedContentType(spec, file.contentType);
  if (contentType === undefined) throw new UnsupportedMediaTypeError(file.contentType, spec.contentTypes);
  if (base64DecodedBytes(file.content) > media.maxBytes) throw new PayloadTooLargeError(media.maxBytes, 'File', fileLimit);
  if (!isCanonicalBase64(file.content)) {
    throw new ValidationError('Request body failed validation', [
      { path: 'header.content', message: 'must be base64 (RFC 4648 alphabet, = padding, no whitespace or line breaks)' },
    ]);
  }
  checkLeadingBytes(contentType, file.content);
  return contentType;
}

export interface ParkDeps {
  store: MediaStore;
  media: MediaConfig;
  log: TaggedLogger;
  /** Where Infobip fetches it from. */
  publicUrl: string;
}

export type Parked = {
  mediaId: string;
  mediaUrl: string;
};

/** Parks a checked header file under a fresh id; a SET whose reply was lost is deleted again before the error goes up. */
export async function parkHeaderFile(deps: ParkDeps, file: HeaderFile, contentType: string): Promise<Parked> {
  const mediaId = randomUUID();
  try {
    await deps.store.put(
      mediaId,
      { kind: file.kind, contentType, fileName: file.fileName, content: file.content },
      deps.media.ttlSeconds,
    );
  } catch (error: unknown) {
    await removeUnclaimedFile(deps.store, mediaId);
    countFailedSend(deps.log, error);
    throw error;
  }
  deps.log.metrics.record('MediaBytes', base64DecodedBytes(file.content));
  return { mediaId, mediaUrl: `${deps.publicUrl}/${MEDIA_KINDS[file.kind].route}/${mediaId}` };
}

/** Infobip refused for certain: nobody will fetch the file. Failures are logged, not thrown. */
export async function dropParked(deps: ParkDeps, parked: Parked, messageId: string | undefined): Promise<void> {
  await deps.store
    .remove(parked.mediaId)
    .catch((removeError: unknown) =>
      deps.log.error('Could not delete the header file of a refused message', { messageId, reason: reasonOf(removeError) }),
    );
}

const sizeText = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`);

/** The 413's hint for a header file over MEDIA_MAX_BYTES. */
export const headerFileLimit = (maxBytes: number) =>
  `a header file may be at most ${sizeText(maxBytes)} (MEDIA_MAX_BYTES ${maxBytes}) before base64`;
