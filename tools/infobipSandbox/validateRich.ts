/**
 * The sandbox's check of OMNI's location and contact-card messages, as strict as
 * Infobip documents them and no stricter: WhatsAppData `latitude`, `longitude`,
 * `locationName`, `address` and `contacts[]` of `POST /omni/1/advanced` (api-evangelist/infobip,
 * openapi/infobip-omni-failover-openapi.json; schemas WhatsAppData, Contact, Name, Phone,
 * Email, Address, Organization, Url). Facts taken from there:
 * - latitude -90..90, longitude -180..180 (numbers), locationName and address at most 1000;
 * - a contact requires `name`, a name requires `firstName` and `formattedName`; `birthday` is
 *   YYYY-MM-DD; a phone's type is CELL, MAIN, IPHONE, HOME or WORK, an email's, url's and
 *   address's HOME or WORK (the WhatsApp channel's ContactContent,
 *   openapi/infobip-whatsapp-openapi.json, makes these enums);
 * - every other field is an optional string.
 * The WhatsApp channel sends a location and a contact card as messages of their own
 * (LocationMessage, ContactsMessage: content with nothing else, and a location requires both
 * coordinates), so the sandbox refuses a request that mixes them with text or a file, as
 * WhatsApp could not deliver it as one message. Unknown fields are refused at every level.
 */

type Json = Record<string, unknown>;
type Fail = (field: string, message: string) => void;

export type PhoneType = 'CELL' | 'MAIN' | 'IPHONE' | 'HOME' | 'WORK';
export type PlaceType = 'HOME' | 'WORK';

export interface OmniContact {
  name: {
    firstName: string;
    formattedName: string;
    lastName?: string;
    middleName?: string;
    nameSuffix?: string;
    namePrefix?: string;
  };
  phones?: { phone?: string; type?: PhoneType; waId?: string }[];
  emails?: { email?: string; type?: PlaceType }[];
  addresses?: {
    street?: string;
    city?: string;
    state?: string;
    zip?: string;
    country?: string;
    countryCode?: string;
    type?: PlaceType;
  }[];
  org?: { company?: string; department?: string; title?: string };
  urls?: { url?: string; type?: PlaceType }[];
  birthday?: string;
}

export interface RichWhatsApp {
  latitude?: number;
  longitude?: number;
  locationName?: string;
  address?: string;
  contacts?: OmniContact[];
}

const LOCATION_KEYS = ['latitude', 'longitude', 'locationName', 'address'] as const;
/** The whatsApp keys this file owns. */
export const RICH_KEYS: readonly string[] = [...LOCATION_KEYS, 'contacts'];
const LOCATION_TEXT_MAX = 1000;

const PHONE_TYPES: readonly string[] = ['CELL', 'MAIN', 'IPHONE', 'HOME', 'WORK'];
const PLACE_TYPES: readonly string[] = ['HOME', 'WORK'];

/** Field → allowed type values (undefined: a plain optional string). */
const ENTRY_SHAPES: Record<string, Record<string, readonly string[] | undefined>> = {
  name: {
    firstName: undefined,
    lastName: undefined,
    middleName: undefined,
    nameSuffix: undefined,
    namePrefix: undefined,
    formattedName: undefined,
  },
  phones: { phone: undefined, type: PHONE_TYPES, waId: undefined },
  emails: { email: undefined, type: PLACE_TYPES },
  addresses: {
    street: undefined,
    city: undefined,
    state: undefined,
    zip: undefined,
    country: undefined,
    countryCode: undefined,
    type: PLACE_TYPES,
  },
  org: { company: undefined, department: undefined, title: undefined },
  urls: { url: undefined, type: PLACE_TYPES },
};
const CONTACT_KEYS: ReadonlySet<string> = new Set([...Object.keys(ENTRY_SHAPES), 'birthday']);
const REQUIRED_NAME = ['firstName', 'formattedName'] as const;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Jackson maps JSON null to an absent optional field, so null counts as absent. */
const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;

/** Whether the whatsApp object is a location or contact-card message (any of their keys). */
export const isRichWhatsApp = (whatsApp: Json): boolean => RICH_KEYS.some((key) => !isAbsent(whatsApp[key]));

/**
 * Checks a location or contact-card `whatsApp` object; `others` are the keys of the other
 * kinds of message (text, media), which must then be absent. Returns the message as taken,
 * or undefined after reporting each problem through `fail`.
 */
export function validateRichWhatsApp(whatsApp: Json, others: readonly string[], fail: Fail): RichWhatsApp | undefined {
  let valid = true;
  const bad: Fail = (field, message) => {
    valid = false;
    fail(field, message);
  };
  const present = (keys: readonly string[]) => keys.filter((key) => !isAbsent(whatsApp[key]));
  const location = present(LOCATION_KEYS);
  const contacts = whatsApp.contacts;
  const mixed = present(others);
  if (location.length > 0 && !isAbsent(contacts)) bad('whatsApp', 'must be a location or contacts, not both');
  if (mixed.length > 0)
    bad('whatsApp', `a ${location.length > 0 ? 'location' : 'contacts'} message takes no ${mixed.join(', ')}`);

  const out: RichWhatsApp = {};
  if (location.length > 0) {
    for (const [key, max] of [
      ['latitude', 90],
      ['longitude', 180],
    ] as const) {
      const value = whatsApp[key];
      if (isAbsent(value)) bad(`whatsApp.${key}`, 'must not be null');
      else if (typeof value !== 'number' || !Number.isFinite(value)) bad(`whatsApp.${key}`, 'must be a number');
      else if (value < -max || value > max) bad(`whatsApp.${key}`, `must be between -${max} and ${max}`);
      else out[key] = value;
    }
    for (const key of ['locationName', 'address'] as const) {
      const value = whatsApp[key];
      if (isAbsent(value)) continue;
      if (typeof value !== 'string' || value.length > LOCATION_TEXT_MAX) {
        bad(`whatsApp.${key}`, `size must be between 0 and ${LOCATION_TEXT_MAX}`);
      } else out[key] = value;
    }
  }
  if (!isAbsent(contacts)) {
    if (!Array.isArray(contacts) || contacts.length === 0) bad('whatsApp.contacts', 'must not be empty');
    else out.contacts = contacts.map((contact, i) => validateContact(contact, `whatsApp.contacts[${i}]`, bad));
  }
  return valid ? out : undefined;
}

function validateContact(contact: unknown, at: string, fail: Fail): OmniContact {
  if (!isObject(contact)) {
    fail(at, 'must be an object');
    return contact as OmniContact;
  }
  for (const key of Object.keys(contact)) if (!CONTACT_KEYS.has(key)) fail(`${at}.${key}`, 'unknown field');
  if (!isObject(contact.name)) fail(`${at}.name`, 'must not be null');
  else {
    validateEntry(contact.name, 'name', `${at}.name`, fail);
    for (const key of REQUIRED_NAME) {
      const value = contact.name[key];
      if (typeof value !== 'string' || value.trim() === '') fail(`${at}.name.${key}`, 'must not be blank');
    }
  }
  if (!isAbsent(contact.org)) {
    if (!isObject(contact.org)) fail(`${at}.org`, 'must be an object');
    else validateEntry(contact.org, 'org', `${at}.org`, fail);
  }
  for (const list of ['phones', 'emails', 'addresses', 'urls'] as const) {
    const entries = contact[list];
    if (isAbsent(entries)) continue;
    if (!Array.isArray(entries)) {
      fail(`${at}.${list}`, 'must be an array');
      continue;
    }
    entries.forEach((entry: unknown, i) => {
      if (!isObject(entry)) fail(`${at}.${list}[${i}]`, 'must be an object');
      else validateEntry(entry, list, `${at}.${list}[${i}]`, fail);
    });
  }
  const birthday = contact.birthday;
  if (!isAbsent(birthday) && (typeof birthday !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(birthday))) {
    fail(`${at}.birthday`, 'must be a YYYY-MM-DD formatted string');
  }
  // Nulls dropped, as Jackson reads them; the rest as sent.
  return JSON.parse(JSON.stringify(contact, (_key, value: unknown) => (value === null ? undefined : value))) as OmniContact;
}

function validateEntry(entry: Json, shape: string, at: string, fail: Fail): void {
  const fields = ENTRY_SHAPES[shape] ?? {};
  for (const [key, value] of Object.entries(entry)) {
    if (!(key in fields)) {
      fail(`${at}.${key}`, 'unknown field');
      continue;
    }
    if (isAbsent(value)) continue;
    const allowed = fields[key];
    if (typeof value !== 'string') fail(`${at}.${key}`, 'must be a string');
    else if (allowed !== undefined && !allowed.includes(value)) fail(`${at}.${key}`, `must be one of ${allowed.join(', ')}`);
  }
}
