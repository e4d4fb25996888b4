/**
 * The sandbox's template catalogues and how WhatsApp judges a template by them. A catalogue
 * is in the shape of `GET /whatsapp/2/senders/{sender}/templates` (TemplatesApiResponse and
 * TemplateApiResponse in api-evangelist/infobip openapi/infobip-whatsapp-openapi.json).
 */
import { ERROR, type ReportError } from './codes';
import type { OmniTemplateFields, OmniTemplateHeader } from './validateTemplate';

/** One template of a sender's catalogue, in the shape of the WhatsApp API's TemplateApiResponse. */
export interface SandboxTemplate {
  id: string;
  businessAccountId: number;
  name: string;
  language: string;
  status: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  structure: {
    header?: { format: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION'; text?: string };
    body: { text: string };
    footer?: { text: string };
    buttons?: { type: 'QUICK_REPLY' | 'URL'; text: string; url?: string }[];
    type: 'TEXT' | 'MEDIA';
  };
  quality?: string;
  createdAt?: string;
  lastUpdatedAt?: string;
}

const countPlaceholders = (text: string | undefined): number =>
  new Set([...(text ?? '').matchAll(/\{\{\s*([^{}\s][^{}]*?)\s*\}\}/g)].map((m) => m[1])).size;

const HEADER_FORMAT_OF: Record<keyof OmniTemplateHeader, string> = {
  textPlaceholder: 'TEXT',
  imageUrl: 'IMAGE',
  videoUrl: 'VIDEO',
  documentUrl: 'DOCUMENT',
  documentFilename: 'DOCUMENT',
  latitude: 'LOCATION',
  longitude: 'LOCATION',
};

/**
 * How WhatsApp takes a template, for the report. Infobip accepts an OMNI template at once
 * (200, PENDING: the request is well formed) and learns whether WhatsApp takes it only
 * later, so a bad one ends in an UNDELIVERABLE report whose error is, from the "Chat error
 * codes" registry (api-evangelist/infobip errors/infobip-error-codes.yml): EC_INVALID_TEMPLATE
 * (7009, "an invalid or incorrect message template") for a name or language the sender has
 * no approved template for, EC_INVALID_TEMPLATE_ARGS (7008, "invalid or missing parameters")
 * for placeholders, header or buttons that do not fit it. Undefined: the template is fine.
 */
export function judgeTemplate(
  catalogue: readonly SandboxTemplate[],
  whatsApp: OmniTemplateFields,
): { error: ReportError; reason: string } | undefined {
  const template = catalogue.find((t) => t.name === whatsApp.templateName && t.language === whatsApp.language);
  if (template === undefined || template.status !== 'APPROVED') {
    const why = template === undefined ? 'no such template' : `its status is ${template.status}`;
    return { error: ERROR.EC_INVALID_TEMPLATE, reason: `${whatsApp.templateName} (${whatsApp.language}): ${why}` };
  }
  const args = (reason: string) => ({ error: ERROR.EC_INVALID_TEMPLATE_ARGS, reason: `${template.name}: ${reason}` });
  const media = whatsApp.mediaTemplateData;
  const given = media?.body.placeholders ?? whatsApp.templateData ?? [];
  const wanted = countPlaceholders(template.structure.body.text);
  if (given.length !== wanted) return args(`${given.length} body placeholder(s) for ${wanted}`);
  const header = template.structure.header;
  const sentHeader = media?.header;
  const sentFormat =
    sentHeader === undefined ? undefined : HEADER_FORMAT_OF[Object.keys(sentHeader)[0] as keyof OmniTemplateHeader];
  const needsHeader = header !== undefined && !(header.format === 'TEXT' && countPlaceholders(header.text) === 0);
  if ((needsHeader && sentFormat !== header?.format) || (sentFormat !== undefined && sentFormat !== header?.format)) {
    return args(`a ${sentFormat ?? 'missing'} header for ${header === undefined ? 'none' : `a ${header.format} one`}`);
  }
  const buttons = template.structure.buttons ?? [];
  const sentButtons = media?.buttons ?? [];
  if (sentButtons.length > buttons.length) return args(`${sentButtons.length} button(s) for ${buttons.length}`);
  for (const [i, sent] of sentButtons.entries()) {
    const button = buttons[i];
    const kind = 'quickReplyPayload' in sent ? 'QUICK_REPLY' : 'URL';
    if (button?.type !== kind) return args(`button ${i + 1} is ${kind}, the template's is ${button?.type}`);
  }
  const dynamicUrls = buttons.filter((b) => b.type === 'URL' && countPlaceholders(b.url) > 0).length;
  const sentUrls = sentButtons.filter((b) => 'urlPlaceholder' in b).length;
  if (sentUrls !== dynamicUrls) return args(`${sentUrls} URL placeholder(s) for ${dynamicUrls} dynamic URL button(s)`);
  return undefined;
}

const created = '2025-01-01T00:00:00.000+0000';
const template = (
  id: string,
  name: string,
  language: string,
  category: SandboxTemplate['category'],
  structure: Omit<SandboxTemplate['structure'], 'type'>,
): SandboxTemplate => ({
  id,
  businessAccountId: 222,
  name,
  language,
  status: 'APPROVED',
  category,
  structure: { ...structure, type: structure.header && structure.header.format !== 'TEXT' ? 'MEDIA' : 'TEXT' },
  quality: 'HIGH',
  createdAt: created,
  lastUpdatedAt: created,
});

/** The catalogue a sandbox starts with (and returns to on reset), for its business number. */
export function defaultTemplates(): SandboxTemplate[] {
  return [
    template('1001', 'order_update', 'en', 'UTILITY', { body: { text: 'Hello {{1}}, your order {{2}} has shipped.' } }),
    template('1002', 'order_update', 'es', 'UTILITY', { body: { text: 'Hola {{1}}, tu pedido {{2}} ha sido enviado.' } }),
    template('1003', 'ticket_followup', 'en', 'UTILITY', {
      header: { format: 'TEXT', text: 'Ticket {{1}}' },
      body: { text: 'We are still working on your request. Reply to continue the conversation.' },
      buttons: [
        { type: 'QUICK_REPLY', text: 'Continue' },
        { type: 'QUICK_REPLY', text: 'Close' },
      ],
    }),
    template('1004', 'welcome_offer', 'en', 'MARKETING', {
      header: { format: 'IMAGE' },
      body: { text: 'Hi {{1}}, here is your welcome offer.' },
      footer: { text: 'Reply STOP to opt out' },
      buttons: [{ type: 'URL', text: 'See the offer', url: 'https://shop.example.com/offer/{{1}}' }],
    }),
    template('1005', 'invoice_ready', 'en', 'UTILITY', {
      header: { format: 'DOCUMENT' },
      body: { text: 'Your invoice {{1}} is attached.' },
    }),
    template('1006', 'product_video', 'en', 'MARKETING', { header: { format: 'VIDEO' }, body: { text: 'See {{1}} in action.' } }),
    template('1007', 'store_location', 'en', 'UTILITY', {
      header: { format: 'LOCATION' },
      body: { text: 'Our store is open until 8 pm.' },
    }),
  ];
}
