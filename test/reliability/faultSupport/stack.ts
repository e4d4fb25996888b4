import { SENDER } from '../../support/whatsAppSandbox';
import { randomUUID } from 'node:crypto';
import { createIdempotencyStore } from '../../../lib/outbound/idempotency';
import IORedis from 'ioredis';
import type { WebhookAuthConfig } from '../../../lib/platform/config';
import { createDedupe, type DedupeOptions } from '../../../lib/inbound/dedupe';
import { createForwarder, type Forwarder } from '../../../lib/inbound/forwarder';
import type { HttpEvent, HttpResponse } from '../../../lib/platform/http';
import { createInfobipClient } from '../../../lib/outbound/infobip';
import { createLogger, type TaggedLogger } from '../../../lib/platform/log';
import { MEDIA_KINDS, MEDIA_KIND_NAMES, type MediaKind } from '../../../lib/media/kinds';
import { makeFetchMediaHandler } from '../../../lib/media/fetch';
import { makeSendMediaHandler, type MediaSendDeps } from '../../../lib/media/send';
import { createMediaStore } from '../../../lib/media/store';
import { createRedis, redisKeys } from '../../../lib/platform/redis';
import { makeSendMessageHandler, type SendMessageDeps } from '../../../lib/messages/text';
import { createCatalogueCache, createTemplatesClient } from '../../../lib/templates/catalogue';
import { makeListTemplatesHandler } from '../../../lib/templates/list';
import { makeSendTemplateHandler } from '../../../lib/templates/send';
import type { Accounts } from '../../../lib/platform/account';
import { makeOnDeliveryReportHandler, makeOnMessageHandler, type InboundMediaStep } from '../../../lib/inbound/webhook';
import { BUTTONS_TAG, URL_BUTTON_TAG, makeSendButtonsHandler, makeSendUrlButtonHandler } from '../../../lib/interactive/send';
import { LIST_TAG, makeSendListHandler } from '../../../lib/messages/list';
import { MARK_AS_READ_TAG, createReadMarks, makeMarkAsReadHandler } from '../../../lib/signals/markAsRead';
import { TYPING_TAG, makeTypingHandler } from '../../../lib/signals/typing';
import { startCtliveSink, type CtliveSink } from '../../../tools/ctliveSink';
import { startInfobipSandbox, type InfobipSandbox } from '../../../tools/infobipSandbox';
import { startUpstashProxy, type UpstashProxy } from '../../../tools/upstashProxy';
import { apiEvent, lambdaContext, type EventOptions } from '../../support/lambda';
import { startRedisMonitor, type RedisMonitor } from './monitor';
import { startOwnRedisServer, type OwnRedis } from './ownRedis';
import { startSlowLink, type SlowLink } from './slowLink';

/**
 * The handlers wired as in production (real @upstash/redis client through the Upstash
 * proxy to a real redis-server, real Infobip client over HTTP to the sandbox, real HTTP
 * forwarder to the ctlive sink), with every dependency reachable for a test to break.
 * Logs are JSON, as on AWS, and kept in `lines`; every response is kept in `responses`,
 * so a test can prove that no configured secret left the service.
 */

/** Test-only values, fresh for each run. */
export function makeSecrets() {
  return {
    apiKey: `fault-infobip-key-${randomUUID()}`,
    ctliveToken: `fault-ctlive-token-${randomUUID()}`,
    webhookPassword: `fault-webhook-password-${randomUUID()}`,
    webhookHeaderValue: `fault-webhook-header-${randomUUID()}`,
    redisToken: `fault-redis-token-${randomUUID()}`,
    targetToken: `fault-target-token-${randomUUID()}`,
  };
}
export type Secrets = ReturnType<typeof makeSecrets>;

export const INFOBIP_TIMEOUT_MS = 400;
export const CTLIVE_TIMEOUT_MS = 300;
export const MEDIA_MAX_BYTES = 64 * 1024;
export const MEDIA_TTL_SECONDS = 86_400;
export const SCENARIO_KEY = 'FAULT-SCENARIO';
export const WEBHOOK_USER = 'infobip';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: { error?: { code?: string; [key: string]: unknown }; [key: string]: unknown };
}

type Handler = (event: HttpEvent, context: ReturnType<typeof lambdaContext>) => Promise<HttpResponse>;

export interface LogEntry {
  level: string;
  message: string;
  tag: string;
  messageId?: string;
}

export interface Stack {
  secrets: Secrets;
  redis: OwnRedis;
  link: SlowLink;
  proxy: UpstashProxy;
  sandbox: InfobipSandbox;
  sink: CtliveSink;
  /** A plain client straight to redis-server, for checking state. */
  direct: IORedis;
  monitor(): Promise<RedisMonitor>;
  lines: string[];
  responses: Reply[];
  logger(tag: string): TaggedLogger;
  sendMessage: Handler;
  sendMedia: Record<MediaKind, Handler>;
  fetchMedia: Record<MediaKind, Handler>;
  /** The menus and signals, through the WhatsApp API from the sandbox's business number, by tag. */
  menus: Record<MenuTag, Handler>;
  webhooks(options?: {
    auth?: WebhookAuthConfig;
    forwarder?: Forwarder;
    dedupe?: DedupeOptions;
    /** The Infobip accounts a webhook URL may name; the deployment's own alone when absent. */
    accounts?: Accounts;
    /** onMessage's step for customers' files (the copier's trigger). */
    inboundMedia?: InboundMediaStep;
  }): {
    onMessage: Handler;
    onDeliveryReport: Handler;
  };
  /** A forwarder to the ctlive sink over HTTP, as the webhooks' default one. */
  sinkForwarder(): Forwarder;
  /** sendMessage with other Infobip settings (another base URL, another allowlist). */
  sendMessageWith(infobip: { baseUrl?: string; allowedHosts?: string[]; fetch?: typeof fetch }): Handler;
  /** Another plain send route (location, contact cards), wired as sendMessage, under its tag. */
  sendRouteWith(
    tag: string,
    make: (deps: SendMessageDeps) => Handler,
    infobip: { baseUrl?: string; allowedHosts?: string[]; fetch?: typeof fetch },
  ): Handler;
  sendMediaWith(kind: MediaKind, infobip: { baseUrl?: string; allowedHosts?: string[]; fetch?: typeof fetch }): Handler;
  /** What a send that may park a file needs (a media send, a template's or a menu's header), logging under `tag`. */
  parkingDeps(
    tag: string,
    infobip: { baseUrl?: string; allowedHosts?: string[]; fetch?: typeof fetch; sender?: string },
  ): ParkingDeps;
  /** sendWhatsAppTemplateMessage, its catalogue cached in this Redis for `sender` when given. */
  sendTemplateWith(infobip: { baseUrl?: string; allowedHosts?: string[]; fetch?: typeof fetch; sender?: string }): Handler;
  listTemplatesWith(infobip: { baseUrl?: string; allowedHosts?: string[]; fetch?: typeof fetch; sender?: string }): Handler;
  call(handler: Handler, options: EventOptions): Promise<Reply>;
  entries(): LogEntry[];
  mediaKeys(): Promise<string[]>;
  close(): Promise<void>;
}

/** The dependencies of a send that may park a file: a media send's, without the bucket. */
export type ParkingDeps = Omit<MediaSendDeps, 'objects'>;

export const MENU_TAGS = [BUTTONS_TAG, LIST_TAG, URL_BUTTON_TAG, MARK_AS_READ_TAG, TYPING_TAG] as const;
export type MenuTag = (typeof MENU_TAGS)[number];

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
});

export async function startStack(): Promise<Stack> {
  const secrets = makeSecrets();
  const redis = await startOwnRedisServer();
  const link = await startSlowLink({ host: '127.0.0.1', port: redis.port });
  const proxy = await startUpstashProxy({ redisUrl: link.url, token: secrets.redisToken, port: 0 });
  const sandbox = await startInfobipSandbox({ apiKey: secrets.apiKey, port: 0, fetchMedia: false, deliveryReports: false });
  const sink = await startCtliveSink({ token: secrets.targetToken, log: () => undefined });
  const direct = new IORedis(redis.url, { maxRetriesPerRequest: 3, retryStrategy: () => 100 });
  direct.on('error', () => undefined);
  const monitors: RedisMonitor[] = [];

  const lines: string[] = [];
  const responses: Reply[] = [];
  const configured = [
    secrets.apiKey,
    secrets.ctliveToken,
    secrets.webhookPassword,
    secrets.webhookHeaderValue,
    secrets.redisToken,
    secrets.targetToken,
  ];
  const logger = (tag: string) =>
    createLogger(tag, { format: 'json', level: 'INFO', secrets: configured, sink: (line) => void lines.push(line) });

  const upstash = createRedis({ url: proxy.url, token: secrets.redisToken });
  const idempotencyConfig = { ttlSeconds: 86_400, lookupGraceSeconds: 600 };
  const realIdempotency = { store: createIdempotencyStore(upstash, idempotencyConfig), config: idempotencyConfig };
  const media = { ttlSeconds: MEDIA_TTL_SECONDS, fetchTtlSeconds: 60, maxBytes: MEDIA_MAX_BYTES };
  const infobipConfig = (baseUrl = sandbox.url, allowedHosts = ['127.0.0.1']) => ({
    // The sandbox's business number: a sticker goes through the WhatsApp API, whose `from` it is.
    defaults: { baseUrl, apiKey: secrets.apiKey, scenarioKey: SCENARIO_KEY, sender: SENDER },
    allowedHosts,
    timeoutMs: INFOBIP_TIMEOUT_MS,
  });
  const publicUrl = 'https://imchannel.example/tenant/imchannel';

  const sendRouteWith: Stack['sendRouteWith'] = (tag, make, { baseUrl, allowedHosts, fetch }) =>
    make({
      idempotency: realIdempotency,
      log: logger(tag),
      infobipConfig: infobipConfig(baseUrl, allowedHosts),
      infobip: createInfobipClient({ timeoutMs: INFOBIP_TIMEOUT_MS, fetch }),
      notifyUrl: () => `${publicUrl}/onDeliveryReport`,
      ctliveApiToken: secrets.ctliveToken,
    });
  const sendMessageWith: Stack['sendMessageWith'] = ({ baseUrl, allowedHosts, fetch }) =>
    makeSendMessageHandler({
      idempotency: realIdempotency,
      log: logger('sendMessage'),
      infobipConfig: infobipConfig(baseUrl, allowedHosts),
      infobip: createInfobipClient({ timeoutMs: INFOBIP_TIMEOUT_MS, fetch }),
      notifyUrl: () => `${publicUrl}/onDeliveryReport`,
      ctliveApiToken: secrets.ctliveToken,
    });
  const withSender = (config: ReturnType<typeof infobipConfig>, sender: string | undefined) =>
    sender === undefined ? config : { ...config, defaults: { ...config.defaults, sender } };
  /** What a send that may park a file needs (a media send, a template's or a menu's header), logging under `tag`. */
  const parkingDeps = (tag: string, { baseUrl, allowedHosts, fetch, sender }: Parameters<Stack['sendTemplateWith']>[0]) => {
    const log = logger(tag);
    return {
      idempotency: realIdempotency,
      log,
      infobipConfig: withSender(infobipConfig(baseUrl, allowedHosts), sender),
      infobip: createInfobipClient({ timeoutMs: INFOBIP_TIMEOUT_MS, fetch }),
      publicUrl,
      notifyUrl: () => `${publicUrl}/onDeliveryReport`,
      ctliveApiToken: secrets.ctliveToken,
      store: createMediaStore(upstash, log),
      media,
    };
  };
  const sendMediaWith: Stack['sendMediaWith'] = (kind, infobip) =>
    makeSendMediaHandler(MEDIA_KINDS[kind], parkingDeps(MEDIA_KINDS[kind].sendTag, infobip));
  const sendTemplateWith: Stack['sendTemplateWith'] = (infobip) =>
    makeSendTemplateHandler({
      ...parkingDeps('sendWhatsAppTemplateMessage', infobip),
      catalogue: createCatalogueCache(upstash),
    });
  const menus: Stack['menus'] = {
    [BUTTONS_TAG]: makeSendButtonsHandler(parkingDeps(BUTTONS_TAG, {})),
    [LIST_TAG]: makeSendListHandler(parkingDeps(LIST_TAG, {})),
    [URL_BUTTON_TAG]: makeSendUrlButtonHandler(parkingDeps(URL_BUTTON_TAG, {})),
    [MARK_AS_READ_TAG]: makeMarkAsReadHandler({ ...parkingDeps(MARK_AS_READ_TAG, {}), marks: createReadMarks(upstash) }),
    [TYPING_TAG]: makeTypingHandler(parkingDeps(TYPING_TAG, {})),
  };
  const listTemplatesWith: Stack['listTemplatesWith'] = ({ baseUrl, allowedHosts, fetch, sender }) =>
    makeListTemplatesHandler({
      log: logger('listTemplates'),
      infobipConfig: withSender(infobipConfig(baseUrl, allowedHosts), sender),
      ctliveApiToken: secrets.ctliveToken,
      templates: createTemplatesClient({ timeoutMs: INFOBIP_TIMEOUT_MS, fetch }),
      cache: createCatalogueCache(upstash),
      cacheTtlSeconds: 300,
    });
  const byKind = <T>(make: (kind: MediaKind) => T) =>
    Object.fromEntries(MEDIA_KIND_NAMES.map((kind) => [kind, make(kind)])) as Record<MediaKind, T>;

  const sinkForwarder = () =>
    createForwarder({ kind: 'http', url: sink.url, token: secrets.targetToken, timeoutMs: CTLIVE_TIMEOUT_MS });
  const webhooks: Stack['webhooks'] = (options = {}) => {
    const auth = options.auth ?? { basic: { username: WEBHOOK_USER, password: secrets.webhookPassword } };
    const forwarder = options.forwarder ?? sinkForwarder();
    const deps = (tag: string) => ({
      log: logger(tag),
      auth,
      dedupe: createDedupe(upstash, options.dedupe),
      forwarder,
      accounts: options.accounts,
    });
    return {
      onMessage: makeOnMessageHandler({ ...deps('onMessage'), inboundMedia: options.inboundMedia }),
      onDeliveryReport: makeOnDeliveryReportHandler(deps('onDeliveryReport')),
    };
  };

  const call: Stack['call'] = async (handler, options) => {
    const event = apiEvent(options);
    const res = await handler(event, lambdaContext());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers ?? {})) headers[name.toLowerCase()] = String(value);
    const body = String(res.body ?? '');
    let json: Reply['json'] = {};
    try {
      json = body && !res.isBase64Encoded ? (JSON.parse(body) as Reply['json']) : {};
    } catch {
      json = {};
    }
    const reply = { status: res.statusCode ?? 200, headers, body, json };
    responses.push(reply);
    return reply;
  };

  return {
    secrets,
    redis,
    link,
    proxy,
    sandbox,
    sink,
    direct,
    async monitor() {
      const monitor = await startRedisMonitor(redis.url);
      monitors.push(monitor);
      return monitor;
    },
    lines,
    responses,
    logger,
    sendMessage: sendMessageWith({}),
    sendMedia: byKind((kind) => sendMediaWith(kind, {})),
    menus,
    parkingDeps,
    fetchMedia: byKind((kind) => {
      const spec = MEDIA_KINDS[kind];
      const log = logger(spec.fetchTag);
      return makeFetchMediaHandler(spec, { log, store: createMediaStore(upstash, log), media });
    }),
    webhooks,
    sinkForwarder,
    sendMessageWith,
    sendRouteWith,
    sendMediaWith,
    sendTemplateWith,
    listTemplatesWith,
    call,
    entries: () => lines.map((line) => JSON.parse(line) as LogEntry),
    mediaKeys: async () => (await direct.keys(redisKeys.media('*'))).sort(),
    async close() {
      for (const monitor of monitors) await monitor.close();
      direct.disconnect();
      await sink.close();
      await sandbox.close();
      await proxy.close();
      await link.close();
      await redis.dispose();
    },
  };
}

/** The secrets (and any other strings given) that occur in a text. */
export function leaked(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length > 0 && text.includes(secret));
}
