import * as z from '../../platform/schema';
import { statusSchema, type InfobipCall, type InfobipSettings } from '../infobip';
import type { ContactCard, FileKind, MessageKind, MessageOf, TemplateOut } from '../message';
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

/** OMNI's `whatsApp` for a message of kind K; undefined where OMNI has no field for the kind. */
export type OmniMapping<K extends MessageKind> = ((message: MessageOf<K>) => OmniWhatsApp) | undefined;

/*
 * Each kind's mapping is a declaration of its own, and a route hands its kind's to the send
 * path (lib/outbound/send.ts): a function then carries only its own route's mapping, where a
 * table looked up by kind at run time would put every kind's (a template's above all) into
 * every send function.
 */
export const omniText = (m: MessageOf<'text'>): OmniWhatsApp => ({ text: m.text });
export const omniLocation = (m: MessageOf<'location'>): OmniWhatsApp => ({
  latitude: m.latitude,
  longitude: m.longitude,
  ...(m.name === undefined ? {} : { locationName: m.name }),
  ...(m.address === undefined ? {} : { address: m.address }),
});
export const omniContact = (m: MessageOf<'contact'>): OmniWhatsApp => ({ contacts: m.contacts });
export const omniTemplateMessage = (m: MessageOf<'template'>): OmniWhatsApp => omniTemplate(m.template);

export const omniImage = (m: MessageOf<'image'>): OmniWhatsApp => ({ text: captioned(m.caption, m.fileName), imageUrl: m.url });
export const omniDocument = (m: MessageOf<'document'>): OmniWhatsApp => ({
  text: captioned(m.caption, m.fileName),
  fileUrl: m.url,
});
// WhatsApp shows no caption under a voice note, and Infobip rejects `text` with audioUrl.
export const omniAudio = (m: MessageOf<'audio'>): OmniWhatsApp => ({ audioUrl: m.url });
export const omniVideo = (m: MessageOf<'video'>): OmniWhatsApp => ({ text: captioned(m.caption, m.fileName), videoUrl: m.url });

/** The file kinds, one send function each; only the WhatsApp API carries a sticker. */
const OMNI_FILES: { readonly [K in FileKind]: OmniMapping<K> } = {
  image: omniImage,
  document: omniDocument,
  audio: omniAudio,
  video: omniVideo,
  sticker: undefined,
};

/** A file kind's OMNI mapping, for the media routes, which know their kind only when they are wired. */
export const omniFileOf = (kind: FileKind) => OMNI_FILES[kind] as OmniMapping<FileKind>;

/**
 * Every message kind, and OMNI's `whatsApp` for it; `undefined` where OMNI has no field for
 * the kind. Typed over `MessageKind`, so a kind added to lib/outbound/message.ts fails `tsc`
 * here until it has its entry; the routes take their kind's entry from the declarations above.
 * Only identifiers in both tables (a spread would keep this one in every bundle).
 */
export const OMNI_MAPPING: { readonly [K in MessageKind]: OmniMapping<K> } = {
  text: omniText,
  image: omniImage,
  document: omniDocument,
  audio: omniAudio,
  video: omniVideo,
  sticker: undefined,
  location: omniLocation,
  contact: omniContact,
  template: omniTemplateMessage,
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

/** The OMNI request of CONTRACT section 3, in the runbook's field order; `toOmni` is the message kind's mapping. */
export function omniCall<K extends MessageKind>(
  message: MessageOf<K>,
  toOmni: OmniMapping<K>,
  envelope: Envelope,
  settings: InfobipSettings,
): InfobipCall {
  if (toOmni === undefined) throw new Error(`OMNI cannot carry a ${message.kind} message`);
  const whatsApp = toOmni(message);
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
