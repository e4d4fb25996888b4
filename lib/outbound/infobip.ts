import * as z from '../platform/schema';
import { TRANSPORTS, type InfobipConfig, type TransportName } from '../platform/config';
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
import { retryAfterSeconds } from '../platform/retryAfter';
import { hostAllowed, isLoopbackHost } from '../platform/allowedHosts';
import type { InfobipLookup } from './idempotency';
import { runbook, type TaggedLogger } from '../platform/log';
import { dimensionValue } from '../platform/metrics';

/** The Infobip settings a request may carry; each missing field falls back to the deployment's. */
export const infobipSettingsSchema = z.object({
  baseUrl: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  apiKey: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  scenarioKey: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  /**
   * The WhatsApp business number: the WhatsApp API's `from`, which it requires. OMNI picks
   * the number from the scenario and never sees this field; IMChannel also uses it for the
   * 24-hour window and the template catalogue. Digits, as INFOBIP_SENDER.
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
  /** The API this message goes through (ctlive may choose per tenant); INFOBIP_TRANSPORT when absent. */
  transport: z.optional(z.enum(TRANSPORTS, 'must be omni or whatsapp')),
});

export interface InfobipSettings {
  baseUrl: string;
  apiKey: string;
  /** Always present for an OMNI send; the WhatsApp API does without. */
  scenarioKey?: string;
  /** The business number, when the request or the deployment names it. */
  sender?: string;
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

const errorBodySchema = z.object({
  requestError: z.object({
    serviceException: z.looseObject({ messageId: z.optional(z.string()), text: z.optional(z.string()) }),
  }),
});

/** What Infobip answered for a message it took: its id and first status, whichever API carried it. */
export interface OmniAccepted {
  messageId: string;
  status: OmniStatus;
}

/**
 * One send request to Infobip, built by a transport (lib/outbound/transports): the path
 * under the account's base URL, the JSON body, and how to read the accepted message out of
 * a 2xx answer (undefined when the body is not that API's answer).
 */
export interface InfobipCall {
  path: string;
  body: unknown;
  accepted: (body: unknown) => OmniAccepted | undefined;
  /** The API's name for the error of a 2xx that `accepted` cannot read ("an OMNI response"). */
  answerName: string;
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
  const loopback = isLoopbackHost(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ValidationError('infobip.baseUrl must use https');
  }
  // Infobip's API answers on 443; another port on an allowed name is another service.
  if (url.port !== '' && !loopback) {
    throw new ValidationError('infobip.baseUrl must not name a port: use https://xxxx.api.infobip.com');
  }
  return url.origin;
}

/**
 * The request's settings over the deployment's. `needs` names the API the settings are for:
 * OMNI needs the scenario key, the WhatsApp API the business number (`from`); `either` (the
 * template catalogue, a lookup) needs only where and how to call.
 */
export function resolveSettings(
  fromRequest: z.infer<typeof infobipSettingsSchema> | undefined,
  config: InfobipConfig,
  needs: TransportName | 'either' = 'omni',
): InfobipSettings {
  // A request that names another Infobip account brings that account's key: the
  // deployment's key is never sent to a base URL the deployment did not name.
  const overridesBaseUrl =
    fromRequest?.baseUrl !== undefined && originOf(fromRequest.baseUrl) !== originOf(config.defaults.baseUrl);
  const { transport: _transport, ...requested } = fromRequest ?? {};
  const merged = { ...config.defaults, ...stripUndefined(requested) };
  if (overridesBaseUrl && fromRequest?.apiKey === undefined) delete merged.apiKey;
  const keyOfAnother = overridesBaseUrl && config.defaults.apiKey !== undefined;
  const required = needs === 'omni' ? (['baseUrl', 'apiKey', 'scenarioKey'] as const) : (['baseUrl', 'apiKey'] as const);
  const missing: { path: string; message: string }[] = required
    .filter((field) => !merged[field])
    .map((field) => ({
      path: `infobip.${field}`,
      message:
        field === 'apiKey' && keyOfAnother
          ? "required when infobip.baseUrl names another Infobip account: that account's API key"
          : 'required',
    }));
  if (needs === 'whatsapp' && !merged.sender) {
    missing.push({
      path: 'infobip.sender',
      message:
        "required for Infobip's WhatsApp API (its `from`): give the business number in infobip.sender, or set INFOBIP_SENDER for the deployment",
    });
  }
  if (missing.length > 0) {
    throw new ValidationError('Infobip settings missing from the request and from the deployment defaults', missing);
  }
  return {
    baseUrl: checkBaseUrl(merged.baseUrl as string, config.allowedHosts),
    apiKey: merged.apiKey as string,
    ...(merged.scenarioKey === undefined ? {} : { scenarioKey: merged.scenarioKey }),
    ...(merged.sender === undefined ? {} : { sender: merged.sender }),
  };
}

function originOf(url: string | undefined): string | undefined {
  return url !== undefined && URL.canParse(url) ? new URL(url).origin : url;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function errorTextOf(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  return typeof error === 'string' && error !== '' ? error : undefined;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface InfobipClient {
  /** Posts one message; the runbook's request and response lines, the metrics and the refusals are the same for every API. */
  send(settings: InfobipSettings, call: InfobipCall, log: TaggedLogger): Promise<OmniAccepted>;
  /**
   * POSTs what is not a message (a read receipt, a typing indicator; `body` undefined for
   * none), with the same lines, metrics and refusals; answers the 2xx body, parsed.
   */
  post(settings: InfobipSettings, path: string, body: unknown, log: TaggedLogger): Promise<unknown>;
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

/** By HTTP status ("none" when there was no answer) and Infobip's own code, or ours; and per function alone, which the Infobip alarm sums. */
function failed(log: TaggedLogger, httpStatus: number | 'none', code: string | undefined): void {
  log.metrics.count('InfobipErrors', { status: String(httpStatus), code: dimensionValue(code) });
  log.metrics.count('InfobipErrors');
}

export function createInfobipClient(options: { timeoutMs: number; fetch?: typeof fetch }): InfobipClient {
  const doFetch = options.fetch ?? fetch;

  /**
   * One POST to Infobip with the runbook's two lines (the request line without `Data […]`
   * when there is no body), the metrics, and Infobip's refusals as typed errors: a non-2xx
   * throws; a 2xx answers its status and parsed body (undefined when empty or not JSON).
   */
  async function exchange(settings: InfobipSettings, path: string, payload: unknown, log: TaggedLogger) {
    const url = `${settings.baseUrl}${path}`;
    log.addSecret(settings.apiKey);
    log.info(payload === undefined ? runbook.infobipQuery(url) : runbook.infobipRequest(url, payload));
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
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          accept: 'application/json',
        },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
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
        failed(log, 'none', 'TIMEOUT');
        throw new InfobipTimeoutError(options.timeoutMs);
      }
      failed(log, 'none', 'UNREACHABLE');
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
      failed(log, status, serviceException?.messageId ?? 'NONE');
      if (status === 429) throw new InfobipRateLimitedError(retryAfterSeconds(retryAfter), serviceException);
      // MarkAsReadErrorResponse says why in `error`, the other operations' ApiException in serviceException.text.
      const why = serviceException?.text ?? errorTextOf(body) ?? `HTTP ${status}`;
      const refused = new InfobipError(`Infobip refused the message: ${why}`, status, serviceException);
      // A 5xx in Infobip's own error shape is its API answering "not taken". A 5xx without
      // it (a 502/503/504 page from a gateway in front of the API) may come after the API
      // took the message, so a retry must find out first (lib/outbound/idempotency.ts).
      refused.outcomeUnknown = status >= 500 && !refusal.success;
      throw refused;
    }
    return { status, body };
  }

  return {
    async send(settings, call, log) {
      const { status, body } = await exchange(settings, call.path, call.body, log);
      const first = call.accepted(body);
      if (first === undefined) {
        failed(log, status, 'BAD_RESPONSE');
        // A 2xx: Infobip may well have taken the message, whatever the body says.
        const nonsense = new InfobipError(`Infobip answered with a body that is not ${call.answerName}`, status);
        nonsense.outcomeUnknown = true;
        throw nonsense;
      }
      // Infobip's status groups: PENDING 1, UNDELIVERABLE 2, DELIVERED 3, EXPIRED 4, REJECTED 5.
      if (first.status.groupName === 'REJECTED') {
        failed(log, status, first.status.name);
        throw new InfobipRejectedError(first.messageId, first.status);
      }
      return { messageId: first.messageId, status: first.status };
    },

    async post(settings, path, body, log) {
      return (await exchange(settings, path, body, log)).body;
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

export { retryAfterSeconds } from '../platform/retryAfter';

/** Infobip said no (an error answer, a 429, or a 200 whose status is REJECTED): nothing was sent. */
export const isInfobipRefusal = (error: unknown): boolean =>
  error instanceof AppError && ['INFOBIP_ERROR', 'INFOBIP_REJECTED', 'INFOBIP_RATE_LIMITED'].includes(error.code);
