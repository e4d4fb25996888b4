import * as z from '../../platform/schema';
import { statusSchema, type InfobipCall, type InfobipSettings } from '../infobip';
import type { ContactCard, MessageKind, MessageOf, OutboundMessage, TemplateOut } from '../message';
import type { Envelope } from './envelope';

/**
 * Infobip's OMNI API (`POST /omni/1/advanced`, OmniAdvancedRequest of Infobip's published
 * OpenAPI specification v3.210.0, infobip-omni-failover-openapi.json): the runbook's
 * payloads, field for field and in the runbook's order. OMNI's `WhatsAppData` carries text,
 * file URLs, a location, contact cards and templates; it has no sticker and no quote.
 */

/** OMNI's `whatsApp` object (`WhatsAppData`): the fields IMChannel sends, one kind of message per request. */
export interface OmniWhatsApp {
  /** The text, or a file's caption. */
  text?: string;
  imageUrl?: string;
  fileUrl?: string;
  audioUrl?: string;
  videoUrl?: string;
  /** -90..90, with `longitude`. */
  latitude?: number;
  /** -180..180, with `latitude`. */
  longitude?: number;
  /** At most 1000 characters. */
  locationName?: string;
  /** At most 1000 characters. */
  address?: string;
  contacts?: ContactCard[];
  templateName?: string;
  templateNamespace?: string;
  /** The body placeholders of a template without header or buttons, in the registered order. */
  templateData?: string[];
  /** Exactly the code the template was registered with (`en`, `en_GB`). */
  language?: string;
  mediaTemplateData?: OmniMediaTemplateData;
}

/** `MediaTemplateData` and its header, body and button contents. */
export interface OmniMediaTemplateData {
  /** One of: textPlaceholder; imageUrl; videoUrl; documentUrl with documentFilename; latitude with longitude. */
  header?: {
    textPlaceholder?: string;
    imageUrl?: string;
    videoUrl?: string;
    documentUrl?: string;
    documentFilename?: string;
    latitude?: number;
    longitude?: number;
  };
  body: { placeholders: string[] };
  /** Per button of the template, in order: a quick reply's payload or a dynamic URL's placeholder. */
  buttons?: ({ quickReplyPayload: string } | { urlPlaceholder: string })[];
}

export interface OmniRequest {
  scenarioKey: string;
  destinations: { to: { phoneNumber: string } | { whatsAppUserId: string }; messageId?: string }[];
  whatsApp: OmniWhatsApp;
  callbackData?: string;
  notifyUrl?: string;
}

/**
 * A file's caption travels in `text`; OMNI refuses an empty one, so a file without a caption
 * is captioned with its name (`||`, not `??`: an empty caption is none).
 */
const captioned = (caption: string | undefined, fileName: string) => caption || fileName;

/** A plain template (`templateData`) without header and buttons, else a media template (`mediaTemplateData`). */
export function omniTemplate(template: TemplateOut): OmniWhatsApp {
  const named: OmniWhatsApp = {
    templateName: template.templateName,
    ...(template.templateNamespace === undefined ? {} : { templateNamespace: template.templateNamespace }),
  };
  if (template.header === undefined && template.buttons === undefined) {
    return { ...named, templateData: template.placeholders, language: template.language };
  }
  const header = template.header;
  let omniHeader: OmniMediaTemplateData['header'];
  if (header?.type === 'TEXT') omniHeader = { textPlaceholder: header.text };
  else if (header?.type === 'LOCATION') omniHeader = { latitude: header.latitude, longitude: header.longitude };
  else if (header?.type === 'IMAGE') omniHeader = { imageUrl: header.url };
  else if (header?.type === 'VIDEO') omniHeader = { videoUrl: header.url };
  else if (header?.type === 'DOCUMENT') omniHeader = { documentUrl: header.url, documentFilename: header.fileName };
  const media: OmniMediaTemplateData = {
    ...(omniHeader === undefined ? {} : { header: omniHeader }),
    body: { placeholders: template.placeholders },
    ...(template.buttons === undefined
      ? {}
      : {
          buttons: template.buttons.map((button) =>
            button.type === 'QUICK_REPLY' ? { quickReplyPayload: button.payload } : { urlPlaceholder: button.parameter },
          ),
        }),
  };
  return { ...named, mediaTemplateData: media, language: template.language };
}

/** Every message kind, and OMNI's `whatsApp` for it; `undefined` where OMNI has no field for the kind. */
export const OMNI_MAPPING: { readonly [K in MessageKind]: ((message: MessageOf<K>) => OmniWhatsApp) | undefined } = {
  text: (m) => ({ text: m.text }),
  image: (m) => ({ text: captioned(m.caption, m.fileName), imageUrl: m.url }),
  document: (m) => ({ text: captioned(m.caption, m.fileName), fileUrl: m.url }),
  // WhatsApp shows no caption under a voice note, and Infobip rejects `text` with audioUrl.
  audio: (m) => ({ audioUrl: m.url }),
  video: (m) => ({ text: captioned(m.caption, m.fileName), videoUrl: m.url }),
  sticker: undefined,
  location: (m) => ({
    latitude: m.latitude,
    longitude: m.longitude,
    ...(m.name === undefined ? {} : { locationName: m.name }),
    ...(m.address === undefined ? {} : { address: m.address }),
  }),
  contact: (m) => ({ contacts: m.contacts }),
  template: (m) => omniTemplate(m.template),
  // OMNI's WhatsAppData has no interactive message.
  buttons: undefined,
  list: undefined,
  urlButton: undefined,
};

/** OmniResponse: the first of `messages` is ours (one destination per request). */
const omniResponseSchema = z.object({
  messages: z
    .array(
      z.object({
        to: z.optional(z.object({ phoneNumber: z.optional(z.string()) })),
        status: statusSchema,
        messageId: z.string(),
      }),
    )
    .check(z.minLength(1)),
});

export function omniWhatsAppOf(message: OutboundMessage): OmniWhatsApp | undefined {
  const map = OMNI_MAPPING[message.kind] as ((m: OutboundMessage) => OmniWhatsApp) | undefined;
  return map?.(message);
}

/** The OMNI request of CONTRACT section 3, in the runbook's field order. */
export function omniCall(message: OutboundMessage, envelope: Envelope, settings: InfobipSettings): InfobipCall {
  const whatsApp = omniWhatsAppOf(message);
  if (whatsApp === undefined) throw new Error(`OMNI cannot carry a ${message.kind} message`);
  const destination: OmniRequest['destinations'][number] = {
    to: envelope.businessScoped ? { whatsAppUserId: envelope.to } : { phoneNumber: envelope.to },
  };
  if (envelope.messageId !== undefined) destination.messageId = envelope.messageId;
  const request: OmniRequest = { scenarioKey: settings.scenarioKey as string, destinations: [destination], whatsApp };
  if (envelope.callbackData !== undefined) request.callbackData = envelope.callbackData;
  if (envelope.notifyUrl !== undefined) request.notifyUrl = envelope.notifyUrl;
  return {
    path: '/omni/1/advanced',
    body: request,
    answerName: 'an OMNI response',
    accepted: (body) => {
      const parsed = omniResponseSchema.safeParse(body);
      const first = parsed.success ? parsed.data.messages[0] : undefined;
      return first === undefined ? undefined : { messageId: first.messageId, status: first.status };
    },
  };
}
