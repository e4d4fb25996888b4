/**
 * `POST /whatsapp/1/message/template`: `BulkMessage` of `FailoverMessage`s, each with a
 * `TemplateContent`, in Infobip's published OpenAPI specification (v3.210.0),
 * `infobip-whatsapp-openapi.json`.
 *
 * The sandbox takes the template kinds a contact center sends: `TemplateDataContent` with
 * `body`, a `header` of type TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION, and QUICK_REPLY or
 * URL `buttons`. The spec's other kinds (GIF headers, COPY_CODE, FLOW, CATALOG,
 * MULTI_PRODUCT, ORDER_DETAILS and VOICE_CALL buttons, `carousel`, `limitedTimeOffer`,
 * `orderStatus`) are refused as the sandbox not knowing them, so a test cannot pass on a
 * shape nobody checked here.
 */
import type { OmniTemplateFields, OmniTemplateHeader } from '../validateTemplate';
import { checkRecipient, envelope } from './messages';
import { arr, byType, num, obj, str } from './schema';

const mediaUrl = str(1, 2048);

/** `TemplateContent` → `TemplateDataContent`. */
const templateContent = obj(
  {
    templateName: str(1, 512),
    templateData: obj(
      {
        body: obj({ placeholders: arr(str()) }, ['placeholders']),
        header: byType({
          TEXT: obj({ placeholder: str() }, ['placeholder']),
          DOCUMENT: obj({ mediaUrl, filename: str(1, 240) }, ['filename', 'mediaUrl']),
          IMAGE: obj({ mediaUrl }, ['mediaUrl']),
          VIDEO: obj({ mediaUrl }, ['mediaUrl']),
          LOCATION: obj({ latitude: num(-90, 90), longitude: num(-180, 180) }, ['latitude', 'longitude']),
        }),
        buttons: arr(
          byType({
            QUICK_REPLY: obj({ parameter: str(1, 128) }, ['parameter']),
            URL: obj({ parameter: str() }, ['parameter']),
          }),
          0,
          10,
        ),
      },
      ['body'],
    ),
    language: str(),
  },
  ['language', 'templateData', 'templateName'],
);

/** `BulkMessage`; each message a `FailoverMessage` with an optional SMS `Failover`. */
export const BULK_MESSAGE = obj(
  {
    messages: arr(
      envelope(templateContent, true, { smsFailover: obj({ from: str(1, 24), text: str(1, 4096) }, ['from', 'text']) }),
    ),
    bulkId: str(0, 100),
  },
  ['messages'],
);

export interface TemplateMessage {
  from: string;
  to: string;
  messageId?: string;
  notifyUrl?: string;
  callbackData?: string;
  content: {
    templateName: string;
    language: string;
    templateData: {
      body: { placeholders: string[] };
      header?: {
        type: string;
        placeholder?: string;
        mediaUrl?: string;
        filename?: string;
        latitude?: number;
        longitude?: number;
      };
      buttons?: { type: 'QUICK_REPLY' | 'URL'; parameter: string }[];
    };
  };
}

/**
 * The rules `TemplateContent` states in prose: a name of lowercase alphanumerics and `_`,
 * placeholders neither empty nor null; and each message's `to` (./messages.ts).
 */
export function templateProse(body: Record<string, unknown>, add: (field: string, message: string) => void): void {
  (body.messages as TemplateMessage[]).forEach((m, i) => {
    checkRecipient(m.to, `messages[${i}].to`, add);
    const at = `messages[${i}].content`;
    if (!/^[a-z0-9_]+$/.test(m.content.templateName)) {
      add(`${at}.templateName`, 'must hold only lowercase letters, digits and underscores');
    }
    m.content.templateData.body.placeholders.forEach((p, j) => {
      if (p.trim() === '') add(`${at}.templateData.body.placeholders[${j}]`, 'must not be blank');
    });
  });
}

/** The message in the fields the OMNI path judges templates by (../templates.ts, judgeTemplate). */
export function asOmniTemplate({ content }: TemplateMessage): OmniTemplateFields {
  const { header, body, buttons } = content.templateData;
  let omniHeader: OmniTemplateHeader | undefined;
  if (header?.type === 'TEXT') omniHeader = { textPlaceholder: header.placeholder };
  if (header?.type === 'IMAGE') omniHeader = { imageUrl: header.mediaUrl };
  if (header?.type === 'VIDEO') omniHeader = { videoUrl: header.mediaUrl };
  if (header?.type === 'DOCUMENT') omniHeader = { documentUrl: header.mediaUrl, documentFilename: header.filename };
  if (header?.type === 'LOCATION') omniHeader = { latitude: header.latitude, longitude: header.longitude };
  return {
    templateName: content.templateName,
    language: content.language,
    mediaTemplateData: {
      ...(omniHeader ? { header: omniHeader } : {}),
      body: { placeholders: body.placeholders },
      ...(buttons
        ? {
            buttons: buttons.map((b) =>
              b.type === 'QUICK_REPLY' ? { quickReplyPayload: b.parameter } : { urlPlaceholder: b.parameter },
            ),
          }
        : {}),
    },
  };
}

/** The file a template's header names, and the media rule it is judged by. */
export function templateMediaOf(m: TemplateMessage): { kind: 'image' | 'video' | 'document'; url: string } | undefined {
  const header = m.content.templateData.header;
  if (header?.mediaUrl === undefined) return undefined;
  const kind = header.type === 'IMAGE' ? 'image' : header.type === 'VIDEO' ? 'video' : 'document';
  return { kind, url: header.mediaUrl };
}
