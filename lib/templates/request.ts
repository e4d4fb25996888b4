import * as z from '../platform/schema';
import { BadRequestError } from '../platform/errors';
import { sendFields } from '../outbound/send';
import type { MessageOf, TemplateHeaderOut } from '../outbound/message';
import type { Catalogue } from './catalogue';
import { headerUrlSchema } from '../media/headerFile';

export { HEADER_KINDS, headerFileOf, type HeaderFile } from '../media/headerFile';

/**
 * The body of `POST /imchannel/sendWhatsAppTemplateMessage` and the OMNI `whatsApp` object it
 * becomes. OMNI's fields (WhatsAppData templateName, templateNamespace, templateData,
 * language, mediaTemplateData; MediaTemplateData, MediaTemplateHeaderContent,
 * MediaTemplateBodyContent, MediaTemplateButtonContent) are those of api-evangelist/infobip
 * openapi/infobip-omni-failover-openapi.json v3.210.0; the limits below are its own where it
 * gives one (urlPlaceholder 1500, quickReplyPayload 128, latitude −90..90, longitude
 * −180..180) and WhatsApp's template rules where it does not (openapi/infobip-whatsapp-openapi.json:
 * a template name of at most 512 characters, a header text of at most 60, at most 10 buttons).
 */

export const TEMPLATE_NAME_MAX = 512;
export const TEMPLATE_NAMESPACE_MAX = 256;
export const PLACEHOLDER_MAX = 1024;
export const PLACEHOLDERS_MAX = 100;
export const HEADER_TEXT_MAX = 60;
export const BUTTONS_MAX = 10;
export const URL_PLACEHOLDER_MAX = 1500;
export const QUICK_REPLY_PAYLOAD_MAX = 128;
export const HEADER_URL_MAX = 2048;
export const FILE_NAME_MAX = 240;
export const CONTENT_TYPE_MAX = 255;

/**
 * Characters the JSON around a header's `content` can hold at most, every field at its
 * limit: what the body limit adds to the file's base64 (lib/templates/send.ts).
 */
export const TEMPLATE_ENVELOPE_CHARS =
  TEMPLATE_NAME_MAX +
  TEMPLATE_NAMESPACE_MAX +
  16 +
  PLACEHOLDERS_MAX * (PLACEHOLDER_MAX + 3) +
  FILE_NAME_MAX +
  CONTENT_TYPE_MAX +
  BUTTONS_MAX * (URL_PLACEHOLDER_MAX + 40) +
  // callbackData, messageId, infobip baseUrl + apiKey + scenarioKey + sender, to
  4000 +
  200 +
  2048 +
  1024 +
  256 +
  16 +
  16;

const nonBlank = (max: number) =>
  z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(max),
    z.refine((value) => value.trim() !== '', 'must not be blank'),
  );

const httpUrl = headerUrlSchema;

/** An IMAGE, VIDEO or DOCUMENT header: a URL Infobip fetches, or the file itself, parked here. */
const mediaHeader = <T extends 'IMAGE' | 'VIDEO' | 'DOCUMENT'>(type: T) =>
  z.strictObject({
    type: z.literal(type),
    url: z.optional(httpUrl),
    content: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
    contentType: z.optional(z.string().check(z.minLength(1), z.maxLength(CONTENT_TYPE_MAX))),
    fileName: z.optional(nonBlank(FILE_NAME_MAX)),
  });

export const templateHeaderSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('TEXT'), text: nonBlank(HEADER_TEXT_MAX) }),
  mediaHeader('IMAGE'),
  mediaHeader('VIDEO'),
  mediaHeader('DOCUMENT'),
  z.strictObject({
    type: z.literal('LOCATION'),
    latitude: z.number().check(z.gte(-90), z.lte(90)),
    longitude: z.number().check(z.gte(-180), z.lte(180)),
  }),
]);

export const templateButtonSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('QUICK_REPLY'), payload: nonBlank(QUICK_REPLY_PAYLOAD_MAX) }),
  z.strictObject({ type: z.literal('URL'), parameter: nonBlank(URL_PLACEHOLDER_MAX) }),
]);

export const templateSendSchema = z.object({
  ...sendFields,
  templateName: nonBlank(TEMPLATE_NAME_MAX),
  templateNamespace: z.optional(nonBlank(TEMPLATE_NAMESPACE_MAX)),
  // WhatsApp's codes: `en`, `fil`, `en_GB`, `zh_HK` (the Language enum of the WhatsApp spec).
  language: z
    .string()
    .check(z.regex(/^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$/, 'must be the code the template was registered with, like en or en_GB')),
  // OMNI: "Values within the array must not be null or empty".
  placeholders: z.optional(z.array(nonBlank(PLACEHOLDER_MAX)).check(z.maxLength(PLACEHOLDERS_MAX))),
  header: z.optional(templateHeaderSchema),
  buttons: z.optional(z.array(templateButtonSchema).check(z.minLength(1), z.maxLength(BUTTONS_MAX))),
});

export type TemplateSend = z.infer<typeof templateSendSchema>;
export type TemplateHeader = z.infer<typeof templateHeaderSchema>;

/** The template as the transports take it (lib/outbound/message.ts); `headerUrl`: the parked file's URL. */
export function templateMessage(body: TemplateSend, headerUrl?: string): MessageOf<'template'> {
  const header = body.header;
  let out: TemplateHeaderOut | undefined;
  if (header?.type === 'TEXT' || header?.type === 'LOCATION') out = header;
  else if (header !== undefined) {
    const url = headerUrl ?? (header.url as string);
    out =
      header.type === 'DOCUMENT' ? { type: 'DOCUMENT', url, fileName: header.fileName as string } : { type: header.type, url };
  }
  return {
    kind: 'template',
    template: {
      templateName: body.templateName,
      ...(body.templateNamespace === undefined ? {} : { templateNamespace: body.templateNamespace }),
      language: body.language,
      placeholders: body.placeholders ?? [],
      ...(out === undefined ? {} : { header: out }),
      ...(body.buttons === undefined ? {} : { buttons: body.buttons }),
    },
  };
}

const headerName = (format: string | undefined) => (format === undefined ? 'no header' : `a ${format} header`);

/**
 * Refuses a send the cached catalogue says WhatsApp would fail: an unknown name or
 * language, a body placeholder count that differs, a header of another kind.
 */
export function checkAgainstCatalogue(catalogue: Catalogue, body: TemplateSend): void {
  const named = catalogue.templates.filter((t) => t.name === body.templateName);
  const hint = `GET /imchannel/templates?sender=${catalogue.sender} lists them (as of ${catalogue.fetchedAt})`;
  if (named.length === 0) {
    throw new BadRequestError(
      'TEMPLATE_UNKNOWN',
      `Sender ${catalogue.sender} has no template named "${body.templateName}": ${hint}`,
      { templateName: body.templateName, sender: catalogue.sender },
    );
  }
  const template = named.find((t) => t.language === body.language);
  if (template === undefined) {
    const languages = named.map((t) => t.language);
    throw new BadRequestError(
      'TEMPLATE_LANGUAGE_UNKNOWN',
      `Template "${body.templateName}" has no "${body.language}" version; it has ${languages.join(', ')}`,
      { templateName: body.templateName, language: body.language, languages },
    );
  }
  const given = body.placeholders?.length ?? 0;
  if (given !== template.body.placeholders) {
    throw new BadRequestError(
      'TEMPLATE_PLACEHOLDERS_MISMATCH',
      `Template "${body.templateName}" (${body.language}) takes ${template.body.placeholders} body placeholder(s); the request has ${given}`,
      { templateName: body.templateName, language: body.language, expected: template.body.placeholders, given },
    );
  }
  const wanted = template.header?.format;
  const sent = body.header?.type;
  // A TEXT header without a placeholder needs nothing from the request.
  const headerNeeded = wanted !== undefined && !(wanted === 'TEXT' && template.header?.placeholders === 0);
  if ((headerNeeded && sent !== wanted) || (sent !== undefined && sent !== wanted)) {
    throw new BadRequestError(
      'TEMPLATE_HEADER_MISMATCH',
      `Template "${body.templateName}" (${body.language}) has ${headerName(wanted)}; the request has ${headerName(sent)}`,
      { templateName: body.templateName, language: body.language, expected: wanted ?? null, given: sent ?? null },
    );
  }
}
