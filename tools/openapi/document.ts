/**
 * docs/openapi.json and docs/ctlive-events.schema.json, made from the zod schemas the
 * handlers validate with (never written by hand): `npm run openapi` writes them
 * (tools/openapi/build.ts), and test/unit/openapi.test.ts fails when the committed files
 * are not what this makes. Local tooling only: no function imports it, so no bundle
 * carries it; it imports the schemas, never a handler's wiring.
 */
import * as z from '../../lib/platform/schema';
import { sendMessageSchema } from '../../lib/messages/text';
import { LOCATION_TAG, locationSendSchema } from '../../lib/messages/location';
import { CONTACT_TAG, contactSchema, contactSendSchema } from '../../lib/messages/contact';
import { sendFields, sentBodySchema } from '../../lib/outbound/send';
import { mediaSendSchema, mediaSentBodySchema } from '../../lib/media/send';
import { storedMediaSendSchema } from '../../lib/media/sendStored';
import { mediaUploadAnswerSchema, mediaUploadSchema } from '../../lib/media/upload';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { templateSendSchema } from '../../lib/templates/request';
import { templateSentBodySchema } from '../../lib/templates/send';
import { LIST_TAG, listSendSchema } from '../../lib/messages/list';
import { buttonsSendSchema, urlButtonSendSchema } from '../../lib/interactive/requests';
import { BUTTONS_TAG, URL_BUTTON_TAG, interactiveSentBodySchema } from '../../lib/interactive/send';
import { MARK_AS_READ_TAG, markAsReadSchema, markedBodySchema } from '../../lib/signals/markAsRead';
import { TYPING_TAG, typingBodySchema, typingSchema } from '../../lib/signals/typing';
import { API_KEY_HEADER, templatesBodySchema } from '../../lib/templates/list';
import { ACCOUNT_PARAMETER } from '../../lib/platform/account';
import {
  ctliveDeliveryEventSchema,
  ctliveEventSchema,
  ctliveIdentityChangedEventSchema,
  ctliveMessageEventSchema,
  ctliveMessagePartSchema,
  ctliveSeenEventSchema,
} from '../../lib/inbound/eventSchemas';
import {
  badRequestBody,
  contentMismatchBody,
  conversationWindowClosedBody,
  methodNotAllowedBody,
  contentTypeNotJsonBody,
  infobipRejectedBody,
  infobipErrorBody,
  idempotencyConflictBody,
  idempotencyKeyReusedBody,
  infobipRateLimitedBody,
  infobipTimeoutBody,
  internalErrorBody,
  notFoundBody,
  payloadTooLargeBody,
  redisUnavailableBody,
  templateRefusedBody,
  storageUnavailableBody,
  linkRefusedBody,
  inboundMediaGoneBody,
  inboundMediaUnavailableBody,
  unauthorizedBody,
  uploadMismatchBody,
  stickerRefusedBody,
  uploadMissingBody,
  uploadAlreadySentBody,
  uploadUnsupportedTypeBody,
  unsupportedMediaTypeBody,
  webhookAnswerBody,
  webhookRetryBody,
} from './responses';
import packageJson from '../../package.json';

/** Where the events schema sits next to the OpenAPI document (in docs/ and on the local docs server). */
export const EVENTS_SCHEMA_FILE = 'ctlive-events.schema.json';
export const OPENAPI_FILE = 'openapi.json';

const PREFIX = '/imchannel';
const CTLIVE_TAG = 'ctlive';
const INFOBIP_TAG = 'Infobip-facing';

type Json = Record<string, unknown>;
type Meta = { id?: string; title?: string; description?: string };

const kindName = (kind: MediaKind) => MEDIA_KINDS[kind].sendTag.replace(/^sendWhatsApp|Message$/g, '');

/** JSON Schema of a registry's schemas, without the per-schema `$schema`/`$id` an OpenAPI component must not carry. */
function componentsOf(registry: z.core.$ZodRegistry<Meta>, io: 'input' | 'output', uri: (id: string) => string) {
  const { schemas } = z.toJSONSchema(registry, { io, uri, target: 'draft-2020-12', unrepresentable: 'any' });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as Json;
      return [id, rest];
    }),
  );
}

/** Descriptions of shared fields (CONTRACT section 3), attached to the very schema objects the handlers use. */
function describeSendFields(registry: z.core.$ZodRegistry<Meta>) {
  registry.add(sendFields.to, {
    description: "The customer's number: 7 to 15 digits, optionally after a leading + (dropped); surrounding spaces are trimmed.",
  });
  registry.add(sendFields.infobip, {
    description:
      "ctlive's Infobip settings for this WhatsApp number. A field left out is taken from the deployment's defaults " +
      '(INFOBIP_BASE_URL, INFOBIP_API_KEY, INFOBIP_SCENARIO_KEY); one that is in neither place is a 400. ' +
      'baseUrl must be a bare https origin whose host INFOBIP_ALLOWED_HOSTS allows (http only for loopback).',
  });
  registry.add(sendFields.callbackData, { description: 'Comes back in the delivery reports (the `delivery` event).' });
  registry.add(sendFields.messageId, { description: 'The id to give the Infobip message; Infobip makes one when left out.' });
}

function requestComponents() {
  const registry = z.registry<Meta>();
  describeSendFields(registry);
  registry.add(sendMessageSchema, { id: 'SendMessageRequest', description: "An agent's text to the customer." });
  registry.add(locationSendSchema, {
    id: 'SendLocationRequest',
    description:
      'A location: sent to Infobip OMNI as whatsApp `latitude`, `longitude`, `locationName` (from `name`) and `address`, ' +
      "or to the WhatsApp API as LocationContent's `latitude`, `longitude`, `name` and `address`.",
  });
  registry.add(contactSchema, {
    id: 'ContactCard',
    description:
      "One contact card in Infobip OMNI's shape (WhatsAppData `contacts[]`), field for field the WhatsApp API's ContactContent; unknown fields are refused at every level.",
  });
  registry.add(contactSendSchema, {
    id: 'SendContactRequest',
    description:
      "One or more contact cards, sent to Infobip unchanged (OMNI whatsApp `contacts`, or the WhatsApp API's ContactsContent).",
  });
  registry.add(mediaSendSchema, {
    id: 'MediaSendRequest',
    description:
      'A file to the customer, as base64 (RFC 4648, = padding, no line breaks) in `content`; the allowed ' +
      '`contentType`s depend on the route. The caption (default: the file name) is not shown under audio.',
  });
  registry.add(templateSendSchema, {
    id: 'TemplateSendRequest',
    description:
      'An approved WhatsApp template: plain (OMNI templateData) without header and buttons, else a media template ' +
      '(OMNI mediaTemplateData). A media header carries a `url` Infobip fetches, or the file itself (`content` base64, ' +
      "`contentType`, `fileName`), parked here and served by the kind's fetch route.",
  });
  registry.add(buttonsSendSchema, {
    id: 'SendButtonsRequest',
    description:
      "Up to three reply buttons under a body text (InteractiveButtonsContent of the WhatsApp API): each button's `id` comes " +
      "back to ctlive in the message event's `reply.id` when the customer taps it. An optional header: TEXT, or an IMAGE, " +
      "VIDEO or DOCUMENT by `url`, by the file itself (`content` base64, `contentType`, `fileName`), parked and served like a media send's, " +
      "or by an upload's `mediaId` (POST /imchannel/media), checked and served like a media send's upload.",
  });
  registry.add(listSendSchema, {
    id: 'SendListRequest',
    description:
      'A list menu behind one button (`buttonText`): 1 to 10 sections (a `title` each when more than one), at most 10 rows in all, ' +
      "row ids unique across the message; the chosen row's `id` comes back in the message event's `reply.id`.",
  });
  registry.add(urlButtonSendSchema, {
    id: 'SendUrlButtonRequest',
    description:
      'One button (`displayText`) that opens an https `url`, under a body text, with an optional footer and header (the ' +
      "buttons' header: TEXT, or a file by `url`, inline, or by an upload's `mediaId`).",
  });
  registry.add(markAsReadSchema, {
    id: 'MarkAsReadRequest',
    description:
      "The customer's message to mark as read (blue ticks): its `messageId` as the inbound event gave it. The business number " +
      'is `infobip.sender`, else INFOBIP_SENDER.',
  });
  registry.add(typingSchema, {
    id: 'TypingIndicatorRequest',
    description: 'The customer who sees "typing…"; the business number is `infobip.sender`, else INFOBIP_SENDER.',
  });
  registry.add(storedMediaSendSchema, {
    id: 'StoredMediaSendRequest',
    description:
      'A file uploaded beforehand (POST /imchannel/media, then a PUT to S3), named by its `mediaId` instead of `content`. ' +
      '`fileName` and `contentType` may be left out (the upload declared them); when given they must be the declared ones.',
  });
  registry.add(mediaUploadSchema, {
    id: 'MediaUploadRequest',
    description:
      "A file to upload: its kind, name, type (one the kind takes) and exact size in bytes, within the kind's WhatsApp " +
      'limit (image 5 MB, audio and video 16 MB, document 100 MB); with `sha256` (hex), S3 also checks the digest on PUT.',
  });
  return componentsOf(registry, 'input', (id) => `#/components/schemas/${id}`);
}

const ERROR_SCHEMAS = {
  BadRequestError: [badRequestBody, '400: the body is not JSON, or fails validation (`details` lists each field and why).'],
  UnauthorizedError: [unauthorizedBody, '401: missing or wrong credentials.'],
  NotFoundError: [notFoundBody, '404: the same body for every miss.'],
  PayloadTooLargeError: [payloadTooLargeBody, '413: the request body, or the decoded file, is above `limitBytes`.'],
  InfobipError: [infobipErrorBody, '502: Infobip could not be reached, refused the message, or answered nonsense.'],
  InfobipRejectedError: [
    infobipRejectedBody,
    '422: Infobip answered 200 but REJECTED the message (e.g. REJECTED_DESTINATION_NOT_REGISTERED): nothing is sent; resending it unchanged will not help.',
  ],
  ConversationWindowClosedError: [
    conversationWindowClosedBody,
    "422: CONVERSATION_WINDOW_POLICY is enforce and the customer's 24-hour window closed at `closedAt`: nothing is sent. WhatsApp delivers only a template now; free-form messages can follow once the customer replies.",
  ],
  IdempotencyKeyReusedError: [
    idempotencyKeyReusedBody,
    '422: this Idempotency-Key (or messageId) came before with another body; nothing is sent. Use a new key for a new message.',
  ],
  IdempotencyConflictError: [
    idempotencyConflictBody,
    '409: REQUEST_IN_PROGRESS, the first request with this key still runs; OUTCOME_UNKNOWN, whether its message reached Infobip is not known yet. Nothing is sent; retry after `Retry-After` seconds.',
  ],
  ContentTypeNotJsonError: [contentTypeNotJsonBody, '415: the body must be sent with `Content-Type: application/json`.'],
  ContentMismatchError: [
    contentMismatchBody,
    '415: the file\'s leading bytes do not fit its `contentType` (docs/api.md, "Content checked against its type"); the message says what they look like and where to send it, `detected` lists the types they fit.',
  ],
  InfobipTimeoutError: [
    infobipTimeoutBody,
    '504: Infobip did not answer within INFOBIP_TIMEOUT_MS; the message may or may not have been sent.',
  ],
  InfobipRateLimitedError: [
    infobipRateLimitedBody,
    "429: Infobip is throttling the sends; nothing was sent. Retry after `Retry-After` seconds (Infobip's own, else 5).",
  ],
  RedisUnavailableError: [redisUnavailableBody, '503: the media store (Redis) is unavailable; try again later.'],
  TemplateRefusedError: [
    templateRefusedBody,
    "400: the sender's cached catalogue (GET /imchannel/templates) has no such template or language, or it takes another number of body placeholders or another header; nothing is sent.",
  ],
  StorageUnavailableError: [storageUnavailableBody, '503: the file storage (S3) failed or was too slow; try again later.'],
  LinkRefusedError: [linkRefusedBody, '403: the downloadUrl has expired; open `url` with the ctlive token instead.'],
  InboundMediaGoneError: [
    inboundMediaGoneBody,
    '410: Infobip no longer has a file that was never copied (MEDIA_EXPIRED); 422: the file cannot be copied (MEDIA_TOO_LARGE, MEDIA_WRONG_TYPE, MEDIA_NO_SIZE).',
  ],
  InboundMediaUnavailableError: [
    inboundMediaUnavailableBody,
    '503: Infobip or the file storage failed while the file was copied on demand; try again after `Retry-After` seconds.',
  ],
  UploadMissingError: [
    uploadMissingBody,
    '409: the file of this mediaId is not in the bucket yet: PUT it to the upload URL (with its headers), then send again. Nothing is sent.',
  ],
  UploadAlreadySentError: [
    uploadAlreadySentBody,
    '409: this upload was already sent as another message (an upload carries one message); nothing is sent. Create a new upload for this message.',
  ],
  StickerRefusedError: [
    stickerRefusedBody,
    '422: the sticker is not what WhatsApp shows as one: a WebP image of 512×512 pixels, at most 100 KB static or 500 KB animated; `limit` and `found` say which and what. Nothing is sent.',
  ],
  UploadMismatchError: [
    uploadMismatchBody,
    "422: the uploaded object is not what the upload declared (size or type), or is over the kind's limit; nothing is sent and the upload is deleted.",
  ],
  UploadUnsupportedTypeError: [
    uploadUnsupportedTypeBody,
    '415: the declared content type is not one the declared kind takes (`allowed`).',
  ],
  WebhookRetryError: [webhookRetryBody, '503: some results were not forwarded to ctlive yet; Infobip retries.'],
  MethodNotAllowedError: [
    methodNotAllowedBody,
    '405, on every path, for a method the path does not take (no operation lists it): `allowed` and the `Allow` header name the ones it does.',
  ],
  InternalError: [internalErrorBody, '500: an unexpected failure; the body never carries the internal error.'],
} as const;
type ErrorSchemaId = keyof typeof ERROR_SCHEMAS;

const unsupportedId = (kind: MediaKind) => `Unsupported${kindName(kind)}TypeError`;

function responseComponents() {
  const registry = z.registry<Meta>();
  registry.add(sentBodySchema, {
    id: 'SentMessage',
    description:
      "Infobip accepted the message: its id, the number it goes to, Infobip's status (messages[0]), and the customer's " +
      '24-hour window (`conversationWindow`: open until `closesAt`, closed since `closedAt`, or `open: null` with a `reason` ' +
      'when not known; absent under CONVERSATION_WINDOW_POLICY=off).',
  });
  registry.add(mediaUploadAnswerSchema, {
    id: 'MediaUpload',
    description:
      'Where to PUT the bytes, with exactly these headers (they are signed: S3 refuses another size, type or digest), ' +
      "until `expiresAt` (MEDIA_UPLOAD_TTL_SECONDS); then send `mediaId` to the kind's send route.",
  });
  registry.add(mediaSentBodySchema, {
    id: 'SentMediaMessage',
    description: 'As SentMessage, plus the stored file: its id and the URL Infobip fetches it from.',
  });
  registry.add(templateSentBodySchema, {
    id: 'SentTemplateMessage',
    description:
      "As SentMessage, plus, when the header carried a file, the parked file's id and the URL Infobip fetches it from.",
  });
  registry.add(interactiveSentBodySchema, {
    id: 'SentInteractiveMessage',
    description:
      "As SentMessage, plus, when the header carried a file, the parked file's id and the URL Infobip fetches it from.",
  });
  registry.add(markedBodySchema, {
    id: 'MarkedAsRead',
    description:
      'Infobip marked the message as read, or it had been marked already (`alreadyMarked`: Infobip was not called again).',
  });
  registry.add(typingBodySchema, { id: 'TypingIndicatorSent', description: 'Infobip took the typing indicator.' });
  registry.add(templatesBodySchema, {
    id: 'TemplateCatalogue',
    description:
      "The sender's WhatsApp templates: per template its name, language, category and status, and per component the " +
      'number of placeholders and the button kinds. `cached`: read from Redis (kept TEMPLATES_CACHE_TTL_SECONDS) rather than from Infobip just now.',
  });
  registry.add(webhookAnswerBody, {
    id: 'WebhookAnswer',
    description:
      'Every result was forwarded to ctlive, or had been already (a duplicate); `ignored` (when present) counts typing ' +
      'indicators and WhatsApp notifications that are acknowledged without reaching ctlive.',
  });
  for (const [id, [schema, description]] of Object.entries(ERROR_SCHEMAS)) registry.add(schema, { id, description });
  for (const kind of MEDIA_KIND_NAMES) {
    registry.add(unsupportedMediaTypeBody(kind), {
      id: unsupportedId(kind),
      description: `415: the content type is not one the ${kind} route allows (\`allowed\`).`,
    });
  }
  return componentsOf(registry, 'output', (id) => `#/components/schemas/${id}`);
}

/** The JSON Schema (2020-12) of one event ctlive receives, with each kind under `$defs`. */
export function eventsSchema(): Json {
  const registry = z.registry<Meta>();
  registry.add(ctliveEventSchema, { id: 'CtliveEvent' });
  registry.add(ctliveMessageEventSchema, {
    id: 'CtliveMessageEvent',
    description: "A customer's WhatsApp message (onMessage), any type Infobip sends.",
  });
  registry.add(ctliveDeliveryEventSchema, {
    id: 'CtliveDeliveryEvent',
    description: 'A delivery report of an outbound message (onDeliveryReport); callbackData is what the send carried.',
  });
  registry.add(ctliveSeenEventSchema, {
    id: 'CtliveSeenEvent',
    description: 'A seen report of an outbound message (onDeliveryReport).',
  });
  registry.add(ctliveIdentityChangedEventSchema, {
    id: 'CtliveIdentityChangedEvent',
    description:
      "WhatsApp's identity-change notification (the customer's security code changed: a new phone or a reinstall), " +
      'on either webhook. Infobip names only the new identity.',
  });
  registry.add(ctliveMessagePartSchema, {
    id: 'CtliveMessagePart',
    description: 'One part of a message (a Messages API `content[]` entry); the message event has its first part at the top.',
  });
  const schema = z.toJSONSchema(ctliveEventSchema, {
    metadata: registry,
    io: 'output',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json;
  // The root is the union itself rather than a `$ref` to it, so the file reads as one schema.
  const defs = { ...(schema.$defs as Record<string, Json>) };
  const { CtliveEvent: union, ...kinds } = defs;
  return {
    $schema: schema.$schema,
    title: 'IMChannel → ctlive event',
    description:
      'One event per Infobip result or identity-change notification (CONTRACT section 6), POSTed as JSON to CTLIVE_TARGET (http) or the payload of ' +
      'an Event invoke (lambda:). Fields the result lacks are left out; `raw` is the Infobip result as received. ' +
      'Generated from lib/inbound/eventSchemas.ts by `npm run openapi`.',
    ...union,
    $defs: kinds,
  };
}

const json = (schemaId: string, description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaId}` } } },
});
const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1 },
  },
};
const error = (id: ErrorSchemaId, description: string = ERROR_SCHEMAS[id][1]) => json(id, description);
/** A 409, 429 or 503: the body, and when to come back. */
const retryLater = (id: ErrorSchemaId) => ({ ...error(id), headers: RETRY_AFTER });

const sendErrors = {
  '400': error('BadRequestError'),
  '401': error('UnauthorizedError', '401: no `Authorization: Bearer <CTLIVE_API_TOKEN>`, or a wrong token. Checked first.'),
  '409': retryLater('IdempotencyConflictError'),
  '413': error('PayloadTooLargeError'),
  '415': error('ContentTypeNotJsonError'),
  '422': {
    description: `${ERROR_SCHEMAS.InfobipRejectedError[1]} Or ${ERROR_SCHEMAS.IdempotencyKeyReusedError[1]} Or ${ERROR_SCHEMAS.ConversationWindowClosedError[1]}`,
    content: {
      'application/json': {
        schema: {
          anyOf: [
            { $ref: '#/components/schemas/InfobipRejectedError' },
            { $ref: '#/components/schemas/IdempotencyKeyReusedError' },
            { $ref: '#/components/schemas/ConversationWindowClosedError' },
          ],
        },
      },
    },
  },
  '429': retryLater('InfobipRateLimitedError'),
  '500': error('InternalError'),
  '502': error('InfobipError'),
  '503': retryLater('RedisUnavailableError'),
  '504': error('InfobipTimeoutError'),
};

/**
 * What a send that names an upload by `mediaId` adds to a send's answers (lib/media/sendStored.ts,
 * readyUpload): a media send's, and a menu header's. `more422`: the route's own 422 bodies.
 */
function uploadResponses(more422: ErrorSchemaId[] = []) {
  const more = more422.map((id) => ` Or ${ERROR_SCHEMAS[id][1]}`).join('');
  return {
    '404': error('NotFoundError', '404: no upload with this `mediaId` (expired, refused before, or never made).'),
    '409': {
      description: `${ERROR_SCHEMAS.IdempotencyConflictError[1]} Or ${ERROR_SCHEMAS.UploadMissingError[1]} Or ${ERROR_SCHEMAS.UploadAlreadySentError[1]}`,
      headers: RETRY_AFTER,
      content: {
        'application/json': {
          schema: {
            anyOf: [
              { $ref: '#/components/schemas/IdempotencyConflictError' },
              { $ref: '#/components/schemas/UploadMissingError' },
              { $ref: '#/components/schemas/UploadAlreadySentError' },
            ],
          },
        },
      },
    },
    '422': {
      ...sendErrors['422'],
      description: `${sendErrors['422'].description} Or ${ERROR_SCHEMAS.UploadMismatchError[1]}${more}`,
      content: {
        'application/json': {
          schema: {
            anyOf: [
              ...sendErrors['422'].content['application/json'].schema.anyOf,
              { $ref: '#/components/schemas/UploadMismatchError' },
              ...more422.map((id) => ({ $ref: `#/components/schemas/${id}` })),
            ],
          },
        },
      },
    },
    '503': {
      ...retryLater('RedisUnavailableError'),
      description: `${ERROR_SCHEMAS.RedisUnavailableError[1]} Or ${ERROR_SCHEMAS.StorageUnavailableError[1]}`,
      content: {
        'application/json': {
          schema: {
            anyOf: [
              { $ref: '#/components/schemas/RedisUnavailableError' },
              { $ref: '#/components/schemas/StorageUnavailableError' },
            ],
          },
        },
      },
    },
  };
}

/** A send's 200 may be the first answer replayed to a retry. */
const replayable = (response: ReturnType<typeof json>) => ({
  ...response,
  headers: {
    'Idempotent-Replayed': {
      description: '`true` when this is the first answer to this Idempotency-Key, replayed: nothing was sent again.',
      schema: { type: 'string', enum: ['true'] },
    },
  },
});

/** Every send route: at most one message per key and body (docs/api.md, "Idempotent sends"). */
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    "1 to 255 printable ASCII characters. A retry with the same key and body is answered with the first answer (and `Idempotent-Replayed: true`), without a second message; the same key with another body gets 422. Without it, the body's `messageId` is the key; without either, the send is not idempotent.",
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

function sendMessageOperation() {
  return {
    post: {
      operationId: 'sendMessage',
      summary: "Send an agent's text to the customer",
      description: `${TRANSPORT_TEXT} CONTRACT section 3.`,
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      parameters: [IDEMPOTENCY_KEY],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/SendMessageRequest' } } },
      },
      responses: { '200': replayable(json('SentMessage', 'Infobip accepted the message.')), ...sendErrors },
    },
  };
}

/** How every send chooses the Infobip API it goes through (docs/api.md, "Transports"). */
const TRANSPORT_TEXT =
  'Sent through Infobip OMNI (`POST {baseUrl}/omni/1/advanced`) or its WhatsApp API (`POST {baseUrl}/whatsapp/1/message/...`): ' +
  "`infobip.transport`, else the deployment's INFOBIP_TRANSPORT (default `omni`). A message OMNI cannot carry (a quote, `replyTo`; " +
  'a sticker) goes through the WhatsApp API whatever the default, which needs the business number (`infobip.sender` or INFOBIP_SENDER): ' +
  'without one the send is a 400 and nothing is sent. The answer names the API in `transport`.';

/**
 * A menu: only the WhatsApp API carries it, so the business number is needed. `headerFiles`:
 * its header may carry a file, inline or an upload's `mediaId`, with a media send's refusals.
 */
function interactiveOperation(
  operationId: string,
  summary: string,
  description: string,
  requestId: string,
  answerId: string,
  headerFiles = false,
) {
  const operation = richSendOperation(operationId, summary, description, requestId) as { post: Json };
  return {
    post: {
      ...operation.post,
      description:
        `${description} Sent through Infobip's WhatsApp API only (OMNI has no interactive message), from the business number ` +
        '`infobip.sender` or INFOBIP_SENDER (a 400 naming both when neither is set). A free-form message: the 24-hour window, ' +
        'idempotency, reports and unknown-outcome resolution apply as to every send. docs/api.md, "Menus".',
      responses: {
        ...sendErrors,
        ...(headerFiles ? uploadResponses() : {}),
        '200': replayable(json(answerId, 'Infobip accepted the message.')),
      },
    },
  };
}

/** A call to Infobip that is not a message: no idempotency, no window. */
function signalOperation(operationId: string, summary: string, description: string, requestId: string, answerId: string) {
  const { '409': _conflict, '422': _unprocessable, ...errors } = sendErrors;
  return {
    post: {
      operationId,
      summary,
      description,
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestId}` } } },
      },
      responses: { '200': json(answerId, 'Done.'), ...errors },
    },
  };
}

/** The location and contact-card sends: sendMessage's conventions, another body. */
function richSendOperation(operationId: string, summary: string, description: string, requestId: string) {
  return {
    post: {
      operationId,
      summary,
      description: `${description} ${TRANSPORT_TEXT}`,
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      parameters: [IDEMPOTENCY_KEY],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestId}` } } },
      },
      responses: { '200': replayable(json('SentMessage', 'Infobip accepted the message.')), ...sendErrors },
    },
  };
}

function mediaSendOperation(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return {
    post: {
      operationId: spec.sendTag,
      summary: `Send a ${kind} file to the customer`,
      description:
        `Allowed content types (parameters such as \`; codecs=opus\` are kept): ${spec.contentTypes.join(', ')}. ` +
        `The file is stored under a fresh UUID before Infobip is called, and Infobip fetches it from ` +
        `\`IMCHANNEL_PUBLIC_URL/${spec.route}/{id}\`; when Infobip refuses the message, the file is deleted. ` +
        (spec.checkFile === undefined
          ? ''
          : 'A sticker must be a WebP image of exactly 512×512 pixels, at most 100 KB static or 500 KB animated, read from its header before anything is stored (422 STICKER_REFUSED otherwise). ') +
        `${TRANSPORT_TEXT} CONTRACT section 3.`,
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      parameters: [IDEMPOTENCY_KEY],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              oneOf: [{ $ref: '#/components/schemas/MediaSendRequest' }, { $ref: '#/components/schemas/StoredMediaSendRequest' }],
            },
          },
        },
      },
      responses: {
        '200': replayable(json('SentMediaMessage', 'The file is stored and Infobip accepted the message.')),
        ...sendErrors,
        ...uploadResponses(spec.checkFile === undefined ? [] : ['StickerRefusedError']),
        '413': error('PayloadTooLargeError', '413: the request body, or the decoded file (MEDIA_MAX_BYTES), is too large.'),
        '415': {
          description: `415: the body is not JSON, the file's content type is not one the ${kind} route allows (\`allowed\`; \`route\` names the route that takes it), or the file's leading bytes do not fit its content type (CONTENT_MISMATCH).`,
          content: {
            'application/json': {
              schema: {
                anyOf: [
                  { $ref: `#/components/schemas/${unsupportedId(kind)}` },
                  { $ref: '#/components/schemas/ContentTypeNotJsonError' },
                  { $ref: '#/components/schemas/ContentMismatchError' },
                ],
              },
            },
          },
        },
      },
    },
  };
}

/** `POST /imchannel/media`: a presigned S3 PUT, then a send by mediaId. */
function mediaUploadOperation() {
  return {
    post: {
      operationId: 'createMediaUpload',
      summary: 'Upload a file larger than the inline limit (presigned S3 PUT)',
      description:
        'Answers a presigned S3 PUT bound to the declared size and type (and SHA-256 when given), valid MEDIA_UPLOAD_TTL_SECONDS. ' +
        'PUT the bytes there with the answered headers, then send `mediaId` to `sendWhatsApp{Kind}Message`. The upload ' +
        'lives as a stored file does (MEDIA_TTL_SECONDS, shortened by the first fetch). docs/api.md, "Large files".',
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/MediaUploadRequest' } } },
      },
      responses: {
        '200': json('MediaUpload', 'Where and how to PUT the file, and its mediaId.'),
        '400': error('BadRequestError'),
        '401': error('UnauthorizedError', '401: no `Authorization: Bearer <CTLIVE_API_TOKEN>`, or a wrong token. Checked first.'),
        '413': error(
          'PayloadTooLargeError',
          "413: the declared size is over the kind's limit (`limitBytes`), or the body over 16 KiB.",
        ),
        '415': {
          description: `${ERROR_SCHEMAS.UploadUnsupportedTypeError[1]} Or ${ERROR_SCHEMAS.ContentTypeNotJsonError[1]}`,
          content: {
            'application/json': {
              schema: {
                anyOf: [
                  { $ref: '#/components/schemas/UploadUnsupportedTypeError' },
                  { $ref: '#/components/schemas/ContentTypeNotJsonError' },
                ],
              },
            },
          },
        },
        '500': error('InternalError'),
        '503': retryLater('RedisUnavailableError'),
      },
    },
  };
}

function templateSendOperation() {
  const unsupported = (['image', 'video', 'document'] as const).map((kind) => ({
    $ref: `#/components/schemas/${unsupportedId(kind)}`,
  }));
  return {
    post: {
      operationId: 'sendWhatsAppTemplateMessage',
      summary: 'Send an approved WhatsApp template to the customer',
      description:
        'The one message that reaches a customer whose 24-hour window has closed. Sent through Infobip OMNI ' +
        '(`POST {baseUrl}/omni/1/advanced`, WhatsAppData templateName/templateNamespace/templateData/language or ' +
        'mediaTemplateData), or its WhatsApp API (`POST {baseUrl}/whatsapp/1/message/template`, a BulkMessage of one ' +
        "TemplateContent; `templateNamespace` is OMNI's alone) as `infobip.transport` or INFOBIP_TRANSPORT say. A template " +
        'takes no `replyTo` (WhatsApp shows no quote on one). When the sender (`infobip.sender` or INFOBIP_SENDER) has a cached catalogue, the template ' +
        "is checked against it first. A header file is parked like a media send's and deleted when Infobip refuses " +
        'the message. docs/api.md, "Templates".',
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      parameters: [IDEMPOTENCY_KEY],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/TemplateSendRequest' } } },
      },
      responses: {
        '200': replayable(json('SentTemplateMessage', 'Infobip accepted the template.')),
        ...sendErrors,
        '400': {
          description: `${ERROR_SCHEMAS.BadRequestError[1]} Or ${ERROR_SCHEMAS.TemplateRefusedError[1]}`,
          content: {
            'application/json': {
              schema: {
                anyOf: [{ $ref: '#/components/schemas/BadRequestError' }, { $ref: '#/components/schemas/TemplateRefusedError' }],
              },
            },
          },
        },
        '413': error(
          'PayloadTooLargeError',
          '413: the request body, or the decoded header file (MEDIA_MAX_BYTES), is too large.',
        ),
        '415': {
          description:
            "415: the body is not JSON, the header file's content type is not one its kind allows, or its leading bytes do not fit it.",
          content: {
            'application/json': {
              schema: {
                anyOf: [
                  ...unsupported,
                  { $ref: '#/components/schemas/ContentTypeNotJsonError' },
                  { $ref: '#/components/schemas/ContentMismatchError' },
                ],
              },
            },
          },
        },
      },
    },
  };
}

function listTemplatesOperation() {
  const query = (name: string, description: string, schema: Json) => ({
    name,
    in: 'query',
    required: false,
    description,
    schema,
  });
  return {
    get: {
      operationId: 'listTemplates',
      summary: "List the sender's WhatsApp templates",
      description:
        "From Infobip's WhatsApp API (`GET {baseUrl}/whatsapp/2/senders/{sender}/templates`), summarised, and cached in " +
        'Redis for TEMPLATES_CACHE_TTL_SECONDS (default 300) per sender and Infobip account. An API key is never taken ' +
        `from the query string (URLs end up in access logs): it is the deployment's INFOBIP_API_KEY, or the \`${API_KEY_HEADER}\` header. ` +
        'docs/api.md, "Templates".',
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }],
      parameters: [
        query('sender', 'The business number (digits, a leading + or 00 dropped); default INFOBIP_SENDER.', {
          type: 'string',
          pattern: '^(?:\\+|00)?[1-9]\\d{6,14}$',
        }),
        query('baseUrl', 'The Infobip account (a bare https origin INFOBIP_ALLOWED_HOSTS allows); default INFOBIP_BASE_URL.', {
          type: 'string',
        }),
        query('refresh', '`true` reads Infobip even when a cached catalogue is there.', {
          type: 'string',
          enum: ['true', 'false'],
        }),
        {
          name: API_KEY_HEADER,
          in: 'header',
          required: false,
          description: "An Infobip API key for this call instead of the deployment's INFOBIP_API_KEY.",
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': json('TemplateCatalogue', "The sender's templates."),
        '400': error(
          'BadRequestError',
          '400: a setting is missing or malformed, an unknown query parameter, or an API key in the query (API_KEY_IN_QUERY).',
        ),
        '401': sendErrors['401'],
        '429': retryLater('InfobipRateLimitedError'),
        '500': error('InternalError'),
        '502': error('InfobipError', '502: Infobip could not be reached or refused the list (an unknown sender is its 404).'),
        '504': error('InfobipTimeoutError', '504: Infobip did not answer within INFOBIP_TIMEOUT_MS.'),
      },
    },
  };
}

const fileHeaders = {
  'Content-Length': { description: 'The size of the file in bytes.', schema: { type: 'integer', minimum: 0 } },
  'Content-Disposition': {
    description: '`inline; filename="…"`, the stored file name safely quoted.',
    schema: { type: 'string' },
  },
  'Cache-Control': { description: '`no-store`.', schema: { type: 'string', const: 'no-store' } },
  'X-Content-Type-Options': { description: '`nosniff`.', schema: { type: 'string', const: 'nosniff' } },
};

function mediaFetchOperations(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  const name = kindName(kind);
  const parameters = [
    {
      name: 'id',
      in: 'path',
      required: true,
      description: 'The `mediaId` of the send (a UUIDv4); it is the secret, so there is no other credential.',
      schema: { type: 'string' },
    },
  ];
  const errors = {
    '404': error('NotFoundError', '404: unknown, expired, not a UUID, or stored as another kind: the same body for all.'),
    '500': error('InternalError'),
    '503': retryLater('RedisUnavailableError'),
  };
  const common = { tags: [INFOBIP_TAG], security: [], parameters };
  return {
    get: {
      operationId: spec.fetchTag,
      summary: `Infobip fetches a stored ${kind} file`,
      description: "Each fetch shortens the file's life to MEDIA_FETCH_TTL_SECONDS. CONTRACT section 4.",
      ...common,
      responses: {
        '200': {
          description: 'The exact bytes, with the content type they were sent with.',
          headers: fileHeaders,
          content: Object.fromEntries(spec.contentTypes.map((type) => [type, {}])),
        },
        '302': {
          description:
            'An uploaded file in MEDIA_FETCH_MODE=redirect, or fetched here rather than at its streaming URL: ' +
            'to a presigned S3 GET valid MEDIA_FETCH_TTL_SECONDS, with the same Content-Type and Content-Disposition fixed in it.',
          headers: { Location: { description: 'The presigned S3 GET.', schema: { type: 'string' } } },
        },
        ...errors,
      },
    },
    head: {
      operationId: `onHead${name}Message`,
      summary: `Infobip asks for a stored ${kind} file's size and type`,
      description: 'The headers of GET, without the body (Infobip asks HEAD first). CONTRACT section 4.',
      ...common,
      responses: { '200': { description: 'The headers of GET, no body.', headers: fileHeaders }, ...errors },
    },
  };
}

function webhookOperation(operationId: string, summary: string, description: string) {
  return {
    post: {
      operationId,
      summary,
      description: `${description} Each result is forwarded to ctlive (see the \`ctliveEvent\` webhook) exactly once. CONTRACT section 5.`,
      tags: [INFOBIP_TAG],
      security: [{ reportToken: [] }, { infobipBasic: [] }, {}],
      parameters: [
        {
          name: ACCOUNT_PARAMETER,
          in: 'query',
          required: false,
          description:
            "The Infobip account the results belong to: its API host in lower case (`xxxx.api.infobip.com`), on INFOBIP_ALLOWED_HOSTS. Absent, or INFOBIP_BASE_URL's host: the deployment's own account. Infobip's message ids are unique only within an account, so de-duplication and report marks are kept per account. A send's notifyUrl names the account of a send to another account, bound into its token; with the webhook credentials, another account's subscription names it in its URL. Anything else: 400 INVALID_ACCOUNT.",
          schema: { type: 'string', maxLength: 259 },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              anyOf: [
                {
                  type: 'object',
                  description: "Infobip's webhook payload; only the envelope is checked, every result is forwarded as `raw`.",
                  properties: {
                    results: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['messageId'],
                        properties: { messageId: { type: 'string', minLength: 1 } },
                      },
                    },
                  },
                  required: ['results'],
                },
                {
                  type: 'object',
                  description:
                    'A WhatsApp notification without `results`: the identity change (`content.type` ' +
                    '`user_identity_changed`) becomes an `identityChanged` event; payment and marketing-preference ' +
                    'notifications are acknowledged and not forwarded.',
                  properties: { from: { type: 'string' }, content: { type: 'object' }, createdAt: { type: 'string' } },
                  required: ['content'],
                },
                {
                  type: 'object',
                  description: 'A WhatsApp template update event (Subscriptions): acknowledged, not forwarded.',
                  properties: { messageTemplateId: { type: 'string' }, change: { type: 'object' } },
                  required: ['messageTemplateId', 'change'],
                },
              ],
            },
          },
        },
      },
      responses: {
        '200': json('WebhookAnswer', 'Every result was forwarded or was a duplicate.'),
        '400': error(
          'BadRequestError',
          '400: not JSON, or not a payload Infobip documents (no `results` array of objects with a messageId, and not a ' +
            'WhatsApp notification); or INVALID_ACCOUNT, an `account` that is no Infobip account of this deployment.',
        ),
        '401': error('UnauthorizedError', '401: the configured webhook credentials are missing or wrong; nothing is forwarded.'),
        '413': error(
          'PayloadTooLargeError',
          "413: the body is above 6 MiB (PAYLOAD_TOO_LARGE), or it has more than 2,000 results to forward (TOO_MANY_RESULTS: set the subscription's maxBucketSize to 2000 or less).",
        ),
        '500': error('InternalError'),
        '503': retryLater('WebhookRetryError'),
      },
    },
  };
}

/** The events schema's root, under components.schemas beside its kinds. */
const EVENTS_COMPONENT = 'CtliveEvent';

/**
 * docs/ctlive-events.schema.json bundled into the description: the union as
 * `CtliveEvent`, each kind under its own name, `#/$defs/…` rewritten to
 * `#/components/schemas/…`. A copy of openapi.json alone then loads in a viewer,
 * Prism, Postman or a generator, which a reference to a file beside it would not.
 */
function eventsComponents(): Record<string, Json> {
  const { $schema: _schema, $defs, ...union } = eventsSchema();
  const rewritten = JSON.parse(
    JSON.stringify({ [EVENTS_COMPONENT]: union, ...($defs as Record<string, Json>) }).replaceAll(
      '"#/$defs/',
      '"#/components/schemas/',
    ),
  ) as Record<string, Json>;
  return rewritten;
}

function ctliveEventWebhook() {
  return {
    post: {
      operationId: 'receiveCtliveEvent',
      summary: 'ctlive receives one event per Infobip result',
      description:
        'IMChannel POSTs each event as JSON to CTLIVE_TARGET when it is an http(s) URL (with ' +
        '`Authorization: Bearer <CTLIVE_TARGET_TOKEN>` when that is set); for `lambda:<function>` the same JSON is the ' +
        'payload of an Event invoke. Any answer but 2xx counts as not delivered: IMChannel answers Infobip 503 and ' +
        "Infobip's retry brings the event again. CONTRACT section 6.",
      tags: [CTLIVE_TAG],
      security: [{ ctliveTargetBearer: [] }, {}],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${EVENTS_COMPONENT}` } } },
      },
      responses: {
        '2XX': { description: 'ctlive has the event.' },
        '4XX': { description: 'Not taken: IMChannel does not count it as forwarded, and Infobip retries.' },
        '5XX': { description: 'Not taken: IMChannel does not count it as forwarded, and Infobip retries.' },
      },
    },
  };
}

function inboundMediaOperation() {
  return {
    get: {
      operationId: 'getInboundMedia',
      summary: "Open a customer's file",
      description:
        'A file the customer sent, as IMChannel copied it from Infobip into its bucket (a file not copied yet is copied now). ' +
        "The message event's `media.url` opens with ctlive's bearer token; `media.downloadUrl` (the same URL with `expires` and " +
        '`signature`) opens without credentials until INBOUND_MEDIA_LINK_TTL_SECONDS (default 7 days) have passed, for an ' +
        'agent\'s browser. Either way the answer is a 302 to a presigned S3 GET valid a minute. docs/api.md, "Customers\' files".',
      tags: [CTLIVE_TAG],
      security: [{ ctliveBearer: [] }, {}],
      parameters: [
        {
          name: 'id',
          in: 'path',
          required: true,
          description: "IMChannel's id of the file, as in `media.url` and the mediaStored event's `media.id`.",
          schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,800}$' },
        },
        {
          name: 'expires',
          in: 'query',
          required: false,
          description: 'Of a downloadUrl: when it stops working (Unix seconds).',
          schema: { type: 'string', pattern: '^\\d{1,12}$' },
        },
        {
          name: 'signature',
          in: 'query',
          required: false,
          description: 'Of a downloadUrl: its signature under INBOUND_MEDIA_LINK_SECRET.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '302': {
          description:
            'To a presigned S3 GET of the file, valid 60 seconds, with its Content-Type and Content-Disposition fixed in it.',
          headers: { Location: { description: 'The presigned S3 GET.', schema: { type: 'string' } } },
        },
        '401': sendErrors['401'],
        '403': error('LinkRefusedError'),
        '404': error('NotFoundError', '404: not an id IMChannel gave.'),
        '410': error('InboundMediaGoneError', '410: Infobip no longer has the file and it was never copied (MEDIA_EXPIRED).'),
        '422': error(
          'InboundMediaGoneError',
          '422: the file cannot be copied (MEDIA_TOO_LARGE, MEDIA_WRONG_TYPE, MEDIA_NO_SIZE).',
        ),
        '500': error('InternalError'),
        '503': retryLater('InboundMediaUnavailableError'),
      },
    },
  };
}

/** The OpenAPI 3.1 document of every route (CONTRACT section 2) and of the events ctlive receives. */
export function openApiDocument(): Json {
  const paths: Json = {
    [`${PREFIX}/sendMessage`]: sendMessageOperation(),
    [`${PREFIX}/sendWhatsAppTemplateMessage`]: templateSendOperation(),
    [`${PREFIX}/templates`]: listTemplatesOperation(),
  };
  paths[`${PREFIX}/${LOCATION_TAG}`] = richSendOperation(
    LOCATION_TAG,
    'Send a location to the customer',
    'A pin at `latitude` (-90 to 90) and `longitude` (-180 to 180), with an optional `name` and `address` (each at most 1000 characters).',
    'SendLocationRequest',
  );
  paths[`${PREFIX}/${CONTACT_TAG}`] = richSendOperation(
    CONTACT_TAG,
    'Send contact cards to the customer',
    "`contacts[]` in Infobip OMNI's shape: each card needs `name.firstName` and `name.formattedName`; phones, emails, addresses, org, urls and birthday are optional, every field checked (docs/api.md).",
    'SendContactRequest',
  );
  paths[`${PREFIX}/${BUTTONS_TAG}`] = interactiveOperation(
    BUTTONS_TAG,
    'Send reply buttons to the customer',
    "A body text with 1 to 3 reply buttons (`id` 1–256, `title` 1–20, ids unique), an optional header and footer; the tapped button's `id` comes back in the message event's `reply`.",
    'SendButtonsRequest',
    'SentInteractiveMessage',
    true,
  );
  paths[`${PREFIX}/${LIST_TAG}`] = interactiveOperation(
    LIST_TAG,
    'Send a list menu to the customer',
    'A body text and a button (`buttonText`, 1–20) that opens 1 to 10 sections of rows (at most 10 rows in all; row `id` 1–200 and unique, `title` 1–24, `description` up to 72); an optional TEXT header and footer.',
    'SendListRequest',
    'SentMessage',
  );
  paths[`${PREFIX}/${URL_BUTTON_TAG}`] = interactiveOperation(
    URL_BUTTON_TAG,
    'Send a link button to the customer',
    'A body text with one button (`displayText`, 1–20) that opens an https `url` (at most 2048 characters); an optional header and footer.',
    'SendUrlButtonRequest',
    'SentInteractiveMessage',
    true,
  );
  paths[`${PREFIX}/${MARK_AS_READ_TAG}`] = signalOperation(
    MARK_AS_READ_TAG,
    "Mark the customer's message as read",
    "Infobip's `POST {baseUrl}/whatsapp/1/senders/{sender}/message/{messageId}/read`, the message id percent-encoded in the path. " +
      'A message marked before is answered from Redis without calling Infobip again; Infobip allows 10 marks a second, and its 429 comes back as a 429 with `Retry-After`. ' +
      'Needs the business number (`infobip.sender` or INFOBIP_SENDER).',
    'MarkAsReadRequest',
    'MarkedAsRead',
  );
  paths[`${PREFIX}/${TYPING_TAG}`] = signalOperation(
    TYPING_TAG,
    'Show the customer that an agent is typing',
    "One `TYPING_INDICATOR` event through Infobip's `POST {baseUrl}/whatsapp/1/events`; nothing is kept, so ctlive may send it without waiting for the answer. " +
      'Needs the business number (`infobip.sender` or INFOBIP_SENDER).',
    'TypingIndicatorRequest',
    'TypingIndicatorSent',
  );
  paths[`${PREFIX}/media`] = mediaUploadOperation();
  for (const kind of MEDIA_KIND_NAMES) paths[`${PREFIX}/${MEDIA_KINDS[kind].sendTag}`] = mediaSendOperation(kind);
  for (const kind of MEDIA_KIND_NAMES) paths[`${PREFIX}/${MEDIA_KINDS[kind].route}/{id}`] = mediaFetchOperations(kind);
  paths[`${PREFIX}/onMessage`] = webhookOperation(
    'onMessage',
    "Infobip posts customers' WhatsApp messages",
    'Every message type is forwarded, known or not.',
  );
  paths[`${PREFIX}/inboundMedia/{id}`] = inboundMediaOperation();
  paths[`${PREFIX}/onDeliveryReport`] = webhookOperation(
    'onDeliveryReport',
    'Infobip posts delivery and seen reports',
    'Delivery reports (`status`, `error`, `doneAt`, `callbackData`) and seen reports (`seenAt`).',
  );

  return {
    openapi: '3.1.0',
    info: {
      title: 'IMChannel',
      version: packageJson.version,
      description:
        'The bridge between the ctlive contact center and the Infobip WhatsApp channel (docs/CONTRACT.md). ' +
        'Generated from the zod schemas by `npm run openapi`; never edit by hand. Errors are JSON ' +
        '`{"error":{"code","message",…}}`. API Gateway itself may answer some failures (a function that cannot start, ' +
        'a body above its own limit) with its own `{"message":…}` body. A method a path does not take gets 405 ' +
        'with an `Allow` header and a MethodNotAllowedError body, on every path.',
      license: { name: 'UNLICENSED (proprietary)' },
    },
    servers: [
      { url: 'http://127.0.0.1:3000', description: 'The local stack (`npm start`; PORT moves it)' },
      {
        url: 'https://{host}{basePath}',
        description: 'A deployment: IMCHANNEL_PUBLIC_URL without its trailing /imchannel',
        variables: {
          host: { default: 'imchannel.invalid', description: 'The API host (API Gateway or a custom domain)' },
          basePath: { default: '', description: 'A path before /imchannel, e.g. /tenant' },
        },
      },
    ],
    tags: [
      { name: CTLIVE_TAG, description: 'What ctlive calls, and what it receives (the `ctliveEvent` webhook).' },
      { name: INFOBIP_TAG, description: 'What Infobip calls: the webhooks and the media fetches.' },
    ],
    paths,
    webhooks: { ctliveEvent: ctliveEventWebhook() },
    components: {
      securitySchemes: {
        ctliveBearer: {
          type: 'http',
          scheme: 'bearer',
          description: '`Authorization: Bearer <CTLIVE_API_TOKEN>`, compared in constant time.',
        },
        infobipBasic: {
          type: 'http',
          scheme: 'basic',
          description:
            'INFOBIP_WEBHOOK_USERNAME / INFOBIP_WEBHOOK_PASSWORD, when configured. A static header ' +
            '(INFOBIP_WEBHOOK_HEADER = `Name: value`) may be required as well or instead; its name is the ' +
            "deployment's choice. When both are configured, both must match. Only local development runs without any credential.",
        },
        reportToken: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description:
            "An HMAC of the message's id (and of the URL's `account`, when it names one) under INFOBIP_REPORT_TOKEN (or " +
            "INFOBIP_REPORT_TOKEN_PREVIOUS during a rotation), in the URL: every send's notifyUrl carries it, because Infobip " +
            'posts the reports of a request that names a notifyUrl without any credentials. It lets in the reports of that ' +
            'message alone, on onDeliveryReport only. Either this or the Basic/header credentials let a webhook in.',
        },
        ctliveTargetBearer: {
          type: 'http',
          scheme: 'bearer',
          description: '`Authorization: Bearer <CTLIVE_TARGET_TOKEN>`, sent when that token is set.',
        },
      },
      schemas: { ...requestComponents(), ...responseComponents(), ...eventsComponents() },
    },
  };
}

/** The two files as `npm run openapi` writes them, by name under docs/. */
export function renderDocs(): Record<string, string> {
  const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return { [OPENAPI_FILE]: text(openApiDocument()), [EVENTS_SCHEMA_FILE]: text(eventsSchema()) };
}
