/**
 * The status and error objects Infobip's reports carry, and the media rules behind them.
 *
 * Ids and names: Infobip's "Response status and error codes" registry, as mirrored in
 * api-evangelist/infobip, errors/infobip-error-codes.yml (families "General status codes"
 * and "Chat error codes", the latter being WhatsApp's). The error `groupName` strings are
 * the `MessageErrorGroup` enum (OK, HANDSET_ERRORS, USER_ERRORS, OPERATOR_ERRORS, by group
 * id 0 to 3) of api-evangelist/infobip, openapi/infobip-instagram-openapi.json. The
 * descriptions are short ones of our own: the registry's are paragraphs.
 */

export interface ReportStatus {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
}

export interface ReportError extends ReportStatus {
  permanent: boolean;
}

export const STATUS = {
  PENDING_ENROUTE: {
    groupId: 1,
    groupName: 'PENDING',
    id: 7,
    name: 'PENDING_ENROUTE',
    description: 'Message sent to next instance',
  },
  DELIVERED_TO_HANDSET: {
    groupId: 3,
    groupName: 'DELIVERED',
    id: 5,
    name: 'DELIVERED_TO_HANDSET',
    description: 'Message delivered to handset',
  },
  // The OMNI spec's own example of a failed message (openapi/infobip-omni-failover-openapi.json,
  // GET /omni/1/reports, "Getting reports with PUSH channel as filter").
  UNDELIVERABLE_NOT_DELIVERED: {
    groupId: 2,
    groupName: 'UNDELIVERABLE',
    id: 9,
    name: 'UNDELIVERABLE_NOT_DELIVERED',
    description: 'Message sent not delivered',
  },
} satisfies Record<string, ReportStatus>;

const chatError = (id: number, name: string, description: string, permanent: boolean): ReportError => ({
  // Every code below is in the registry's "Client errors" group, id 1.
  groupId: 1,
  groupName: 'HANDSET_ERRORS',
  id,
  name,
  description,
  permanent,
});

export const ERROR = {
  NO_ERROR: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
  /** The file could not be fetched: no answer, a timeout, a redirect, a 404 or a 5xx. */
  EC_MEDIA_HOSTING_ERROR: chatError(7013, 'EC_MEDIA_HOSTING_ERROR', 'Media could not be fetched from its host', false),
  /** The answer's metadata is wrong: no Content-Type, a body of another length, over the size limit. */
  EC_MEDIA_METADATA_ERROR: chatError(7015, 'EC_MEDIA_METADATA_ERROR', 'Media metadata (type or size) is invalid', true),
  /** A Content-Type outside the kind's supported list. */
  EC_MEDIA_UNSUPPORTED: chatError(7022, 'EC_MEDIA_UNSUPPORTED', 'Media type is not supported', true),
  /** The destination is not a WhatsApp user: what `npm run simulate -- delivery --failed` reports. */
  EC_UNKNOWN_USER: chatError(7002, 'EC_UNKNOWN_USER', 'User is unknown or not registered', true),
  /** A template's placeholders, header or buttons do not fit the registered template. */
  EC_INVALID_TEMPLATE_ARGS: chatError(7008, 'EC_INVALID_TEMPLATE_ARGS', 'Template parameters are invalid or missing', true),
  /** No approved template of that name and language for the sender. */
  EC_INVALID_TEMPLATE: chatError(7009, 'EC_INVALID_TEMPLATE', 'Template is invalid or unknown', true),
} satisfies Record<string, ReportError>;

/** What a delivery report says about one message. */
export interface Outcome {
  status: ReportStatus;
  error: ReportError;
}

export const DELIVERED: Outcome = { status: STATUS.DELIVERED_TO_HANDSET, error: ERROR.NO_ERROR };
export const undelivered = (error: ReportError): Outcome => ({ status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error });
