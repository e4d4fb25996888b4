import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';
import type { LogConfig } from './config';
import { createMetrics, METRICS_NAMESPACE, type FunctionMetrics, type MetricsConfig } from './metrics';

/**
 * The tagged logger (CONTRACT section 7). Every line starts with `[IMCHANNEL] [<tag>]`,
 * the runbook lines are built here word for word, and every line passes through one
 * scrubber before it is written, so a secret cannot reach a log by any path.
 */

export type LogSink = (line: string) => void;

export interface LogAttributes {
  messageId?: string;
  reason?: string;
  [key: string]: unknown;
}

export interface TaggedLogger {
  readonly tag: string;
  /** The Powertools logger underneath, for `injectLambdaContext`. */
  readonly powertools: Logger;
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  /** A secret learnt during a request (an API key in a body): scrubbed from every later line. */
  addSecret(secret: string | undefined): void;
  /** This function's metrics (EMF), written beside its lines and flushed by the http stack. */
  readonly metrics: FunctionMetrics;
}

export interface LoggerOptions extends LogConfig {
  secrets?: readonly string[];
  sink?: LogSink;
  metrics?: MetricsConfig;
  /**
   * Where the EMF lines go. Default: stdout, with the log lines, as CloudWatch needs them;
   * but none when `sink` sends the log lines elsewhere (tests, tools) and this is not
   * given, so that no EMF line ever lands among lines a caller parses.
   */
  metricsSink?: LogSink;
}

const DEFAULT_METRICS: MetricsConfig = { namespace: METRICS_NAMESPACE, service: 'imchannel', stage: 'local' };

const REDACTED = '***';
/** Shorter values would scrub ordinary words out of every line. */
const MIN_SECRET_LENGTH = 4;
const MAX_REQUEST_SECRETS = 64;
/**
 * CloudWatch Logs takes at most 256 KB (262,144 bytes, UTF-8) per event; cut earlier, in
 * bytes and never inside a character, and say so, so the line stays readable.
 */
export const MAX_LINE_BYTES = 240_000;
/**
 * A backstop for credentials nobody registered (a key echoed in an upstream error): a long
 * token with a digit after an auth scheme. Shorter or digit-free words stay, so a customer's
 * "Download the App today" is still logged as written.
 */
const AUTH_SCHEMES = /\b(App|Bearer|Basic)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}/g;
/** A notifyUrl's token is made per message (lib/platform/reportToken.ts), so no list holds it: its place in the URL does. */
const URL_TOKENS = /([?&]token=)[A-Za-z0-9_-]{16,}/g;

/** The runbook lines, word for word (docs/CONTRACT.md section 7 and docs/RUNBOOK.md). */
export const runbook = {
  messageReceived: (body: string) => `Message received ${compactJson(body)}`,
  reportReceived: (body: string) => `Report received ${compactJson(body)}`,
  infobipRequest: (url: string, payload: unknown) => `request to [${url}] Data [${JSON.stringify(payload)}] with api key header`,
  /** The request line of a call without a body (a GET: the template catalogue). */
  infobipQuery: (url: string) => `request to [${url}] with api key header`,
  infobipResponse: (url: string, body: string) => `response of [${url}]: ${compactJson(body)}`,
  fetchReceived: (id: string) => `Request received for ID [${id}]`,
  redisGet: (key: string) => `[REDIS] Get message with key [${key}]`,
  setExpire: (key: string, seconds: number) => `Set expire for key [${key}] ${seconds}`,
};

/** JSON as compact JSON; anything else as received, on one line. */
export function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text.replace(/\r?\n/g, '\\n');
  }
}

function createScrubber(staticSecrets: readonly string[]) {
  const requestSecrets = new Set<string>();
  const variants = (secret: string) => [secret, JSON.stringify(secret).slice(1, -1)];
  let patterns: string[] = [];
  const rebuild = () => {
    patterns = [...new Set([...staticSecrets, ...requestSecrets].flatMap(variants))]
      .filter((s) => s.length >= MIN_SECRET_LENGTH)
      // Longest first, so a secret that contains another is scrubbed whole.
      .sort((a, b) => b.length - a.length);
  };
  rebuild();
  return {
    add(secret: string | undefined) {
      if (!secret || secret.length < MIN_SECRET_LENGTH || requestSecrets.has(secret)) return;
      if (requestSecrets.size >= MAX_REQUEST_SECRETS) {
        const oldest = requestSecrets.values().next().value;
        if (oldest !== undefined) requestSecrets.delete(oldest);
      }
      requestSecrets.add(secret);
      rebuild();
    },
    scrub(line: string): string {
      let out = line;
      // includes() first: most lines hold no secret, and it allocates nothing.
      for (const secret of patterns) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      return out.replace(AUTH_SCHEMES, `$1 ${REDACTED}`).replace(URL_TOKENS, `$1${REDACTED}`);
    },
  };
}

function truncate(line: string): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most lines need no count at all.
  if (line.length * 3 <= MAX_LINE_BYTES) return line;
  const encoded = Buffer.from(line, 'utf8');
  if (encoded.length <= MAX_LINE_BYTES) return line;
  let end = MAX_LINE_BYTES - 64; // room for the note
  while (end > 0 && ((encoded[end] as number) & 0xc0) === 0x80) end -= 1;
  return `${encoded.subarray(0, end).toString('utf8')}…[truncated ${encoded.length - end} bytes]`;
}

const defaultSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

class LineLogger extends Logger {
  write?: (log: LogItem) => void;

  protected override printLog(_logLevel: number, log: LogItem): void {
    this.write?.(log);
  }
}

export function createLogger(tag: string, options: LoggerOptions): TaggedLogger {
  const prefix = `[IMCHANNEL] [${tag}]`;
  const scrubber = createScrubber(options.secrets ?? []);
  const sink = options.sink ?? defaultSink;
  const powertools = new LineLogger({
    serviceName: 'imchannel',
    logLevel: options.level,
    persistentKeys: { tag },
  });
  powertools.write = (log) => {
    const line = options.format === 'text' ? String(log.getAttributes().message) : JSON.stringify(log.getAttributes());
    sink(truncate(scrubber.scrub(line)));
  };

  const describe = (message: string, attributes: LogAttributes | undefined) => {
    const id = attributes?.messageId ? ` (messageId [${attributes.messageId}])` : '';
    const reason = attributes?.reason ? `: ${attributes.reason}` : '';
    // The customer's number last, so searching for it finds the line (npm run logs --message-id).
    const to = attributes?.to ? ` (to [${attributes.to}])` : '';
    return `${prefix} ${message}${id}${reason}${to}`;
  };
  const extra = (attributes: LogAttributes | undefined) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(attributes ?? {})) {
      if (value !== undefined) out[key] = value;
    }
    return out;
  };

  return {
    tag,
    powertools,
    debug: (message, attributes) => powertools.debug(`${prefix} ${message}`, extra(attributes)),
    // Runbook lines are searched for word for word: info keeps the message as given.
    info: (message, attributes) => powertools.info(`${prefix} ${message}`, extra(attributes)),
    warn: (message, attributes) => powertools.warn(describe(message, attributes), extra(attributes)),
    error: (message, attributes) => powertools.error(describe(message, attributes), extra(attributes)),
    addSecret: (secret) => scrubber.add(secret),
    metrics: createMetrics(tag, options.metrics ?? DEFAULT_METRICS, {
      sink: options.metricsSink ?? (options.sink === undefined ? defaultSink : undefined),
      warn: (message) => powertools.warn(`${prefix} Metrics: ${message}`),
    }),
  };
}
