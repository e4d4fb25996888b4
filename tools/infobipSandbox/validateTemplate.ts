/**
 * The template shapes of OMNI's `whatsApp` (POST /omni/1/advanced), as strictly as Infobip
 * documents them, and how WhatsApp then judges a template against the sender's catalogue.
 *
 * Shapes: WhatsAppData templateName, templateNamespace, templateData, language and
 * mediaTemplateData; MediaTemplateData (header, body required, buttons),
 * MediaTemplateHeaderContent, MediaTemplateBodyContent and MediaTemplateButtonContent, in
 * api-evangelist/infobip openapi/infobip-omni-failover-openapi.json v3.210.0. The spec marks
 * every header field "required", each with "Required for templates that contain a … header":
 * read as one header kind per message (textPlaceholder; imageUrl; videoUrl; documentUrl with
 * documentFilename; latitude with longitude), which is what the sandbox holds a request to.
 * How WhatsApp then judges a template by the sender's catalogue: ./templates.ts.
 */
import type { MediaKey } from './validate';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;
const nonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

export interface OmniTemplateHeader {
  textPlaceholder?: string;
  imageUrl?: string;
  videoUrl?: string;
  documentUrl?: string;
  documentFilename?: string;
  latitude?: number;
  longitude?: number;
}

export interface OmniTemplateFields {
  templateName?: string;
  templateNamespace?: string;
  templateData?: string[];
  language?: string;
  mediaTemplateData?: {
    header?: OmniTemplateHeader;
    body: { placeholders: string[] };
    buttons?: ({ quickReplyPayload: string } | { urlPlaceholder: string })[];
  };
}

export const TEMPLATE_KEYS = ['templateName', 'templateNamespace', 'templateData', 'language', 'mediaTemplateData'] as const;
const MEDIA_TEMPLATE_KEYS: ReadonlySet<string> = new Set(['header', 'body', 'buttons']);
const HEADER_KINDS = [
  ['textPlaceholder'],
  ['imageUrl'],
  ['videoUrl'],
  ['documentUrl', 'documentFilename'],
  ['latitude', 'longitude'],
] as const;
const HEADER_KEYS: ReadonlySet<string> = new Set(HEADER_KINDS.flat());
const URL_PLACEHOLDER_MAX = 1500;
const QUICK_REPLY_PAYLOAD_MAX = 128;
const URL_MAX = 2048;

export const isTemplate = (whatsApp: Json): boolean => TEMPLATE_KEYS.some((key) => !isAbsent(whatsApp[key]));

function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string' || !URL.canParse(v)) return false;
  const u = new URL(v);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
}

function placeholdersOf(value: unknown, at: string, fail: (field: string, message: string) => void): string[] | undefined {
  if (!Array.isArray(value)) {
    fail(at, 'must not be null');
    return undefined;
  }
  const bad = value.findIndex((item) => typeof item !== 'string' || item === '');
  if (bad >= 0) {
    fail(`${at}[${bad}]`, 'must not be null or empty');
    return undefined;
  }
  return value as string[];
}

/**
 * The template fields of `whatsApp` (called by validate.ts when any is present): nothing but
 * them may be there, and they must be well formed. Returns them, or undefined after `fail`.
 */
export function validateTemplate(whatsApp: Json, fail: (field: string, message: string) => void): OmniTemplateFields | undefined {
  let valid = true;
  const problem = (field: string, message: string) => {
    valid = false;
    fail(field, message);
  };
  for (const key of Object.keys(whatsApp)) {
    if (!(TEMPLATE_KEYS as readonly string[]).includes(key) && !isAbsent(whatsApp[key])) {
      problem(`whatsApp.${key}`, 'must be absent with templateName');
    }
  }
  const { templateName, templateNamespace, templateData, language, mediaTemplateData } = whatsApp;
  if (!nonBlank(templateName)) problem('whatsApp.templateName', 'must not be blank');
  if (!nonBlank(language)) problem('whatsApp.language', 'must not be blank');
  if (!isAbsent(templateNamespace) && !nonBlank(templateNamespace)) problem('whatsApp.templateNamespace', 'must not be blank');
  const out: OmniTemplateFields = {};
  if (!isAbsent(templateData) && !isAbsent(mediaTemplateData)) {
    problem('whatsApp', 'must contain templateData or mediaTemplateData, not both');
  }
  if (!isAbsent(templateData)) {
    const data = placeholdersOf(templateData, 'whatsApp.templateData', problem);
    if (data) out.templateData = data;
  }
  if (!isAbsent(mediaTemplateData)) {
    const media = validateMediaTemplate(mediaTemplateData, problem);
    if (media) out.mediaTemplateData = media;
  }
  if (!valid) return undefined;
  out.templateName = templateName as string;
  out.language = language as string;
  if (typeof templateNamespace === 'string') out.templateNamespace = templateNamespace;
  return out;
}

function validateMediaTemplate(
  value: unknown,
  fail: (field: string, message: string) => void,
): OmniTemplateFields['mediaTemplateData'] | undefined {
  const at = 'whatsApp.mediaTemplateData';
  if (!isObject(value)) {
    fail(at, 'must be an object');
    return undefined;
  }
  let valid = true;
  const problem = (field: string, message: string) => {
    valid = false;
    fail(field, message);
  };
  for (const key of Object.keys(value)) if (!MEDIA_TEMPLATE_KEYS.has(key)) problem(`${at}.${key}`, 'unknown field');
  const body = value.body;
  let placeholders: string[] | undefined;
  if (!isObject(body)) problem(`${at}.body`, 'must not be null');
  else {
    for (const key of Object.keys(body)) if (key !== 'placeholders') problem(`${at}.body.${key}`, 'unknown field');
    placeholders = placeholdersOf(body.placeholders, `${at}.body.placeholders`, problem);
  }
  const header = isAbsent(value.header) ? undefined : validateHeader(value.header, problem);
  let buttons: NonNullable<OmniTemplateFields['mediaTemplateData']>['buttons'];
  if (!isAbsent(value.buttons)) {
    if (!Array.isArray(value.buttons)) problem(`${at}.buttons`, 'must be an array');
    else {
      buttons = [];
      value.buttons.forEach((button: unknown, i) => {
        const where = `${at}.buttons[${i}]`;
        if (!isObject(button)) return problem(where, 'must be an object');
        const keys = Object.keys(button).filter((key) => !isAbsent(button[key]));
        const unknown = keys.filter((key) => key !== 'quickReplyPayload' && key !== 'urlPlaceholder');
        if (unknown.length > 0) return problem(`${where}.${unknown[0]}`, 'unknown field');
        if (keys.length !== 1) return problem(where, 'must contain exactly one of quickReplyPayload, urlPlaceholder');
        const { quickReplyPayload, urlPlaceholder } = button;
        if (quickReplyPayload !== undefined) {
          if (typeof quickReplyPayload !== 'string' || quickReplyPayload.length > QUICK_REPLY_PAYLOAD_MAX) {
            return problem(`${where}.quickReplyPayload`, `size must be between 0 and ${QUICK_REPLY_PAYLOAD_MAX}`);
          }
          buttons?.push({ quickReplyPayload });
        } else {
          if (typeof urlPlaceholder !== 'string' || urlPlaceholder.length > URL_PLACEHOLDER_MAX) {
            return problem(`${where}.urlPlaceholder`, `size must be between 0 and ${URL_PLACEHOLDER_MAX}`);
          }
          buttons?.push({ urlPlaceholder });
        }
      });
    }
  }
  if (!valid || placeholders === undefined) return undefined;
  return { ...(header ? { header } : {}), body: { placeholders }, ...(buttons ? { buttons } : {}) };
}

function validateHeader(value: unknown, fail: (field: string, message: string) => void): OmniTemplateHeader | undefined {
  const at = 'whatsApp.mediaTemplateData.header';
  if (!isObject(value)) {
    fail(at, 'must be an object');
    return undefined;
  }
  const present = Object.keys(value).filter((key) => !isAbsent(value[key]));
  const unknown = present.filter((key) => !HEADER_KEYS.has(key));
  if (unknown.length > 0) {
    for (const key of unknown) fail(`${at}.${key}`, 'unknown field');
    return undefined;
  }
  const kind = HEADER_KINDS.find(
    (fields) => fields.every((field) => present.includes(field)) && present.length === fields.length,
  );
  if (kind === undefined) {
    fail(
      at,
      `must contain exactly one of textPlaceholder, imageUrl, videoUrl, documentUrl with documentFilename, latitude with longitude; got ${present.join(', ') || 'nothing'}`,
    );
    return undefined;
  }
  const header: OmniTemplateHeader = {};
  let valid = true;
  for (const field of kind) {
    const v = value[field];
    if (field === 'latitude' || field === 'longitude') {
      const limit = field === 'latitude' ? 90 : 180;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < -limit || v > limit) {
        fail(`${at}.${field}`, `must be between -${limit} and ${limit}`);
        valid = false;
      } else header[field] = v;
    } else if (field === 'imageUrl' || field === 'videoUrl' || field === 'documentUrl') {
      if (!isHttpUrl(v) || v.length > URL_MAX) {
        fail(`${at}.${field}`, 'must be a valid http(s) URL');
        valid = false;
      } else header[field] = v;
    } else if (!nonBlank(v)) {
      fail(`${at}.${field}`, 'must not be blank');
      valid = false;
    } else header[field] = v;
  }
  return valid ? header : undefined;
}

/** The file a media template's header points at, judged by the media rules of its kind. */
export function templateMediaOf(whatsApp: OmniTemplateFields): { key: MediaKey; url: string } | undefined {
  const header = whatsApp.mediaTemplateData?.header;
  if (header?.imageUrl !== undefined) return { key: 'imageUrl', url: header.imageUrl };
  if (header?.videoUrl !== undefined) return { key: 'videoUrl', url: header.videoUrl };
  if (header?.documentUrl !== undefined) return { key: 'fileUrl', url: header.documentUrl };
  return undefined;
}
