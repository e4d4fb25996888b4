import type { AwsCredentials } from './ssm';
import { METRICS_NAMESPACE, type MetricsConfig } from './metrics';
import { reportTokenFor } from './reportToken';
import { ACCOUNT_PARAMETER, defaultAccountOf, type Accounts } from './account';

/**
 * The one place that reads the environment (docs/ENGINEERING.md habit 3). Each function asks
 * for the parts it needs, at cold start, so a missing variable fails the function before
 * any request instead of half way through one.
 */

/** One problem of one variable: `reason` reads after the name ("is required but not set"). */
export interface ConfigIssue {
  variable: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(variable: string, reason: string);
  constructor(issues: readonly ConfigIssue[]);
  constructor(first: string | readonly ConfigIssue[], reason = '') {
    const issues = typeof first === 'string' ? [{ variable: first, reason }] : first;
    super(issues.map((issue) => `${issue.variable} ${issue.reason}`).join('; '));
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** The first variable named; `variables` has them all. */
  get variable(): string {
    return this.issues[0]?.variable ?? '';
  }

  get variables(): string[] {
    return [...new Set(this.issues.map((issue) => issue.variable))];
  }
}

/** The issues of the `collectIssues` call running now; unset, a reader throws at its first problem. */
let collecting: ConfigIssue[] | undefined;

/**
 * A reader's problem: thrown at once, or, inside `collectIssues`, noted (the first per
 * variable) while the reader goes on with `standIn`, so one cold start names every problem.
 */
function problem<T>(variable: string, reason: string, standIn: T): T {
  if (collecting === undefined) throw new ConfigError(variable, reason);
  if (!collecting.some((issue) => issue.variable === variable)) collecting.push({ variable, reason });
  return standIn;
}

/**
 * Runs `read` (a function's wiring) with every reader inside it noting its problem instead
 * of throwing, and returns what it built with the issues found. A stand-in value can make the
 * wiring throw further on; when issues were found, they are the cause, so that throw is
 * dropped (`value` is then undefined). Without issues, any other throw goes on up as it is.
 */
export function collectIssues<T>(read: () => T): { value: T | undefined; issues: ConfigIssue[] } {
  const outer = collecting;
  const issues: ConfigIssue[] = [];
  collecting = issues;
  try {
    return { value: read(), issues };
  } catch (error: unknown) {
    // A wiring may check a combination of values itself and throw a ConfigError of its own.
    if (error instanceof ConfigError) for (const issue of error.issues) problem(issue.variable, issue.reason, undefined);
    if (issues.length === 0) throw error;
    return { value: undefined, issues };
  } finally {
    collecting = outer;
  }
}

/** A syntactically valid URL for a reader to go on with after a problem; never contacted. */
const STAND_IN_URL = 'http://config-error.invalid';

type Env = Record<string, string | undefined>;

const DEFAULT_ALLOWED_HOSTS = '*.api.infobip.com';

export interface InfobipDefaults {
  baseUrl?: string;
  apiKey?: string;
  scenarioKey?: string;
  /** The WhatsApp business number the scenario sends from (digits), for the 24-hour window and the template catalogue. */
  sender?: string;
}

export interface LogConfig {
  format: 'json' | 'text';
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export interface RedisConfig {
  url: string;
  token: string;
}

/** The Infobip APIs a message can go through (lib/outbound/transports). */
export const TRANSPORTS = ['omni', 'whatsapp'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export interface InfobipConfig {
  defaults: InfobipDefaults;
  allowedHosts: string[];
  timeoutMs: number;
  /** INFOBIP_TRANSPORT: the API a send goes through unless the request or the message needs another; `omni` when absent. */
  transport?: TransportName;
}

export interface MediaConfig {
  ttlSeconds: number;
  fetchTtlSeconds: number;
  maxBytes: number;
}

/**
 * The credential IMChannel puts in the `notifyUrl` it gives Infobip (`?token=…`): Infobip
 * sends no webhook credentials to a `notifyUrl` (docs/api.md, "Webhook auth"), so the URL
 * carries its own. `previous` is still accepted while a rotation is under way.
 */
export interface UrlTokenConfig {
  current: string;
  previous?: string;
}

/** The query parameter of the webhook URLs that carries `INFOBIP_REPORT_TOKEN`. */
export const URL_TOKEN_PARAMETER = 'token';

export interface WebhookAuthConfig {
  basic?: { username: string; password: string };
  header?: { name: string; value: string };
  /**
   * `INFOBIP_REPORT_TOKEN`: on onDeliveryReport, the secret each notifyUrl's token is bound
   * to its message under (lib/platform/reportToken.ts); on onMessage only when the
   * deployment opted in (`INFOBIP_ONMESSAGE_URL_TOKEN`), as the token itself.
   */
  token?: UrlTokenConfig;
  /**
   * Until when (ms since the epoch) the secret itself is also taken as the URL's token: for
   * ever on onMessage when opted in; on onDeliveryReport until
   * `INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL`, for the notifyUrls sent before tokens were bound.
   * Unset: only a token bound to the report's message is taken.
   */
  unboundTokenUntil?: number;
}

/** The webhook routes, whose URL tokens differ (docs/api.md, "Webhook auth"). */
export type WebhookRoute = 'onMessage' | 'onDeliveryReport';

/** Old notifyUrls are retried by Infobip for about 48 hours; a week is more than any of them needs. */
const UNBOUND_TOKEN_MAX_MS = 7 * 24 * 3_600_000;

function unboundTokenUntil(env: Env, route: WebhookRoute, now: number): number | undefined {
  if (route === 'onMessage') {
    const raw = nonEmpty(env, 'INFOBIP_ONMESSAGE_URL_TOKEN')?.toLowerCase();
    if (raw === undefined || raw === 'false') return undefined;
    if (raw === 'true') return Number.POSITIVE_INFINITY;
    return problem('INFOBIP_ONMESSAGE_URL_TOKEN', `must be "true" or "false", got "${raw}"`, undefined);
  }
  const raw = nonEmpty(env, 'INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL');
  if (raw === undefined) return undefined;
  const until = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(until)) {
    return problem(
      'INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL',
      `must be an ISO 8601 time like 2027-01-31T12:00:00Z, got "${raw}"`,
      undefined,
    );
  }
  if (until - now > UNBOUND_TOKEN_MAX_MS) {
    return problem(
      'INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL',
      `must be at most 7 days ahead (the report retries of old notifyUrls last about 48 hours), got "${raw}"`,
      undefined,
    );
  }
  return until;
}

export type CtliveTarget =
  | { kind: 'lambda'; functionName: string; endpoint?: string; region?: string }
  | { kind: 'http'; url: string; token?: string; timeoutMs: number };

const nonEmpty = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

const required = (env: Env, name: string): string => {
  const value = nonEmpty(env, name);
  return value ?? problem(name, 'is required but not set', '');
};

const positiveInt = (env: Env, name: string, fallback: number): number => {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    return problem(name, `must be a positive whole number, got "${raw}"`, fallback);
  }
  return parsed;
};

/**
 * One forward and the closing Redis call (up to about 6.5 s) must fit in the webhooks'
 * 29 s; a longer ctlive timeout would leave no room to forward anything.
 */
const CTLIVE_MAX_TIMEOUT_MS = 15_000;

const atMost = (env: Env, name: string, value: number, max: number): number => {
  return value > max ? problem(name, `must be at most ${max}, got "${nonEmpty(env, name)}"`, max) : value;
};

const httpUrl = (name: string, raw: string): string => {
  const protocol = URL.canParse(raw) ? new URL(raw).protocol : '';
  if (protocol !== 'https:' && protocol !== 'http:') return problem(name, 'must be an absolute http(s) URL', STAND_IN_URL);
  // A loop, not /\/+$/: that pattern tries every position of a long run of slashes (quadratic).
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0x2f) end -= 1;
  return raw.slice(0, end);
};

export function readLogConfig(env: Env = process.env): LogConfig {
  const format = (nonEmpty(env, 'LOG_FORMAT') ?? 'json').toLowerCase();
  const level = (nonEmpty(env, 'LOG_LEVEL') ?? 'INFO').toUpperCase();
  return {
    format:
      format === 'json' || format === 'text'
        ? format
        : problem('LOG_FORMAT', `must be "json" or "text", got "${format}"`, 'json'),
    level: ['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level)
      ? (level as LogConfig['level'])
      : problem('LOG_LEVEL', `must be DEBUG, INFO, WARN or ERROR, got "${level}"`, 'INFO'),
  };
}

/** The metrics' namespace and the `service`/`stage` dimensions, as serverless.yml sets them. */
export function readMetricsConfig(env: Env = process.env): MetricsConfig {
  return {
    namespace: nonEmpty(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? METRICS_NAMESPACE,
    service: nonEmpty(env, 'POWERTOOLS_SERVICE_NAME') ?? 'imchannel',
    stage: nonEmpty(env, 'IMCHANNEL_STAGE') ?? 'local',
    disabled: ['true', '1'].includes((nonEmpty(env, 'POWERTOOLS_METRICS_DISABLED') ?? '').toLowerCase()),
  };
}

export function readRedisConfig(env: Env = process.env): RedisConfig {
  return {
    url: httpUrl('UPSTASH_REDIS_REST_URL', required(env, 'UPSTASH_REDIS_REST_URL')),
    token: required(env, 'UPSTASH_REDIS_REST_TOKEN'),
  };
}

/** The deployment's own Infobip API key, for the functions that call Infobip with no request to bring one. */
export function readRequiredInfobipApiKey(env: Env = process.env): string {
  return required(env, 'INFOBIP_API_KEY');
}

export function readCtliveApiToken(env: Env = process.env): string {
  return required(env, 'CTLIVE_API_TOKEN');
}

/** INFOBIP_SENDER: the business number, digits only (a leading + or 00 is dropped), 7 to 15 of them. */
function senderNumber(env: Env): string | undefined {
  const raw = nonEmpty(env, 'INFOBIP_SENDER');
  if (raw === undefined) return undefined;
  const digits = raw.trim().replace(/^(?:\+|00)/, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) {
    return problem(
      'INFOBIP_SENDER',
      'must be the WhatsApp business number the scenario sends from, with its country code: 7 to 15 digits, optionally after a leading + or 00',
      undefined,
    );
  }
  return digits;
}

export function readInfobipConfig(env: Env = process.env): InfobipConfig {
  return {
    defaults: {
      baseUrl: defaultBaseUrl(env),
      apiKey: nonEmpty(env, 'INFOBIP_API_KEY'),
      scenarioKey: nonEmpty(env, 'INFOBIP_SCENARIO_KEY'),
      sender: senderNumber(env),
    },
    allowedHosts: allowedHostsOf(env),
    timeoutMs: positiveInt(env, 'INFOBIP_TIMEOUT_MS', 10_000),
    transport: transportName(env),
  };
}

const defaultBaseUrl = (env: Env): string | undefined => {
  const baseUrl = nonEmpty(env, 'INFOBIP_BASE_URL');
  return baseUrl === undefined ? undefined : httpUrl('INFOBIP_BASE_URL', baseUrl);
};

const allowedHostsOf = (env: Env): string[] =>
  (nonEmpty(env, 'INFOBIP_ALLOWED_HOSTS') ?? DEFAULT_ALLOWED_HOSTS)
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);

/**
 * The Infobip accounts a webhook request or a copy may name (lib/platform/account.ts): the
 * deployment's own, INFOBIP_BASE_URL's, and any other on INFOBIP_ALLOWED_HOSTS.
 */
export function readAccounts(env: Env = process.env): Accounts {
  return { defaultAccount: defaultAccountOf(defaultBaseUrl(env)), allowedHosts: allowedHostsOf(env) };
}

/** INFOBIP_TRANSPORT: `omni` (the default) or `whatsapp`. */
function transportName(env: Env): TransportName {
  const raw = nonEmpty(env, 'INFOBIP_TRANSPORT')?.trim().toLowerCase();
  if (raw === undefined) return 'omni';
  if ((TRANSPORTS as readonly string[]).includes(raw)) return raw as TransportName;
  return problem(
    'INFOBIP_TRANSPORT',
    `must be omni (Infobip's OMNI API, the default) or whatsapp (its WhatsApp API), got "${raw}"`,
    'omni',
  );
}

/** `undefined` when not set: sendMessage then sends no notifyUrl. */
export function readPublicUrl(env: Env = process.env): string | undefined {
  const raw = nonEmpty(env, 'IMCHANNEL_PUBLIC_URL');
  return raw === undefined ? undefined : httpUrl('IMCHANNEL_PUBLIC_URL', raw);
}

/** The media functions cannot work without it: the URL is what Infobip fetches. */
export function readRequiredPublicUrl(env: Env = process.env): string {
  return httpUrl('IMCHANNEL_PUBLIC_URL', required(env, 'IMCHANNEL_PUBLIC_URL'));
}

/** Idempotent sends (lib/outbound/idempotency.ts): how long a key lives, how long Infobip's logs get. */
export function readIdempotencyConfig(env: Env = process.env): { ttlSeconds: number; lookupGraceSeconds: number } {
  return {
    ttlSeconds: positiveInt(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400),
    lookupGraceSeconds: positiveInt(env, 'IDEMPOTENCY_LOOKUP_GRACE_SECONDS', 600),
  };
}

/** What a free-form send does when the customer's 24-hour window is closed. */
export type WindowPolicy = 'warn' | 'enforce' | 'off';
const WINDOW_POLICIES: readonly WindowPolicy[] = ['warn', 'enforce', 'off'];

/**
 * The 24-hour window (lib/conversation/window.ts): what a free-form send does when the
 * customer's window is closed (`CONVERSATION_WINDOW_POLICY`: warn, enforce or off).
 */
export function readConversationWindowPolicy(env: Env = process.env): WindowPolicy {
  const raw = (nonEmpty(env, 'CONVERSATION_WINDOW_POLICY') ?? 'warn').toLowerCase();
  return (WINDOW_POLICIES as readonly string[]).includes(raw)
    ? (raw as WindowPolicy)
    : problem('CONVERSATION_WINDOW_POLICY', `must be "warn", "enforce" or "off", got "${raw}"`, 'warn');
}

/** How long onMessage keeps a conversation's last-message time (`CONVERSATION_RECORD_TTL_SECONDS`, 30 days). */
export function readConversationRecordTtl(env: Env = process.env): number {
  return positiveInt(env, 'CONVERSATION_RECORD_TTL_SECONDS', 30 * 24 * 60 * 60);
}

/** The template catalogue (GET /imchannel/templates): how long a sender's list is kept in Redis. */
export function readTemplatesConfig(env: Env = process.env): { cacheTtlSeconds: number } {
  return { cacheTtlSeconds: positiveInt(env, 'TEMPLATES_CACHE_TTL_SECONDS', 300) };
}

export function readMediaConfig(env: Env = process.env): MediaConfig {
  return {
    ttlSeconds: positiveInt(env, 'MEDIA_TTL_SECONDS', 86_400),
    fetchTtlSeconds: positiveInt(env, 'MEDIA_FETCH_TTL_SECONDS', 60),
    maxBytes: positiveInt(env, 'MEDIA_MAX_BYTES', 4 * 1024 * 1024),
  };
}

const URL_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,256}$/;

const urlToken = (env: Env, name: string): string | undefined => {
  const value = nonEmpty(env, name);
  if (value !== undefined && !URL_TOKEN_PATTERN.test(value)) {
    // Never the value itself: it is a secret, and this message is logged.
    return problem(
      name,
      `must be 32 to 256 URL-safe characters (A-Z, a-z, 0-9, "_", "-"), got ${value.length} characters; make one with "openssl rand -hex 32"`,
      undefined,
    );
  }
  return value;
};

/** `INFOBIP_REPORT_TOKEN` (+ `INFOBIP_REPORT_TOKEN_PREVIOUS` during a rotation); `undefined` when not set. */
export function readUrlToken(env: Env = process.env): UrlTokenConfig | undefined {
  const current = urlToken(env, 'INFOBIP_REPORT_TOKEN');
  const previous = urlToken(env, 'INFOBIP_REPORT_TOKEN_PREVIOUS');
  if (current === undefined) {
    if (previous !== undefined) {
      problem('INFOBIP_REPORT_TOKEN', 'is required when INFOBIP_REPORT_TOKEN_PREVIOUS is set (a rotation keeps both)', undefined);
    }
    return undefined;
  }
  return previous === undefined || previous === current ? { current } : { current, previous };
}

export function readWebhookAuthConfig(
  env: Env = process.env,
  route: WebhookRoute = 'onDeliveryReport',
  now: number = Date.now(),
): WebhookAuthConfig {
  const username = nonEmpty(env, 'INFOBIP_WEBHOOK_USERNAME');
  const password = nonEmpty(env, 'INFOBIP_WEBHOOK_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? 'INFOBIP_WEBHOOK_USERNAME' : 'INFOBIP_WEBHOOK_PASSWORD';
    problem(missing, 'is required when the other webhook Basic credential is set', undefined);
  }
  const auth: WebhookAuthConfig = {};
  if (username !== undefined && password !== undefined) auth.basic = { username, password };
  const header = nonEmpty(env, 'INFOBIP_WEBHOOK_HEADER');
  if (header !== undefined) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(\S.*)$/.exec(header);
    if (match?.[1] && match[2]) auth.header = { name: match[1].toLowerCase(), value: match[2].trim() };
    else problem('INFOBIP_WEBHOOK_HEADER', 'must look like "Name: value"', undefined);
  }
  const token = readUrlToken(env);
  const until = unboundTokenUntil(env, route, now);
  if (until !== undefined && token === undefined) {
    const name = route === 'onMessage' ? 'INFOBIP_ONMESSAGE_URL_TOKEN' : 'INFOBIP_REPORT_TOKEN_UNBOUND_UNTIL';
    problem(name, 'needs INFOBIP_REPORT_TOKEN, the token it lets in', undefined);
  }
  // onMessage takes no token unless the deployment opted in: one notifyUrl must not open it.
  if (token !== undefined && (route === 'onDeliveryReport' || until !== undefined)) auth.token = token;
  if (until !== undefined && auth.token !== undefined) auth.unboundTokenUntil = until;
  return auth;
}

const STAND_IN_TARGET: CtliveTarget = { kind: 'http', url: STAND_IN_URL, timeoutMs: 5_000 };

export function readCtliveTarget(env: Env = process.env): CtliveTarget {
  const raw = required(env, 'CTLIVE_TARGET');
  if (raw.startsWith('lambda:')) {
    const functionName = raw.slice('lambda:'.length).trim();
    if (!functionName) return problem('CTLIVE_TARGET', 'must name a function after "lambda:"', STAND_IN_TARGET);
    return {
      kind: 'lambda',
      functionName,
      endpoint: nonEmpty(env, 'CTLIVE_LAMBDA_ENDPOINT'),
      region: nonEmpty(env, 'AWS_REGION'),
    };
  }
  if (/^https?:\/\//i.test(raw)) {
    return {
      kind: 'http',
      url: httpUrl('CTLIVE_TARGET', raw),
      token: nonEmpty(env, 'CTLIVE_TARGET_TOKEN'),
      timeoutMs: atMost(env, 'CTLIVE_TIMEOUT_MS', positiveInt(env, 'CTLIVE_TIMEOUT_MS', 5_000), CTLIVE_MAX_TIMEOUT_MS),
    };
  }
  return problem('CTLIVE_TARGET', 'must be "lambda:<function name or ARN>" or an http(s):// URL', STAND_IN_TARGET);
}

/**
 * How many results of one webhook are forwarded at once (`CTLIVE_CONCURRENCY`). 16 by
 * default: with ctlive taking 50 ms per event, 2,000 results (Infobip's largest batch) take
 * about 2,000 × 50 ms / 16 = 6.3 s, well inside the webhooks' 29 s, and 100 take about
 * 0.3 s; more would mostly add load on ctlive, which may see this many requests from each
 * of Infobip's concurrent webhook calls (at least 20 per subscription, its `windowSize`).
 * At most 50: the AWS SDK's default socket pool per client, past which invokes queue.
 */
export const CTLIVE_DEFAULT_CONCURRENCY = 16;
export const CTLIVE_MAX_CONCURRENCY = 50;

export function readCtliveConcurrency(env: Env = process.env): number {
  return atMost(
    env,
    'CTLIVE_CONCURRENCY',
    positiveInt(env, 'CTLIVE_CONCURRENCY', CTLIVE_DEFAULT_CONCURRENCY),
    CTLIVE_MAX_CONCURRENCY,
  );
}

/** The variables that hold secrets: on AWS they come from SSM (`SECRETS_SSM_PATH`). */
export const SECRET_VARIABLES = [
  'CTLIVE_API_TOKEN',
  'UPSTASH_REDIS_REST_TOKEN',
  'INFOBIP_API_KEY',
  'CTLIVE_TARGET_TOKEN',
  'INFOBIP_WEBHOOK_PASSWORD',
  'INFOBIP_WEBHOOK_HEADER',
  'INFOBIP_REPORT_TOKEN',
  'INFOBIP_REPORT_TOKEN_PREVIOUS',
  'INBOUND_MEDIA_LINK_SECRET',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/** The SSM path the secrets are read from at cold start; unset where the environment holds them. */
export function readSecretsPath(env: Env = process.env): string | undefined {
  const path = nonEmpty(env, 'SECRETS_SSM_PATH');
  if (path === undefined || path.startsWith('/')) return path;
  return problem('SECRETS_SSM_PATH', `must be an SSM path starting with "/", got "${path}"`, undefined);
}

/** What signs the SSM call: the function's region and role credentials, which Lambda sets. */
export function readAwsSettings(env: Env = process.env): { region: string; credentials: AwsCredentials } {
  return {
    region: required(env, 'AWS_REGION'),
    credentials: {
      accessKeyId: required(env, 'AWS_ACCESS_KEY_ID'),
      secretAccessKey: required(env, 'AWS_SECRET_ACCESS_KEY'),
      sessionToken: nonEmpty(env, 'AWS_SESSION_TOKEN'),
    },
  };
}

/** Secrets read from SSM join the environment every reader here sees; SSM wins. */
export function applySecrets(secrets: Partial<Record<string, string>>, env: Env = process.env): void {
  for (const name of SECRET_VARIABLES) {
    const value = secrets[name];
    if (value !== undefined) env[name] = value;
  }
}

/** Every secret the deployment holds, so the logger can scrub them wherever they appear. */
export function readConfiguredSecrets(env: Env = process.env): string[] {
  const header = nonEmpty(env, 'INFOBIP_WEBHOOK_HEADER');
  const headerValue = header?.includes(':') ? header.slice(header.indexOf(':') + 1).trim() : undefined;
  return [
    nonEmpty(env, 'CTLIVE_API_TOKEN'),
    nonEmpty(env, 'INFOBIP_API_KEY'),
    nonEmpty(env, 'UPSTASH_REDIS_REST_TOKEN'),
    nonEmpty(env, 'CTLIVE_TARGET_TOKEN'),
    nonEmpty(env, 'INFOBIP_WEBHOOK_PASSWORD'),
    headerValue,
    nonEmpty(env, 'INFOBIP_REPORT_TOKEN'),
    nonEmpty(env, 'INFOBIP_REPORT_TOKEN_PREVIOUS'),
    nonEmpty(env, 'INBOUND_MEDIA_LINK_SECRET'),
    nonEmpty(env, 'AWS_SECRET_ACCESS_KEY'),
    nonEmpty(env, 'AWS_SESSION_TOKEN'),
    nonEmpty(env, 'MEDIA_S3_SECRET_ACCESS_KEY'),
  ].filter((secret): secret is string => secret !== undefined);
}

/**
 * Under serverless-offline (the local stack) every HTTP function refuses a request whose
 * `Host` is not a local name (lib/platform/localHost.ts); on Lambda, API Gateway routes by name.
 */
export function readLocalHostsOnly(env: Env = process.env): boolean {
  const offline = nonEmpty(env, 'IS_OFFLINE')?.toLowerCase();
  return offline === 'true' || offline === '1';
}

/** Outside local development (or an explicit `INFOBIP_WEBHOOK_AUTH=none`). */
const webhooksMayRunOpen = (env: Env): boolean => {
  const offline = nonEmpty(env, 'IS_OFFLINE')?.toLowerCase();
  return nonEmpty(env, 'INFOBIP_WEBHOOK_AUTH')?.toLowerCase() === 'none' || offline === 'true' || offline === '1';
};

export interface WebhookAuthPolicy {
  auth: WebhookAuthConfig;
  /** True when nothing is configured and that was allowed: the function says so at start. */
  open: boolean;
}

/**
 * Webhook auth "must be configured outside local development" (CONTRACT section 5).
 * With neither Basic nor a header set, the function refuses to start unless it runs under
 * serverless-offline (`IS_OFFLINE`) or someone opted out on purpose with
 * `INFOBIP_WEBHOOK_AUTH=none`, so a forgotten parameter never silently opens the webhooks.
 */
/** The webhook auth of one route, from the function's own environment (its cold start). */
export const readRouteWebhookAuth = (route: WebhookRoute): WebhookAuthPolicy => readRequiredWebhookAuth(process.env, route);

export function readRequiredWebhookAuth(env: Env = process.env, route: WebhookRoute = 'onDeliveryReport'): WebhookAuthPolicy {
  const auth = readWebhookAuthConfig(env, route);
  const configured = auth.basic !== undefined || auth.header !== undefined || auth.token !== undefined;
  const mode = nonEmpty(env, 'INFOBIP_WEBHOOK_AUTH')?.toLowerCase();
  const closed = { auth, open: false };
  if (mode !== undefined && mode !== 'none') {
    return problem('INFOBIP_WEBHOOK_AUTH', `can only be "none" (or unset), got "${mode}"`, closed);
  }
  if (mode === 'none' && configured) {
    return problem('INFOBIP_WEBHOOK_AUTH', 'is "none" but webhook credentials are also set; unset one of them', closed);
  }
  if (configured) return closed;
  if (webhooksMayRunOpen(env)) return { auth, open: true };
  if (route === 'onMessage') {
    return problem(
      'INFOBIP_WEBHOOK_USERNAME',
      'with INFOBIP_WEBHOOK_PASSWORD (or INFOBIP_WEBHOOK_HEADER) is required outside local development: the notifyUrl token does not open onMessage; set INFOBIP_WEBHOOK_AUTH=none to accept unauthenticated webhooks on purpose',
      closed,
    );
  }
  return problem(
    'INFOBIP_REPORT_TOKEN',
    '(or INFOBIP_WEBHOOK_USERNAME with INFOBIP_WEBHOOK_PASSWORD, or INFOBIP_WEBHOOK_HEADER) is required outside local development; set INFOBIP_WEBHOOK_AUTH=none to accept unauthenticated webhooks on purpose',
    closed,
  );
}

/**
 * The `notifyUrl` every send gives Infobip: `IMCHANNEL_PUBLIC_URL/onDeliveryReport?token=…`.
 * Infobip posts reports to a request's `notifyUrl` without the webhook credentials of a
 * Subscriptions profile (those apply "when no webhook is specified in the request": the
 * `notify` field of the OMNI request, api-evangelist/infobip,
 * openapi/infobip-omni-failover-openapi.json), so without the
 * token every report would get 401 and be lost after Infobip's retries. Hence the token is
 * required wherever the webhooks must be authenticated. `undefined` without a public URL.
 */
export function readNotifyUrl(env: Env = process.env): NotifyUrl | undefined {
  const publicUrl = readPublicUrl(env);
  return publicUrl === undefined ? undefined : notifyUrlFor(publicUrl, env);
}

/**
 * A send's `notifyUrl`, made for the messageId it goes out under and, for a message of
 * another Infobip account than the deployment's own, that account (`?account=`): the token is
 * bound to both (lib/platform/reportToken.ts).
 */
export type NotifyUrl = (messageId: string, account?: string) => string;

/** The same, for a function that already holds its (required) public URL. */
export function notifyUrlFor(publicUrl: string, env: Env = process.env): NotifyUrl {
  const token = readUrlToken(env);
  const withoutToken = `${publicUrl}/onDeliveryReport`;
  if (token === undefined) {
    if (webhooksMayRunOpen(env)) return () => withoutToken;
    return problem(
      'INFOBIP_REPORT_TOKEN',
      'is required when IMCHANNEL_PUBLIC_URL is set: Infobip sends delivery reports to notifyUrl without credentials, so the URL carries a token made from it',
      () => withoutToken,
    );
  }
  return (messageId, account) =>
    `${withoutToken}?${account === undefined ? '' : `${ACCOUNT_PARAMETER}=${account}&`}${URL_TOKEN_PARAMETER}=${reportTokenFor(token.current, messageId, account)}`;
}

/** How a GET of an S3-backed file is answered (docs/api.md, "Large files"). */
export type MediaFetchMode = 'stream' | 'redirect';

const MB = 1024 * 1024;

/**
 * Each kind's largest file, as Infobip documents it for the OMNI WhatsApp URLs
 * (api-evangelist/infobip, openapi/infobip-omni-failover-openapi.json, WhatsAppData):
 * `imageUrl` "Maximum image size is 5MB", `audioUrl` "Maximum audio size is 16MB",
 * `videoUrl` "Maximum video size is 16MB", `fileUrl` "Maximum file size is 100MB".
 * Read as MiB, as the Infobip sandbox does (tools/infobipSandbox/media.ts).
 */
export const INFOBIP_MEDIA_LIMITS = {
  image: 5 * MB,
  audio: 16 * MB,
  video: 16 * MB,
  document: 100 * MB,
  // The WhatsApp API's sticker: "≤ 500 KB animated" (a static one ≤ 100 KB, lib/media/sticker.ts),
  // read as thousands of bytes, the stricter reading, so that no file taken here is refused there.
  sticker: 500 * 1000,
} as const;
export type MediaLimits = Record<keyof typeof INFOBIP_MEDIA_LIMITS, number>;

/** Where uploaded files live: the bucket, how it is signed for, and how they are served. */
export interface ObjectStorageConfig {
  bucket: string;
  region: string;
  /** Local S3-compatible server (path-style URLs); unset on AWS (virtual-hosted `<bucket>.s3.<region>.amazonaws.com`). */
  endpoint?: string;
  credentials: AwsCredentials;
  /** How long a presigned upload URL stays valid (`MEDIA_UPLOAD_TTL_SECONDS`). */
  uploadTtlSeconds: number;
  fetchMode: MediaFetchMode;
  /**
   * `stream`: the base of the streaming fetch URLs (the fetch functions' Lambda Function URL
   * on AWS, the local stack's streaming route locally); `<base>/<route>/<id>` is what Infobip gets.
   */
  streamUrl?: string;
  /**
   * `stream`: a kind's own streaming base (`MEDIA_STREAM_URL_IMAGE`, …), for a function that
   * sends uploads of several kinds (a menu's header); on AWS each kind's fetch function has
   * its own Function URL. A kind without one falls back to `streamUrl`.
   */
  streamUrls?: Partial<Record<keyof MediaLimits, string>>;
  limits: MediaLimits;
}

const MEDIA_FETCH_MODES: readonly MediaFetchMode[] = ['stream', 'redirect'];
/** S3's own limit of a presigned URL's validity (a week), which no upload needs. */
const UPLOAD_TTL_MAX_SECONDS = 3_600;

function limitOf(env: Env, name: string, infobipMax: number): number {
  return atMost(env, name, positiveInt(env, name, infobipMax), infobipMax);
}

/**
 * The S3 side of the media functions, read by the upload route, the media sends and the
 * fetch functions. `MEDIA_BUCKET` unset: no large files (the upload route refuses to start,
 * the sends and fetches keep the inline path only), so a deployment without a bucket works as before.
 */
export function readObjectStorageConfig(env: Env = process.env): ObjectStorageConfig | undefined {
  const bucket = nonEmpty(env, 'MEDIA_BUCKET');
  if (bucket === undefined) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    problem(
      'MEDIA_BUCKET',
      `must be an S3 bucket name (3 to 63 lower-case letters, digits, "." or "-"), got "${bucket}"`,
      undefined,
    );
  }
  const endpoint = nonEmpty(env, 'MEDIA_S3_ENDPOINT');
  const modeRaw = (nonEmpty(env, 'MEDIA_FETCH_MODE') ?? 'stream').toLowerCase();
  const fetchMode = (MEDIA_FETCH_MODES as readonly string[]).includes(modeRaw)
    ? (modeRaw as MediaFetchMode)
    : problem('MEDIA_FETCH_MODE', `must be "stream" or "redirect", got "${modeRaw}"`, 'stream' as MediaFetchMode);
  const streamRaw = nonEmpty(env, 'MEDIA_STREAM_URL');
  const streamUrl = streamRaw === undefined ? undefined : httpUrl('MEDIA_STREAM_URL', streamRaw);
  const streamUrls = Object.fromEntries(
    Object.keys(INFOBIP_MEDIA_LIMITS).flatMap((kind) => {
      const name = `MEDIA_STREAM_URL_${kind.toUpperCase()}`;
      const raw = nonEmpty(env, name);
      return raw === undefined ? [] : [[kind, httpUrl(name, raw)]];
    }),
  );
  // A local S3-compatible server has its own key pair; on AWS the role's credentials sign.
  const localKey = nonEmpty(env, 'MEDIA_S3_ACCESS_KEY_ID');
  const credentials =
    endpoint !== undefined && localKey !== undefined
      ? { accessKeyId: localKey, secretAccessKey: required(env, 'MEDIA_S3_SECRET_ACCESS_KEY') }
      : readAwsSettings(env).credentials;
  return {
    bucket,
    region: nonEmpty(env, 'MEDIA_BUCKET_REGION') ?? required(env, 'AWS_REGION'),
    endpoint: endpoint === undefined ? undefined : httpUrl('MEDIA_S3_ENDPOINT', endpoint),
    credentials,
    uploadTtlSeconds: atMost(
      env,
      'MEDIA_UPLOAD_TTL_SECONDS',
      positiveInt(env, 'MEDIA_UPLOAD_TTL_SECONDS', 300),
      UPLOAD_TTL_MAX_SECONDS,
    ),
    fetchMode,
    streamUrl,
    ...(Object.keys(streamUrls).length === 0 ? {} : { streamUrls }),
    limits: {
      image: limitOf(env, 'MEDIA_MAX_BYTES_IMAGE', INFOBIP_MEDIA_LIMITS.image),
      audio: limitOf(env, 'MEDIA_MAX_BYTES_AUDIO', INFOBIP_MEDIA_LIMITS.audio),
      video: limitOf(env, 'MEDIA_MAX_BYTES_VIDEO', INFOBIP_MEDIA_LIMITS.video),
      document: limitOf(env, 'MEDIA_MAX_BYTES_DOCUMENT', INFOBIP_MEDIA_LIMITS.document),
      sticker: limitOf(env, 'MEDIA_MAX_BYTES_STICKER', INFOBIP_MEDIA_LIMITS.sticker),
    },
  };
}

/** The upload route cannot work without a bucket. */
export function readRequiredObjectStorageConfig(env: Env = process.env): ObjectStorageConfig {
  const config = readObjectStorageConfig(env);
  if (config !== undefined) return config;
  return problem('MEDIA_BUCKET', 'is required by the upload route (the S3 bucket that holds large files)', {
    bucket: 'config-error.invalid',
    region: 'us-east-1',
    credentials: { accessKeyId: '', secretAccessKey: '' },
    uploadTtlSeconds: 300,
    fetchMode: 'stream',
    limits: { ...INFOBIP_MEDIA_LIMITS },
  });
}

/**
 * Whether the fetch functions answer their Function URL as a stream: `stream` mode with a
 * bucket, on Lambda itself. Not under serverless-offline, which invokes every handler the
 * buffered way; the local stack streams through its own route instead (tools/streamServer.ts).
 */
export function readStreamingRuntime(env: Env = process.env): boolean {
  const offline = nonEmpty(env, 'IS_OFFLINE')?.toLowerCase();
  if (offline === 'true' || offline === '1') return false;
  return (
    nonEmpty(env, 'MEDIA_BUCKET') !== undefined && (nonEmpty(env, 'MEDIA_FETCH_MODE') ?? 'stream').toLowerCase() === 'stream'
  );
}

/** The customer's files, copied into the bucket and served under IMChannel's own URLs (docs/api.md, "Customers' files"). */
export interface InboundMediaConfig {
  /** IMCHANNEL_PUBLIC_URL: the base of `url` and `downloadUrl`. */
  publicUrl: string;
  /** INBOUND_MEDIA_LINK_SECRET: signs `downloadUrl`s. */
  linkSecret: string;
  /** INBOUND_MEDIA_LINK_TTL_SECONDS: how long a `downloadUrl` opens the file. */
  linkTtlSeconds: number;
  /** Where a file's URL may point for the API key to go with it: INFOBIP_ALLOWED_HOSTS. */
  allowedHosts: string[];
}

/** A week: an agent opens a customer's file days after it came, not only while the chat is live. */
export const INBOUND_MEDIA_LINK_TTL_DEFAULT_SECONDS = 7 * 24 * 3_600;
/** A signed link outliving the files' retention would only open a 404. */
const INBOUND_MEDIA_LINK_TTL_MAX_SECONDS = 365 * 24 * 3_600;
const LINK_SECRET_PATTERN = /^[\x21-\x7e]{32,256}$/;

/**
 * Whether inbound files are copied: `INBOUND_MEDIA_COPIER` names the copying function
 * (serverless.yml always sets it). Unset, ctlive gets Infobip's own URL in `media.url`, as
 * before, and nothing is copied.
 */
export function readInboundMediaCopier(
  env: Env = process.env,
): { functionName: string; endpoint?: string; region?: string } | undefined {
  const functionName = nonEmpty(env, 'INBOUND_MEDIA_COPIER');
  if (functionName === undefined) return undefined;
  return { functionName, endpoint: nonEmpty(env, 'CTLIVE_LAMBDA_ENDPOINT'), region: nonEmpty(env, 'AWS_REGION') };
}

export function readInboundMediaConfig(env: Env = process.env): InboundMediaConfig {
  const secret = required(env, 'INBOUND_MEDIA_LINK_SECRET');
  const linkSecret = LINK_SECRET_PATTERN.test(secret)
    ? secret
    : problem('INBOUND_MEDIA_LINK_SECRET', 'must be 32 to 256 printable characters (for example: openssl rand -hex 32)', secret);
  return {
    publicUrl: readRequiredPublicUrl(env),
    linkSecret,
    linkTtlSeconds: atMost(
      env,
      'INBOUND_MEDIA_LINK_TTL_SECONDS',
      positiveInt(env, 'INBOUND_MEDIA_LINK_TTL_SECONDS', INBOUND_MEDIA_LINK_TTL_DEFAULT_SECONDS),
      INBOUND_MEDIA_LINK_TTL_MAX_SECONDS,
    ),
    allowedHosts: readInfobipConfig(env).allowedHosts,
  };
}
