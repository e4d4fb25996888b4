/**
 * The request bodies of the WhatsApp API's free-form sends (`POST /whatsapp/1/message/…`),
 * as Infobip's published OpenAPI specification (v3.210.0), `infobip-whatsapp-openapi.json`,
 * defines them: the schema names are given beside each, the limits are the schemas' own.
 */
import { arr, bool, byType, num, obj, oneOf, str, type Schema } from './schema';

const URL_MAX = 2048;

/** `UrlOptions`. */
const urlOptions = obj({
  shortenUrl: bool,
  trackClicks: bool,
  trackingUrl: str(),
  removeProtocol: bool,
  customDomain: str(),
});

/** `MessageContext`: the inbound message a reply quotes. */
const messageContext = obj({ replyToMessageId: str() }, ['replyToMessageId']);

/**
 * What every send request has (`TextMessage`, `ImageMessage`, … `FailoverMessage`), with its
 * `content`; `urlOptions` only where the schema has it (not on sticker, audio, location, contact).
 */
export function envelope(content: Schema, withUrlOptions: boolean, extra: Record<string, Schema> = {}) {
  return obj(
    {
      from: str(1, 24),
      to: str(1, 150),
      messageId: str(0, 200),
      content,
      callbackData: str(0, 4000),
      notifyUrl: str(0, URL_MAX),
      ...(withUrlOptions ? { urlOptions } : {}),
      entityId: str(0, 255),
      applicationId: str(0, 255),
      context: messageContext,
      ...extra,
    },
    ['content', 'from', 'to'],
  );
}

const mediaUrl = str(1, URL_MAX);
const placeType = oneOf('HOME', 'WORK');

/** `ContactContent` and the schemas under it. */
const contact = obj(
  {
    addresses: arr(
      obj({
        street: str(),
        city: str(),
        state: str(),
        zip: str(),
        country: str(),
        countryCode: str(),
        type: placeType,
      }),
    ),
    birthday: str(),
    emails: arr(obj({ email: str(), type: placeType })),
    name: obj(
      { firstName: str(), lastName: str(), middleName: str(), nameSuffix: str(), namePrefix: str(), formattedName: str() },
      ['firstName', 'formattedName'],
    ),
    org: obj({ company: str(), department: str(), title: str() }),
    phones: arr(obj({ phone: str(), type: oneOf('CELL', 'MAIN', 'IPHONE', 'HOME', 'WORK'), waId: str() })),
    urls: arr(obj({ url: str(), type: placeType })),
  },
  ['name'],
);

/** The free-form kinds, by the last segment of their path. */
export const FREE_FORM = {
  /** `TextMessage` → `TextContent`. */
  text: envelope(obj({ text: str(1, 4096), previewUrl: bool }, ['text']), true),
  /** `ImageMessage` → `ImageContent`. */
  image: envelope(obj({ mediaUrl, caption: str(0, 3000) }, ['mediaUrl']), true),
  /** `DocumentMessage` → `DocumentContent`. */
  document: envelope(obj({ mediaUrl, caption: str(0, 3000), filename: str(0, 240) }, ['mediaUrl']), true),
  /** `AudioMessage` → `AudioContent`. */
  audio: envelope(obj({ mediaUrl, voice: bool }, ['mediaUrl']), false),
  /** `VideoMessage` → `VideoContent`. */
  video: envelope(obj({ mediaUrl, caption: str(0, 3000) }, ['mediaUrl']), true),
  /** `StickerMessage` → `StickerContent`. */
  sticker: envelope(obj({ mediaUrl }, ['mediaUrl']), false),
  /** `LocationMessage` → `LocationContent`. */
  location: envelope(
    obj({ latitude: num(-90, 90), longitude: num(-180, 180), name: str(0, 1000), address: str(0, 1000) }, [
      'latitude',
      'longitude',
    ]),
    false,
  ),
  /** `ContactsMessage` → `ContactsContent`. */
  contact: envelope(obj({ contacts: arr(contact) }, ['contacts']), false),
} as const;

export type FreeFormKind = keyof typeof FREE_FORM;

/** The kinds whose `content.mediaUrl` Infobip fetches, and the media rule each is judged by. */
export const MEDIA_KIND_OF: Partial<Record<FreeFormKind, 'image' | 'document' | 'audio' | 'video' | 'sticker'>> = {
  image: 'image',
  document: 'document',
  audio: 'audio',
  video: 'video',
  sticker: 'sticker',
};

/** `InteractiveBodyContent`, `InteractiveFooterContent`. */
export const interactiveBody = obj({ text: str(1, 1024) }, ['text']);
export const interactiveFooter = obj({ text: str(1, 60) }, ['text']);

/** The header of buttons and url-button messages: TEXT, IMAGE, VIDEO, DOCUMENT (`Interactive…HeaderContent`). */
export const mediaHeader = byType({
  TEXT: obj({ text: str(1, 60) }, ['text']),
  IMAGE: obj({ mediaUrl }, ['mediaUrl']),
  VIDEO: obj({ mediaUrl }, ['mediaUrl']),
  DOCUMENT: obj({ mediaUrl, filename: str(0, 240) }, ['mediaUrl']),
});

/** A Business-Scoped User ID, `{CC}.{alphanumeric}`, as the OMNI path's `whatsAppUserId`. */
const BUSINESS_SCOPED_ID = /^[A-Z]{2}\.[A-Za-z0-9]+$/;

/**
 * `to` in prose ("Message recipient number in international format or WhatsApp
 * business-scoped user ID"): digits, or a business-scoped user id; the OMNI path holds its
 * destinations to the same.
 */
export function checkRecipient(to: string, field: string, add: (field: string, message: string) => void): void {
  if (!/^\d+$/.test(to) && !BUSINESS_SCOPED_ID.test(to)) {
    add(field, 'must be a number in international format (digits) or a business-scoped user id ({CC}.{alphanumeric})');
  }
}
