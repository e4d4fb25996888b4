import * as z from '../platform/schema';
import type { InfobipConfig } from '../platform/config';
import {
  AppError,
  InfobipError,
  InfobipRateLimitedError,
  InfobipRejectedError,
  InfobipTimeoutError,
  ValidationError,
  reasonOf,
} from '../platform/errors';
import { deadline } from '../platform/deadline';
import type { InfobipLookup } from './idempotency';
import { runbook, type TaggedLogger } from '../platform/log';
import { dimensionValue } from '../platform/metrics';

/** The Infobip settings a request may carry; each missing field falls back to the deployment's. */
export const infobipSettingsSchema = z.object({
  baseUrl: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  apiKey: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  scenarioKey: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  /**
   * The WhatsApp business number the scenario sends from (OMNI picks it from the scenario,
   * so Infobip never sees this field): IMChannel uses it for the 24-hour window and the
   * template catalogue. Digits, as INFOBIP_SENDER.
   */
  sender: z.optional(
    z.pipe(
      z
        .string()
        .check(
          z.trim(),
          z.regex(/^(?:\+|00)?[1-9]\d{6,14}$/, 'must be the business number with its country code, 7 to 15 digits'),
        ),
      z.transform((sender: string) => sender.replace(/^(?:\+|00)/, '')),
    ),
  ),
});

export interface InfobipSettings {
  baseUrl: string;
  apiKey: string;
  scenarioKey: string;
  /** The business number, when the request or the deployment names it. */
  sender?: string;
}

/**
 * OMNI's `whatsApp` object (WhatsAppData of `POST /omni/1/advanced`, api-evangelist/infobip
 * openapi/infobip-omni-failover-openapi.json): the fields IMChannel sends, one kind of
 * message per request.
 */
export interface OmniWhatsApp {
  /** The text, or a file's caption. */
  text?: string;
  imageUrl?: string;
  fileUrl?: string;
  audioUrl?: string;
  videoUrl?: string;
  // ---- locations and contact cards (issue 14): sendWhatsAppLocationMessage, sendWhatsAppContactMessage
  /** -90..90, with `longitude`. */
  latitude?: number;
  /** -180..180, with `latitude`. */
  longitude?: number;
  /** At most 1000 characters. */
  locationName?: string;
  /** At most 1000 characters. */
  address?: string;
  contacts?: OmniContact[];
  // ---- end of locations and contact cards
  // ---- templates (issue 14): WhatsAppData templateName, templateNamespace, templateData,
  // mediaTemplateData, language; MediaTemplateData and its Header/Body/Button contents.
  templateName?: string;
  templateNamespace?: string;
  /** The body placeholders of a template without header or buttons, in the registered order. */
  templateData?: string[];
  /** Exactly the code the template was registered with (`en`, `en_GB`). */
  language?: string;
  mediaTemplateData?: OmniMediaTemplateData;
}

/** One contact card: OMNI's Contact (same source); only `name` is required. */
export interface OmniContact {
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

/** Infobip's message status, as it comes back to ctlive in every 200 of a send. */
export const statusSchema = z.object({
  groupId: z.number(),
  groupName: z.string(),
  id: z.number(),
  name: z.string(),
  description: z.string(),
});
export type OmniStatus = z.infer<typeof statusSchema>;

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

const errorBodySchema = z.object({
  requestError: z.object({
    serviceException: z.looseObject({ messageId: z.optional(z.string()), text: z.optional(z.string()) }),
  }),
});

export interface OmniAccepted {
  messageId: string;
  status: OmniStatus;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((pattern) =>
    pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern,
  );
}

/**
 * The API key goes only where this allows (CONTRACT section 3): a host on the allowlist,
 * over https unless it is this machine. Returns the origin the OMNI path is appended to.
 */
export function checkBaseUrl(baseUrl: string, allowedHosts: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ValidationError('infobip.baseUrl is not an absolute URL');
  }
  const host = url.hostname.toLowerCase();
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ValidationError('infobip.baseUrl must be a bare origin such as https://xxxx.api.infobip.com');
  }
  if (!hostAllowed(host, allowedHosts)) {
    throw new ValidationError(`infobip.baseUrl host "${host}" is not in INFOBIP_ALLOWED_HOSTS`);
  }
  const loopback = LOOPBACK.test(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ValidationError('infobip.baseUrl must use https');
  }
  // Infobip's API answers on 443; another port on an allowed name is another service.
  if (url.port !== '' && !loopback) {
    throw new ValidationError('infobip.baseUrl must not name a port: use https://xxxx.api.infobip.com');
  }
  return url.origin;
}

export function resolveSettings(
  fromRequest: z.infer<typeof infobipSettingsSchema> | undefined,
  config: InfobipConfig,
): InfobipSettings {
  // A request that names another Infobip account brings that account's key: the
  // deployment's key is never sent to a base URL the deployment did not name.
  const overridesBaseUrl =
    fromRequest?.baseUrl !== undefined && originOf(fromRequest.baseUrl) !== originOf(config.defaults.baseUrl);
  const merged = { ...config.defaults, ...stripUndefined(fromRequest ?? {}) };
  if (overridesBaseUrl && fromRequest?.apiKey === undefined) delete merged.apiKey;
  const missing = (['baseUrl', 'apiKey', 'scenarioKey'] as const).filter((field) => !merged[field]);
  if (missing.length > 0) {
    const keyOfAnother = overridesBaseUrl && config.defaults.apiKey !== undefined;
    throw new ValidationError(
      'Infobip settings missing from the request and from the deployment defaults',
      missing.map((field) => ({
        path: `infobip.${field}`,
        message:
          field === 'apiKey' && keyOfAnother
            ? "required when infobip.baseUrl names another Infobip account: that account's API key"
            : 'required',
      })),
    );
  }
  return {
    baseUrl: checkBaseUrl(merged.baseUrl as string, config.allowedHosts),
    apiKey: merged.apiKey as string,
    scenarioKey: merged.scenarioKey as string,
    ...(merged.sender === undefined ? {} : { sender: merged.sender }),
  };
}

function originOf(url: string | undefined): string | undefined {
  return url !== undefined && URL.canParse(url) ? new URL(url).origin : url;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface InfobipClient {
  send(settings: InfobipSettings, request: OmniRequest, log: TaggedLogger): Promise<OmniAccepted>;
  /**
   * Whether Infobip has a message, from its OMNI message logs (`GET /omni/1/logs?messageId=`,
   * the last 48 h: api-evangelist/infobip openapi/infobip-omni-failover-openapi.json). The
   * spec promises no delay within which a message appears there, so "not found" means "not
   * yet" until the caller's grace period is over.
   */
  findMessage(settings: InfobipSettings, messageId: string, log: TaggedLogger): Promise<InfobipLookup>;
}

/**
 * Failures before a request can have reached Infobip (no connection, no name, a bad
 * certificate, a redirect not followed): nothing was sent. Any other failure, a connection
 * lost after the request went out above all, leaves the outcome unknown.
 */
const NOT_SENT_CAUSES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

function neverSent(error: unknown): boolean {
  // Duck-typed (fetch's errors may come from another realm), and a few causes deep.
  type Failure = { code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  for (let e = error as Failure, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as Failure, depth += 1) {
    if (typeof e.code === 'string' && NOT_SENT_CAUSES.has(e.code)) return true;
    if (/redirect/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}

const logsSchema = z.object({
  results: z.array(z.object({ messageId: z.optional(z.string()), status: z.optional(z.unknown()) })),
});

export function createInfobipClient(options: { timeoutMs: number; fetch?: typeof fetch }): InfobipClient {
  const doFetch = options.fetch ?? fetch;
  return {
    async send(settings, request, log) {
      const url = `${settings.baseUrl}/omni/1/advanced`;
      log.addSecret(settings.apiKey);
      log.info(runbook.infobipRequest(url, request));
      // By HTTP status ("none" when there was no answer) and Infobip's own code, or ours;
      // and per function alone, which the Infobip alarm sums.
      const failed = (httpStatus: number | 'none', code: string | undefined) => {
        log.metrics.count('InfobipErrors', { status: String(httpStatus), code: dimensionValue(code) });
        log.metrics.count('InfobipErrors');
      };
      let status: number;
      let text: string;
      let retryAfter: string | null = null;
      const timeout = deadline(options.timeoutMs);
      const started = Date.now();
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: {
            authorization: `App ${settings.apiKey}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify(request),
          signal: timeout.signal,
          redirect: 'error', // a redirect would carry the key to a host nobody checked
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch (error: unknown) {
        // Duck-typed: the abort reason is a DOMException, not always an Error of this realm.
        const name = (error as { name?: unknown } | null)?.name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          failed('none', 'TIMEOUT');
          throw new InfobipTimeoutError(options.timeoutMs);
        }
        failed('none', 'UNREACHABLE');
        const cause = error instanceof Error && error.cause ? reasonOf(error.cause) : reasonOf(error);
        const unreachable = new InfobipError(`Could not reach Infobip: ${cause}`);
        unreachable.outcomeUnknown = !neverSent(error);
        throw unreachable;
      } finally {
        timeout.clear();
        log.metrics.record('InfobipDuration', Date.now() - started);
      }
      log.info(runbook.infobipResponse(url, text));
      const body = parseJsonOrUndefined(text);
      if (status < 200 || status > 299) {
        const refusal = errorBodySchema.safeParse(body);
        const serviceException = refusal.success ? refusal.data.requestError.serviceException : undefined;
        failed(status, serviceException?.messageId ?? 'NONE');
        if (status === 429) throw new InfobipRateLimitedError(retryAfterSeconds(retryAfter), serviceException);
        const why = serviceException?.text ?? `HTTP ${status}`;
        const refused = new InfobipError(`Infobip refused the message: ${why}`, status, serviceException);
        // A 5xx in Infobip's own error shape is its API answering "not taken". A 5xx without
        // it (a 502/503/504 page from a gateway in front of the API) may come after the API
        // took the message, so a retry must find out first (lib/outbound/idempotency.ts).
        refused.outcomeUnknown = status >= 500 && !refusal.success;
        throw refused;
      }
      const accepted = omniResponseSchema.safeParse(body);
      if (!accepted.success) {
        failed(status, 'BAD_RESPONSE');
        // A 2xx: Infobip may well have taken the message, whatever the body says.
        const nonsense = new InfobipError('Infobip answered with a body that is not an OMNI response', status);
        nonsense.outcomeUnknown = true;
        throw nonsense;
      }
      const first = accepted.data.messages[0] as z.infer<typeof omniResponseSchema>['messages'][number];
      // OMNI's status groups: PENDING 1, UNDELIVERABLE 2, DELIVERED 3, EXPIRED 4, REJECTED 5.
      if (first.status.groupName === 'REJECTED') {
        failed(status, first.status.name);
        throw new InfobipRejectedError(first.messageId, first.status);
      }
      return { messageId: first.messageId, status: first.status };
    },

    async findMessage(settings, messageId, log) {
      const url = `${settings.baseUrl}/omni/1/logs?messageId=${encodeURIComponent(messageId)}`;
      log.addSecret(settings.apiKey);
      const timeout = deadline(options.timeoutMs);
      try {
        const response = await doFetch(url, {
          headers: { authorization: `App ${settings.apiKey}`, accept: 'application/json' },
          signal: timeout.signal,
          redirect: 'error',
        });
        const text = await response.text();
        if (response.status !== 200)
          throw new InfobipError(`Infobip's message logs answered ${response.status}`, response.status);
        const logs = logsSchema.safeParse(parseJsonOrUndefined(text));
        if (!logs.success) throw new InfobipError("Infobip's message logs answered with a body that is not a logs response");
        const entry = logs.data.results.find((result) => result.messageId === messageId);
        log.info(`Infobip's message logs ${entry ? 'have' : 'do not have'} message [${messageId}]`, { messageId });
        return entry ? { found: true, status: entry.status } : { found: false };
      } finally {
        timeout.clear();
      }
    },
  };
}

/** A `Retry-After` of whole seconds or an HTTP date, as seconds from now (at least 1, at most an hour). */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value) ? Number(value) : Math.ceil((Date.parse(value) - now) / 1000);
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 1), 3600) : undefined;
}

/** Infobip said no (an error answer, a 429, or a 200 whose status is REJECTED): nothing was sent. */
export const isInfobipRefusal = (error: unknown): boolean =>
  error instanceof AppError && ['INFOBIP_ERROR', 'INFOBIP_REJECTED', 'INFOBIP_RATE_LIMITED'].includes(error.code);
