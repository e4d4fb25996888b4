import type { SandboxTemplate } from './templates';
import type { SchemaRefusal } from './conformance';
import type { MarkAsRead } from './whatsapp/api';

export type { SandboxTemplate };

export interface WebhookAuth {
  basic?: { username: string; password: string };
  header?: { name: string; value: string };
}

export interface SandboxOptions {
  /** The only key accepted: `Authorization: App <apiKey>`. */
  apiKey: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default true: fetch media URLs with HEAD then GET, as Infobip does. */
  fetchMedia?: boolean;
  /** Default true: post a delivery report to notifyUrl, as Infobip does. */
  deliveryReports?: boolean;
  /**
   * Wait before fetching media and posting reports (default 200 ms). Infobip does this
   * moments after accepting, never in the same instant; without the wait the fetch lines
   * could print before the send's own response line.
   */
  followUpDelayMs?: number;
  /**
   * Infobip's retries of a report not answered 200: 1 min + 1 min × n² before retry n.
   * `timeScale` multiplies every wait (default 1, the real schedule; 0.001 makes minutes
   * milliseconds, for tests); `maxRetries` is how many retries before giving up (default 20).
   */
  reportRetry?: { timeScale?: number; maxRetries?: number };
  /** Reports due for one URL within this window go out in one `results` array (default 100 ms). */
  reportBatchWindowMs?: number;
  /** Most results in one report POST (default 100). */
  reportBatchMax?: number;
  /** How long one media fetch may take before it counts as failed (default 10 s). */
  mediaTimeoutMs?: number;
  /**
   * Credentials of the sandbox's webhook settings: they sign the subscription's reports and
   * `simulate`'s webhooks, never the reports sent to a request's `notifyUrl`.
   */
  webhookAuth?: WebhookAuth;
  /** A Subscriptions profile for delivery and seen reports: where reports of sends without `notifyUrl` go. */
  subscription?: { url: string };
  /**
   * The business number the OMNI scenario sends from (OMNI takes it from the scenario, not
   * the request): its catalogue is the one templates are judged by. Default 44123456789, the
   * number inbound messages are addressed to.
   */
  scenarioSender?: string;
  /**
   * Template catalogues by sender, as `GET /whatsapp/2/senders/{sender}/templates` serves
   * them. Default: a few templates (./templates.ts, defaultTemplates) for scenarioSender.
   */
  templates?: Record<string, SandboxTemplate[]>;
  /**
   * Appends every request received (method, path, JSON body) as one NDJSON line to this
   * file, for `npm run check:infobip`. Default: the file INFOBIP_SANDBOX_RECORD names, if any.
   */
  recordFile?: string;
  /** One line per event, for the local stack's terminal. Never given a secret. */
  log?: (line: string) => void;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  at: string;
}

export interface MediaFetch {
  url: string;
  method: 'HEAD' | 'GET';
  /** 0 when the fetch failed before any response (see `error`). */
  status: number;
  headers: Record<string, string>;
  /** GET only, hex. */
  bodySha256?: string;
  bodyBytes?: number;
  /** GET of a sticker only: the body's first bytes, hex (a WebP's animation flag is there). */
  bodyHead?: string;
  error?: string;
  at: string;
}

/** One POST of a delivery report: retries of the same batch are one entry each. */
export interface DeliveryReportPost {
  url: string;
  /** 1 for the first POST of a batch, 2 for its first retry, … */
  attempt: number;
  status?: number;
  body: unknown;
  error?: string;
  at: string;
}

export interface FailureMode {
  /** Answer with this status; Infobip's error body for it unless `body` is given. */
  status?: number;
  /** Raw body, e.g. '<html>…' or 'garbage'; with no status it comes with 200. */
  body?: string;
  /** Wait this long before answering (alone: then answer normally). */
  delayMs?: number;
  /**
   * With `delayMs`: take the message first (it is sent, reported and in the logs) and only
   * then wait, as a real Infobip may when the caller's timeout runs out: the caller cannot
   * know it went out. Without it, a delayed call whose caller gave up sends nothing.
   */
  acceptFirst?: boolean;
  /**
   * How many calls (OMNI or WhatsApp API) this applies to; default 1. `acceptFirst` is
   * OMNI's only: on a WhatsApp API path the delay comes before anything is taken.
   */
  times?: number;
}

/** A file a customer sent, as Infobip keeps it for `download-whatsapp-inbound-media`. */
export interface InboundMediaFile {
  bytes: Buffer;
  /** Answered as `Content-Type` by GET and HEAD. */
  contentType: string;
  /** The business number in the path; default the scenario sender. */
  sender?: string;
  /** `redirect`: GET answers 302 to the sandbox's CDN, which serves the bytes with no key. Default `direct`. */
  via?: 'direct' | 'redirect';
  /** After this the path (and its CDN copy) answers 404 "missing or expired"; default 30 days. */
  expiresInMs?: number;
}

export interface AddedInboundMedia {
  mediaId: string;
  /** `${sandbox.url}/whatsapp/1/senders/${sender}/media/${mediaId}`, what an inbound webhook's `url` carries. */
  url: string;
  /** Of the bytes, hex. */
  sha256: string;
}

/** One request to the media path (`api`) or to the CDN a 302 points at (`cdn`). */
export interface InboundMediaRequest {
  method: string;
  /** Empty for a CDN path the sandbox never gave out. */
  mediaId: string;
  host: 'api' | 'cdn';
  /** Arrival, ms since the epoch. */
  at: number;
  /** An `Authorization` header came with it (any value): on the CDN, the key leaked. */
  withKey: boolean;
  /** The answer's status; 0 until answered, and for a connection destroyed before any answer. */
  status: number;
}

/**
 * Faults for the next `times` (default 1) requests to the media path that carry the key and
 * pass the rate limit. A status is answered at once, in Infobip's error shape (429 with
 * `Retry-After`). The rest shape a normal answer: `slowMs` before its headers; the body
 * options act where the body is served: on the API host for a direct file, on the CDN
 * request that follows the 302 for a redirected one, which `cdnFails` breaks (true: 500;
 * 'reset': the connection is destroyed before any answer).
 */
export interface InboundMediaFaults {
  status?: 404 | 429 | 500 | 503;
  times?: number;
  slowMs?: number;
  bytesPerSecond?: number;
  /** Destroys the connection after this many body bytes (the headers promised all of them). */
  resetAfterBytes?: number;
  cdnFails?: boolean | 'reset';
}

/** A message the sandbox took, as its message logs (`GET /omni/1/logs`) show it. */
export interface AcceptedMessage {
  messageId: string;
  to: string;
  sentAt: string;
}

export interface InfobipSandbox {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Every message taken (answered 200, or taken before a delayed answer), in order. */
  accepted: AcceptedMessage[];
  /** Every request the sandbox received, in order, failed and unauthorised ones too. */
  received: ReceivedRequest[];
  mediaFetches: MediaFetch[];
  /** Every POST of a delivery report, retries included, in order. */
  deliveryReports: DeliveryReportPost[];
  /** Requests refused because their body broke Infobip's schema, since the last reset(). */
  schemaRefusals: SchemaRefusal[];
  /**
   * Declares that the current test sends Infobip wrong requests on purpose (bodies its schema
   * refuses, paths it does not have), until the next reset(): their schema refusals do not
   * fail the suite at teardown, and the recording marks them so check:infobip leaves them out.
   */
  expectSchemaRefusals(): void;
  /** Every `POST /whatsapp/1/senders/{sender}/message/{messageId}/read` taken (204), decoded. */
  marksAsRead: MarkAsRead[];
  /** An inbound message's id, which mark-as-read then accepts (simulate posts it to `/sandbox/inbound/{id}`). */
  rememberInbound(messageId: string): void;
  failNext(mode: FailureMode): void;
  /** Keeps a file a customer sent, served at Infobip's inbound media path (GET, HEAD) with the key. */
  addInboundMedia(file: InboundMediaFile): AddedInboundMedia;
  /** Every request to the inbound media path and to its CDN, in order of arrival, since the last reset(). */
  inboundMediaRequests: InboundMediaRequest[];
  /** Queues faults for the next inbound media requests (see InboundMediaFaults); reset() clears them. */
  inboundMediaFaults(faults: InboundMediaFaults): void;
  /** The most requests to the media path (API host, refused ones too) in any one-second window. */
  inboundMediaPeakRate(): number;
  waitForInboundMediaRequests(n: number, timeoutMs?: number): Promise<InboundMediaRequest[]>;
  /** Replaces a sender's template catalogue (until reset(), which restores the configured ones). */
  setTemplates(sender: string, templates: SandboxTemplate[]): void;
  waitForMediaFetches(n: number, timeoutMs?: number): Promise<MediaFetch[]>;
  waitForDeliveryReports(n: number, timeoutMs?: number): Promise<DeliveryReportPost[]>;
  reset(): void;
  close(): Promise<void>;
}
