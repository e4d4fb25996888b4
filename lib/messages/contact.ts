import * as z from '../platform/schema';
import { freeFormFields } from '../outbound/send';
import type { ContactCard } from '../outbound/message';
import { omniContact } from '../outbound/transports/omni';
import { makeSimpleSendHandler, startSendRoute, type SendMessageDeps } from './text';

export const CONTACT_TAG = 'sendWhatsAppContactMessage';

/*
 * A contact card in OMNI's shape: WhatsAppData `contacts[]` of `POST /omni/1/advanced`
 * (api-evangelist/infobip, openapi/infobip-omni-failover-openapi.json, schemas Contact, Name,
 * Phone, Email, Address, Organization, Url). What that spec fixes is checked as it says:
 * `name` is required, and in it `firstName` and `formattedName`; `birthday` is YYYY-MM-DD;
 * the types are CELL, MAIN, IPHONE, HOME, WORK for a phone and HOME, WORK for the rest (the
 * WhatsApp channel's ContactContent in openapi/infobip-whatsapp-openapi.json makes them enums).
 * The spec gives no lengths; IMChannel's own choices, so that a mistake is told to ctlive
 * rather than lost in a contact card nobody can read (docs/api.md): every text 1 to 1000
 * characters (the limit OMNI documents for a location's name and address), an entry of
 * phones, emails or urls must carry its value, an address or org at least one field, and an
 * unknown field anywhere in a contact is refused (it is far more likely a typo than data).
 */
export const CONTACT_TEXT_MAX = 1000;
export const PHONE_TYPES = ['CELL', 'MAIN', 'IPHONE', 'HOME', 'WORK'] as const;
export const PLACE_TYPES = ['HOME', 'WORK'] as const;

const textOf = (required?: string) =>
  z
    .string(required === undefined ? 'must be a string' : `required, a string: ${required}`)
    .check(
      z.minLength(
        1,
        required === undefined ? 'must not be empty: leave the field out instead' : `must not be empty: ${required}`,
      ),
      z.maxLength(CONTACT_TEXT_MAX, `must be at most ${CONTACT_TEXT_MAX} characters`),
    );
const optionalText = z.optional(textOf());
const placeType = z.optional(z.enum(PLACE_TYPES, `must be one of ${PLACE_TYPES.join(', ')}`));

/** A real calendar date, YYYY-MM-DD, not after today. */
function isPastDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) &&
    date.getUTCFullYear() === Number(match[1]) &&
    date.getUTCMonth() + 1 === Number(match[2]) &&
    date.getUTCDate() === Number(match[3]) &&
    date.getTime() <= Date.now()
  );
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && !/\s/.test(value);
  } catch {
    return false;
  }
}

const hasAny =
  (fields: readonly string[]) =>
  (entry: Record<string, unknown>): boolean =>
    fields.some((field) => entry[field] !== undefined);

const nameSchema = z.strictObject(
  {
    firstName: textOf('the first name'),
    formattedName: textOf('the full name as it should appear'),
    lastName: optionalText,
    middleName: optionalText,
    nameSuffix: optionalText,
    namePrefix: optionalText,
  },
  {
    // Only for a name that is missing or no object: an unknown key inside keeps its own message.
    error: (issue) =>
      issue.code === 'invalid_type'
        ? 'must be an object with firstName and formattedName (the full name as it should appear)'
        : undefined,
  },
);

const phoneSchema = z
  .strictObject({
    phone: z.optional(
      z
        .string()
        .check(
          z.maxLength(50, 'must be at most 50 characters'),
          z.regex(
            /^\+?(?=(?:\D*\d){3})[\d ().-]+$/,
            'must be a phone number: digits, optionally after a +, with spaces, dashes, dots or parentheses',
          ),
        ),
    ),
    type: z.optional(z.enum(PHONE_TYPES, `must be one of ${PHONE_TYPES.join(', ')}`)),
    waId: z.optional(
      z.string().check(z.regex(/^[1-9]\d{6,14}$/, 'must be a WhatsApp ID: the number with its country code, 7 to 15 digits')),
    ),
  })
  .check(z.refine(hasAny(['phone', 'waId']), 'a phone entry needs phone or waId'));

// Dots only between the domain's labels: one way to match, so linear time on any input.
const emailSchema = z.strictObject({
  email: z
    .string('required: the address, like name@example.com')
    .check(
      z.maxLength(320, 'must be at most 320 characters'),
      z.regex(/^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/, 'must be an email address like name@example.com'),
    ),
  type: placeType,
});

const urlSchema = z.strictObject({
  url: z
    .string('required: an absolute http(s) URL, like https://example.com')
    .check(
      z.maxLength(2048, 'must be at most 2048 characters'),
      z.refine(isHttpUrl, 'must be an absolute http(s) URL, like https://example.com'),
    ),
  type: placeType,
});

const ADDRESS_FIELDS = ['street', 'city', 'state', 'zip', 'country', 'countryCode'] as const;
const addressSchema = z
  .strictObject({
    street: optionalText,
    city: optionalText,
    state: optionalText,
    zip: optionalText,
    country: optionalText,
    countryCode: optionalText,
    type: placeType,
  })
  .check(z.refine(hasAny(ADDRESS_FIELDS), `an address needs at least one of ${ADDRESS_FIELDS.join(', ')}`));

const ORG_FIELDS = ['company', 'department', 'title'] as const;
const orgSchema = z
  .strictObject({ company: optionalText, department: optionalText, title: optionalText })
  .check(z.refine(hasAny(ORG_FIELDS), `org needs at least one of ${ORG_FIELDS.join(', ')}`));

export const contactSchema = z.strictObject({
  name: nameSchema,
  phones: z.optional(z.array(phoneSchema, 'must be an array of {phone, type, waId}')),
  emails: z.optional(z.array(emailSchema, 'must be an array of {email, type}')),
  addresses: z.optional(z.array(addressSchema, 'must be an array of {street, city, state, zip, country, countryCode, type}')),
  org: z.optional(orgSchema),
  urls: z.optional(z.array(urlSchema, 'must be an array of {url, type}')),
  birthday: z.optional(
    z.string('must be a date, YYYY-MM-DD').check(z.refine(isPastDate, 'must be a real date, YYYY-MM-DD, not in the future')),
  ),
});

export const contactSendSchema = z.object({
  ...freeFormFields,
  contacts: z
    .array(contactSchema, 'must be an array of contact cards, each with at least name {firstName, formattedName}')
    .check(z.minLength(1, 'must hold at least one contact card')),
});
export type ContactSend = z.infer<typeof contactSendSchema>;

// The schema's output is the contact card both APIs take: a change to either that breaks the other fails to compile.
const asCards = (contacts: ContactSend['contacts']): ContactCard[] => contacts;

/** `POST /imchannel/sendWhatsAppContactMessage`: one or more contact cards. */
export const makeSendContactHandler = (deps: SendMessageDeps) =>
  makeSimpleSendHandler(deps, contactSendSchema, 'contact', omniContact, (body) => ({
    kind: 'contact',
    contacts: asCards(body.contacts),
  }));

/** Production wiring, once per cold start. */
export function startSendContact() {
  return startSendRoute(CONTACT_TAG, makeSendContactHandler);
}
