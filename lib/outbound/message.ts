/**
 * What a send route asks Infobip to deliver, said once and independent of the API that
 * carries it. Each transport (lib/outbound/transports/) maps every kind below to its own
 * request, or says it cannot carry it; the mapping tables are typed over `MessageKind`, so
 * a kind added here fails `tsc` until each transport has its entry.
 */

/** A contact card, the same in OMNI's `Contact` and the WhatsApp API's `ContactContent`. */
export interface ContactCard {
  name: {
    firstName: string;
    formattedName: string;
    lastName?: string;
    middleName?: string;
    nameSuffix?: string;
    namePrefix?: string;
  };
  phones?: { phone?: string; type?: 'CELL' | 'MAIN' | 'IPHONE' | 'HOME' | 'WORK'; waId?: string }[];
  emails?: { email?: string; type?: 'HOME' | 'WORK' }[];
  addresses?: {
    street?: string;
    city?: string;
    state?: string;
    zip?: string;
    country?: string;
    countryCode?: string;
    type?: 'HOME' | 'WORK';
  }[];
  org?: { company?: string; department?: string; title?: string };
  urls?: { url?: string; type?: 'HOME' | 'WORK' }[];
  /** `YYYY-MM-DD`. */
  birthday?: string;
}

/** A template's header, its file already at a URL Infobip can fetch. */
export type TemplateHeaderOut =
  | { type: 'TEXT'; text: string }
  | { type: 'IMAGE' | 'VIDEO'; url: string }
  | { type: 'DOCUMENT'; url: string; fileName: string }
  | { type: 'LOCATION'; latitude: number; longitude: number };

export type TemplateButtonOut = { type: 'QUICK_REPLY'; payload: string } | { type: 'URL'; parameter: string };

export interface TemplateOut {
  templateName: string;
  /** OMNI's `templateNamespace`; the WhatsApp API finds the template by the sender's account, name and language. */
  templateNamespace?: string;
  language: string;
  placeholders: string[];
  header?: TemplateHeaderOut;
  buttons?: TemplateButtonOut[];
}

/** An interactive message's header: a text, or a file at a URL Infobip can fetch. */
export type InteractiveHeaderOut =
  | { type: 'TEXT'; text: string }
  | { type: 'IMAGE' | 'VIDEO'; url: string }
  | { type: 'DOCUMENT'; url: string; fileName?: string };

export interface ListSectionOut {
  title?: string;
  rows: { id: string; title: string; description?: string }[];
}

/** A file Infobip fetches from `url` (HEAD, then GET). */
interface FileMessage<K extends string> {
  kind: K;
  url: string;
}

export type OutboundMessage =
  | { kind: 'text'; text: string }
  | (FileMessage<'image'> & { caption?: string; fileName: string })
  | (FileMessage<'video'> & { caption?: string; fileName: string })
  | (FileMessage<'document'> & { caption?: string; fileName: string })
  | FileMessage<'audio'>
  | FileMessage<'sticker'>
  | { kind: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { kind: 'contact'; contacts: ContactCard[] }
  | { kind: 'template'; template: TemplateOut }
  | { kind: 'buttons'; text: string; buttons: { id: string; title: string }[]; header?: InteractiveHeaderOut; footer?: string }
  | {
      kind: 'list';
      text: string;
      buttonText: string;
      sections: ListSectionOut[];
      header?: { type: 'TEXT'; text: string };
      footer?: string;
    }
  | { kind: 'urlButton'; text: string; displayText: string; url: string; header?: InteractiveHeaderOut; footer?: string };

export type MessageKind = OutboundMessage['kind'];
/** The kinds that are a file at a URL (lib/media/kinds.ts): one media send function each. */
export type FileKind = 'image' | 'document' | 'audio' | 'video' | 'sticker';
export type MessageOf<K extends MessageKind> = Extract<OutboundMessage, { kind: K }>;
