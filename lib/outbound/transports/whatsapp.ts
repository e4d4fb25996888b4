import * as z from '../../platform/schema';
import type { InfobipCall, InfobipSettings, OmniAccepted } from '../infobip';
import type { InteractiveHeaderOut, MessageKind, MessageOf, OutboundMessage, TemplateOut } from '../message';
import type { Envelope } from './envelope';

/**
 * Infobip's WhatsApp API (`/whatsapp/1/message/...`, Infobip's published OpenAPI
 * specification v3.210.0, infobip-whatsapp-openapi.json). Every send body is the same
 * envelope (`TextMessage`, `ImageMessage`, … share `from`, `to`, `messageId`, `content`,
 * `callbackData`, `notifyUrl`, `context`) around a kind's `content`; a template goes as a
 * `BulkMessage` of one `FailoverMessage`. Fields are written in the schemas' order.
 */

interface Mapping<K extends MessageKind> {
  /** Under `/whatsapp/1/message/`. */
  path: string;
  content: (message: MessageOf<K>) => Record<string, unknown>;
  /** `BulkMessage` (`messages[]`), answered by `BulkMessageInfo`, instead of one message answered by `SingleMessageInfo`. */
  bulk?: true;
}

/** `caption` (≤ 3000, may be empty) only when there is one: the WhatsApp API needs none, unlike OMNI. */
const withCaption = (caption: string | undefined) => (caption ? { caption } : {});

/** `TemplateContent`: `templateData` with `body.placeholders`, an optional `header` and `buttons`, by `type`. */
function templateContent(template: TemplateOut): Record<string, unknown> {
  const header = template.header;
  let templateHeader: Record<string, unknown> | undefined;
  if (header?.type === 'TEXT') templateHeader = { type: 'TEXT', placeholder: header.text };
  else if (header?.type === 'LOCATION')
    templateHeader = { type: 'LOCATION', latitude: header.latitude, longitude: header.longitude };
  else if (header?.type === 'DOCUMENT') templateHeader = { type: 'DOCUMENT', mediaUrl: header.url, filename: header.fileName };
  else if (header !== undefined) templateHeader = { type: header.type, mediaUrl: header.url };
  return {
    templateName: template.templateName,
    templateData: {
      body: { placeholders: template.placeholders },
      ...(templateHeader === undefined ? {} : { header: templateHeader }),
      ...(template.buttons === undefined
        ? {}
        : {
            buttons: template.buttons.map((button) =>
              button.type === 'QUICK_REPLY'
                ? { type: 'QUICK_REPLY', parameter: button.payload }
                : { type: 'URL', parameter: button.parameter },
            ),
          }),
    },
    language: template.language,
  };
}

/** `Interactive…HeaderContent` by `type`: TEXT `text`; IMAGE, VIDEO, DOCUMENT `mediaUrl` (a document with `filename`). */
function interactiveHeader(header: InteractiveHeaderOut): Record<string, unknown> {
  if (header.type === 'TEXT') return { type: 'TEXT', text: header.text };
  if (header.type === 'DOCUMENT')
    return { type: 'DOCUMENT', mediaUrl: header.url, ...(header.fileName === undefined ? {} : { filename: header.fileName }) };
  return { type: header.type, mediaUrl: header.url };
}

/** The `body`, `action`, `header` and `footer` of every interactive content, in the schemas' order. */
function interactive(
  text: string,
  action: Record<string, unknown>,
  header: InteractiveHeaderOut | undefined,
  footer: string | undefined,
) {
  return {
    body: { text },
    action,
    ...(header === undefined ? {} : { header: interactiveHeader(header) }),
    ...(footer === undefined ? {} : { footer: { text: footer } }),
  };
}

/** Every message kind and its WhatsApp API operation; `undefined` where the API has none. */
export const WHATSAPP_MAPPING: { readonly [K in MessageKind]: Mapping<K> | undefined } = {
  text: { path: 'text', content: (m) => ({ text: m.text }) },
  // `ImageContent`, `VideoContent`: mediaUrl, caption.
  image: { path: 'image', content: (m) => ({ mediaUrl: m.url, ...withCaption(m.caption) }) },
  video: { path: 'video', content: (m) => ({ mediaUrl: m.url, ...withCaption(m.caption) }) },
  // `DocumentContent`: the customer sees `filename` (≤ 240) on the document.
  document: {
    path: 'document',
    content: (m) => ({ mediaUrl: m.url, ...withCaption(m.caption), filename: m.fileName }),
  },
  // `AudioContent` has no caption.
  audio: { path: 'audio', content: (m) => ({ mediaUrl: m.url }) },
  // `StickerContent`: mediaUrl only.
  sticker: { path: 'sticker', content: (m) => ({ mediaUrl: m.url }) },
  // `LocationContent`.
  location: {
    path: 'location',
    content: (m) => ({
      latitude: m.latitude,
      longitude: m.longitude,
      ...(m.name === undefined ? {} : { name: m.name }),
      ...(m.address === undefined ? {} : { address: m.address }),
    }),
  },
  // `ContactsContent`: its `ContactContent` is field for field OMNI's `Contact`.
  contact: { path: 'contact', content: (m) => ({ contacts: m.contacts }) },
  template: { path: 'template', content: (m) => templateContent(m.template), bulk: true },
  // `InteractiveButtonsContent`: reply buttons, each `InteractiveReplyButtonContent` of type REPLY.
  buttons: {
    path: 'interactive/buttons',
    content: (m) =>
      interactive(
        m.text,
        { buttons: m.buttons.map((button) => ({ type: 'REPLY', id: button.id, title: button.title })) },
        m.header,
        m.footer,
      ),
  },
  // `InteractiveListContent`: the list button's `title` and its sections of rows.
  list: {
    path: 'interactive/list',
    content: (m) => interactive(m.text, { title: m.buttonText, sections: m.sections }, m.header, m.footer),
  },
  // `InteractiveUrlButtonContent`.
  urlButton: {
    path: 'interactive/url-button',
    content: (m) => interactive(m.text, { displayText: m.displayText, url: m.url }, m.header, m.footer),
  },
};

/**
 * `SingleMessageInfo` (`to`, `messageCount`, `messageId`, `status`: `SingleMessageStatus`).
 * The spec marks none of them required; IMChannel needs the id and the status to answer
 * ctlive, so an answer without them is unreadable (and the outcome unknown). Of the status,
 * `description` alone may be missing without harm: ctlive then gets the status's name
 * there, so the answer keeps its shape.
 */
const singleMessageInfo = z.object({
  messageId: z.string(),
  status: z.object({
    groupId: z.number(),
    groupName: z.string(),
    id: z.number(),
    name: z.string(),
    description: z.optional(z.string()),
  }),
});
const bulkMessageInfo = z.object({ messages: z.array(singleMessageInfo).check(z.minLength(1)) });

function accepted(info: z.infer<typeof singleMessageInfo>): OmniAccepted {
  const { description, ...status } = info.status;
  return { messageId: info.messageId, status: { ...status, description: description ?? status.name } };
}

export const whatsAppCarries = (kind: MessageKind): boolean => WHATSAPP_MAPPING[kind] !== undefined;

export function whatsAppCall(message: OutboundMessage, envelope: Envelope, settings: InfobipSettings): InfobipCall {
  const mapping = WHATSAPP_MAPPING[message.kind] as Mapping<MessageKind> | undefined;
  if (mapping === undefined) throw new Error(`The WhatsApp API cannot carry a ${message.kind} message`);
  const single = {
    from: settings.sender as string,
    to: envelope.to,
    ...(envelope.messageId === undefined ? {} : { messageId: envelope.messageId }),
    content: mapping.content(message as MessageOf<MessageKind>),
    ...(envelope.callbackData === undefined ? {} : { callbackData: envelope.callbackData }),
    ...(envelope.notifyUrl === undefined ? {} : { notifyUrl: envelope.notifyUrl }),
    // `MessageContext`: the customer's message this one quotes.
    ...(envelope.replyTo === undefined ? {} : { context: { replyToMessageId: envelope.replyTo } }),
  };
  return {
    path: `/whatsapp/1/message/${mapping.path}`,
    body: mapping.bulk ? { messages: [single] } : single,
    answerName: mapping.bulk ? "the WhatsApp API's BulkMessageInfo" : "the WhatsApp API's SingleMessageInfo",
    accepted: (body) => {
      if (mapping.bulk) {
        const parsed = bulkMessageInfo.safeParse(body);
        return parsed.success ? accepted(parsed.data.messages[0] as z.infer<typeof singleMessageInfo>) : undefined;
      }
      const parsed = singleMessageInfo.safeParse(body);
      return parsed.success ? accepted(parsed.data) : undefined;
    },
  };
}
