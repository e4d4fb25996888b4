/**
 * Validation of `POST /omni/1/advanced` bodies, reporting errors the way Infobip does:
 * a map from field path to Bean-Validation-style messages. It is deliberately
 * stricter than "anything goes" so that a malformed request from IMChannel fails here
 * exactly as it would fail against the real API, instead of passing silently.
 */

import { RICH_KEYS, isRichWhatsApp, validateRichWhatsApp, type RichWhatsApp } from './validateRich';
import { TEMPLATE_KEYS, isTemplate, validateTemplate, type OmniTemplateFields } from './validateTemplate';

export interface OmniDestination {
  /** One of the two; OMNI gives the phone number precedence when both are there. */
  to: { phoneNumber: string } | { whatsAppUserId: string };
  messageId?: string;
}

/** Locations and contact cards (RichWhatsApp) are checked in validateRich.ts, templates in validateTemplate.ts. */
export interface OmniWhatsApp extends RichWhatsApp, OmniTemplateFields {
  text?: string;
  imageUrl?: string;
  fileUrl?: string;
  audioUrl?: string;
  videoUrl?: string;
}

export interface OmniAdvancedRequest {
  scenarioKey: string;
  bulkId?: string;
  destinations: OmniDestination[];
  whatsApp: OmniWhatsApp;
  callbackData?: string;
  notifyUrl?: string;
}

export type ValidationErrors = Record<string, string[]>;

export type ValidationResult = { ok: true; request: OmniAdvancedRequest } | { ok: false; errors: ValidationErrors };

const MEDIA_KEYS = ['imageUrl', 'fileUrl', 'audioUrl', 'videoUrl'] as const;
export type MediaKey = (typeof MEDIA_KEYS)[number];
/** Media kinds that WhatsApp lets carry a caption in `text`. */
const CAPTIONED: ReadonlySet<MediaKey> = new Set(['imageUrl', 'fileUrl', 'videoUrl']);
const WHATSAPP_KEYS: ReadonlySet<string> = new Set(['text', ...MEDIA_KEYS, ...RICH_KEYS, ...TEMPLATE_KEYS]);
/*
 * Limits. OMNI's schema (api-evangelist/infobip, openapi/infobip-omni-failover-openapi.json)
 * documents the media URLs (WhatsAppData.imageUrl etc., maxLength 2048), callbackData
 * (OmniAdvancedRequest, 4000) and to.whatsAppUserId (To: `{CC}.{alphanumeric}`, max 150).
 * It gives no limit for the text, the caption, the messageId or notifyUrl; the WhatsApp
 * channel it hands them to does (openapi/infobip-whatsapp-openapi.json: TextContent.text
 * 4096, ImageContent/DocumentContent/VideoContent.caption 3000, TextMessage.messageId 200,
 * TextMessage.notifyUrl 2048), and the sandbox holds OMNI to those: a request over them
 * could not reach WhatsApp intact.
 */
const TEXT_MAX = 4096;
const CAPTION_MAX = 3000;
const MESSAGE_ID_MAX = 200;
const URL_MAX = 2048;
const CALLBACK_DATA_MAX = 4000;
const WHATSAPP_USER_ID = /^[A-Z]{2}\.[A-Za-z0-9]+$/;
const WHATSAPP_USER_ID_MAX = 150;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Jackson maps JSON null to an absent optional field, so null counts as absent. */
const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;

export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export function mediaUrlOf(whatsApp: OmniWhatsApp): { key: MediaKey; url: string } | undefined {
  for (const key of MEDIA_KEYS) {
    const url = whatsApp[key];
    if (url !== undefined) return { key, url };
  }
  return undefined;
}

export function validateOmniAdvanced(body: unknown): ValidationResult {
  const errors: ValidationErrors = {};
  const add = (field: string, message: string): void => {
    (errors[field] ??= []).push(message);
  };

  if (!isObject(body)) {
    add('body', 'must be a JSON object');
    return { ok: false, errors };
  }

  const { scenarioKey, bulkId, destinations, whatsApp, callbackData, notifyUrl } = body;

  if (typeof scenarioKey !== 'string' || scenarioKey.trim() === '') add('scenarioKey', 'must not be blank');
  if (!isAbsent(bulkId) && typeof bulkId !== 'string') add('bulkId', 'must be a string');

  const validDestinations: OmniDestination[] = [];
  if (!Array.isArray(destinations) || destinations.length === 0) {
    add('destinations', 'must not be empty');
  } else {
    destinations.forEach((d: unknown, i) => {
      const at = `destinations[${i}]`;
      if (!isObject(d)) return add(at, 'must be an object');
      if (!isObject(d.to)) return add(`${at}.to`, 'must not be null');
      const { phoneNumber, whatsAppUserId } = d.to;
      let to: OmniDestination['to'];
      if (!isAbsent(phoneNumber) || isAbsent(whatsAppUserId)) {
        if (typeof phoneNumber !== 'string' || !/^\d+$/.test(phoneNumber)) {
          return add(`${at}.to.phoneNumber`, 'must be a string of digits');
        }
        to = { phoneNumber };
      } else {
        if (
          typeof whatsAppUserId !== 'string' ||
          whatsAppUserId.length > WHATSAPP_USER_ID_MAX ||
          !WHATSAPP_USER_ID.test(whatsAppUserId)
        ) {
          return add(`${at}.to.whatsAppUserId`, `must be {CC}.{alphanumeric}, at most ${WHATSAPP_USER_ID_MAX} characters`);
        }
        to = { whatsAppUserId };
      }
      if (!isAbsent(d.messageId)) {
        if (typeof d.messageId !== 'string' || d.messageId === '') return add(`${at}.messageId`, 'must be a non-empty string');
        if (d.messageId.length > MESSAGE_ID_MAX) return add(`${at}.messageId`, `size must be between 1 and ${MESSAGE_ID_MAX}`);
      }
      validDestinations.push({ to, ...(typeof d.messageId === 'string' ? { messageId: d.messageId } : {}) });
    });
  }

  const validWhatsApp = validateWhatsApp(whatsApp, add);

  if (!isAbsent(callbackData) && (typeof callbackData !== 'string' || callbackData.length > CALLBACK_DATA_MAX)) {
    add('callbackData', `size must be between 0 and ${CALLBACK_DATA_MAX}`);
  }
  if (!isAbsent(notifyUrl) && !isHttpUrl(notifyUrl)) add('notifyUrl', 'must be a valid URL');
  else if (typeof notifyUrl === 'string' && notifyUrl.length > URL_MAX) add('notifyUrl', `size must be between 0 and ${URL_MAX}`);

  if (Object.keys(errors).length > 0 || validWhatsApp === undefined) return { ok: false, errors };
  return {
    ok: true,
    request: {
      scenarioKey: scenarioKey as string,
      destinations: validDestinations,
      whatsApp: validWhatsApp,
      ...(typeof bulkId === 'string' ? { bulkId } : {}),
      ...(typeof callbackData === 'string' ? { callbackData } : {}),
      ...(typeof notifyUrl === 'string' ? { notifyUrl } : {}),
    },
  };
}

function validateWhatsApp(whatsApp: unknown, add: (field: string, message: string) => void): OmniWhatsApp | undefined {
  if (!isObject(whatsApp)) {
    add('whatsApp', 'must not be null');
    return undefined;
  }
  let valid = true;
  const fail = (field: string, message: string): void => {
    valid = false;
    add(field, message);
  };

  // Real OMNI knows more whatsApp fields; IMChannel never sends the others, so an
  // unexpected key here is far more likely a typo than a feature.
  for (const key of Object.keys(whatsApp)) {
    if (!WHATSAPP_KEYS.has(key)) fail(`whatsApp.${key}`, 'unknown field');
  }
  // A template is a message of its own kind (./validateTemplate.ts).
  if (isTemplate(whatsApp)) {
    const template = validateTemplate(whatsApp, fail);
    return valid && template !== undefined ? template : undefined;
  }
  if (isRichWhatsApp(whatsApp)) {
    const rich = validateRichWhatsApp(whatsApp, ['text', ...MEDIA_KEYS, ...TEMPLATE_KEYS], fail);
    return valid ? rich : undefined;
  }

  const media = MEDIA_KEYS.filter((k) => !isAbsent(whatsApp[k]));
  for (const key of media) {
    const url = whatsApp[key];
    if (!isHttpUrl(url)) fail(`whatsApp.${key}`, 'must be a valid http(s) URL');
    else if (url.length > URL_MAX) fail(`whatsApp.${key}`, `size must be between 0 and ${URL_MAX}`);
  }

  const text = whatsApp.text;
  const hasText = !isAbsent(text);
  // With a media URL the text is the caption, which WhatsApp holds to a shorter limit.
  const textMax = media.length > 0 ? CAPTION_MAX : TEXT_MAX;
  if (hasText && (typeof text !== 'string' || text.length < 1 || text.length > textMax)) {
    fail('whatsApp.text', `size must be between 1 and ${textMax}`);
  }
  const [onlyMedia, ...moreMedia] = media;
  if (moreMedia.length > 0) {
    fail('whatsApp', `must contain exactly one of ${MEDIA_KEYS.join(', ')}; got ${media.join(', ')}`);
  } else if (onlyMedia === undefined && !hasText) {
    fail('whatsApp', `must contain text or one of ${MEDIA_KEYS.join(', ')}`);
  } else if (onlyMedia !== undefined && hasText && !CAPTIONED.has(onlyMedia)) {
    fail('whatsApp.text', `must be absent with ${onlyMedia}`);
  }

  if (!valid) return undefined;
  const out: OmniWhatsApp = {};
  if (typeof text === 'string') out.text = text;
  if (onlyMedia !== undefined) out[onlyMedia] = whatsApp[onlyMedia] as string;
  return out;
}
