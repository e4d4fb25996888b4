import { timingSafeEqual } from 'node:crypto';
import { refuseForeignHost } from '../localHostGuard';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELIVERED, STATUS, undelivered } from './codes';
import { judgeMedia, type MediaRuleKey } from './media';
import { addressOf, deliveryResult, infobipErrorBody, infobipTime, sendResponse, type SentMessage } from './payloads';
import { DEFAULT_BATCH_MAX, DEFAULT_BATCH_WINDOW_MS, DEFAULT_MAX_RETRIES, ReportQueue } from './reports';
import type {
  AcceptedMessage,
  AddedInboundMedia,
  DeliveryReportPost,
  FailureMode,
  InboundMediaFaults,
  InboundMediaFile,
  InboundMediaRequest,
  InfobipSandbox,
  MediaFetch,
  ReceivedRequest,
  SandboxOptions,
} from './types';
import { mediaUrlOf, validateOmniAdvanced, type OmniAdvancedRequest } from './validate';
import { templateMediaOf } from './validateTemplate';
import { defaultTemplates, judgeTemplate, type SandboxTemplate } from './templates';
import { describe, lowerCaseHeaders, readBody, sha256, type Body } from './http';
import { fetchMedia, postDeliveryReport } from './outbound';
import { Waiters } from './waiters';
import { takeQueued } from './faultQueue';
import { recorder, schemaRefusals, type SchemaRefusal } from './conformance';
import { WhatsAppApi, type MarkAsRead, type WhatsAppHost } from './whatsapp/api';
import { handleLocal, INBOUND_MEDIA_HELPER, registerInboundMedia } from './whatsapp/local';
import { InboundMedia } from './whatsapp/inboundMedia';
import type { Outcome } from './codes';

const OMNI_PATH = '/omni/1/advanced';
const LOGS_PATH = '/omni/1/logs';
/** The WhatsApp API's template list (openapi/infobip-whatsapp-openapi.json, "Get WhatsApp Templates"). */
const TEMPLATES_PATH = /^\/whatsapp\/2\/senders\/([^/]+)\/templates$/;
const DEFAULT_SENDER = '44123456789';
const OMNI = `POST ${OMNI_PATH}`;
const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_REFUSALS_KEPT = 10_000;

class Sandbox implements InfobipSandbox {
  url = '';
  readonly received: ReceivedRequest[] = [];
  readonly accepted: AcceptedMessage[] = [];
  readonly mediaFetches: MediaFetch[] = [];
  readonly deliveryReports: DeliveryReportPost[] = [];
  /** This sandbox's requests refused on schema grounds (also in ./conformance.ts, for the teardown check). */
  readonly schemaRefusals: SchemaRefusal[] = [];
  private readonly server: Server;
  private readonly failures: (FailureMode & { times: number })[] = [];
  private readonly expectedAuth: Buffer;
  private readonly waiters = new Waiters();
  private readonly followUps = new Set<Promise<void>>();
  private readonly delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly abort = new AbortController();
  private readonly log: (line: string) => void;
  private readonly reports: ReportQueue;
  private templates = new Map<string, SandboxTemplate[]>();
  private readonly scenarioSender: string;
  /** Bumped by reset() so that work started before it cannot record into the next test. */
  private epoch = 0;
  private closed = false;
  private refusalsExpected = false;
  private readonly record: (method: string, path: string, body: unknown, expected: boolean) => void;
  private readonly whatsApp: WhatsAppApi;
  private readonly inboundMedia: InboundMedia;

  constructor(private readonly opts: SandboxOptions) {
    this.expectedAuth = sha256(`App ${opts.apiKey}`);
    this.scenarioSender = opts.scenarioSender ?? DEFAULT_SENDER;
    this.restoreTemplates();
    this.log = (line) => opts.log?.(`[infobip-sandbox] ${line}`);
    this.record = recorder(opts.recordFile ?? process.env.INFOBIP_SANDBOX_RECORD);
    this.whatsApp = new WhatsAppApi(this.whatsAppHost());
    this.inboundMedia = new InboundMedia({
      log: (line) => this.log(line),
      authorised: (header) => this.authorised(header),
      replyError: (res, what, status, text) => this.replyError(res, what, status, text),
      sleep: (ms) => this.sleep(ms),
      apiUrl: () => this.url,
      defaultSender: () => this.scenarioSender,
      notify: () => this.waiters.notify(),
    });
    this.reports = new ReportQueue({
      post: (url, body, attempt, signed) =>
        postDeliveryReport(url, body, signed ? opts.webhookAuth : undefined, this.abort.signal, attempt),
      sleep: (ms) => this.sleep(ms),
      live: () => !this.closed,
      record: (post) => {
        this.deliveryReports.push(post);
        this.waiters.notify();
      },
      track: (work) => this.track(work),
      log: this.log,
      timeScale: opts.reportRetry?.timeScale ?? 1,
      maxRetries: opts.reportRetry?.maxRetries ?? DEFAULT_MAX_RETRIES,
      batchWindowMs: opts.reportBatchWindowMs ?? DEFAULT_BATCH_WINDOW_MS,
      batchMax: opts.reportBatchMax ?? DEFAULT_BATCH_MAX,
    });
    this.server = createServer((req, res) => {
      if (refuseForeignHost(req, res)) return;
      this.handle(req, res).catch((e: unknown) => {
        this.log(`internal error: ${describe(e)}`);
        if (!res.headersSent && !res.destroyed) this.reply(res, 500, infobipErrorBody(500));
      });
    });
  }

  async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.log(`listening on ${this.url}`);
    await this.inboundMedia.listen(host);
  }

  failNext(mode: FailureMode): void {
    this.failures.push({ ...mode, times: mode.times ?? 1 });
  }

  addInboundMedia(file: InboundMediaFile): AddedInboundMedia {
    return this.inboundMedia.add(file);
  }

  get inboundMediaRequests(): InboundMediaRequest[] {
    return this.inboundMedia.requests;
  }

  inboundMediaFaults(faults: InboundMediaFaults): void {
    this.inboundMedia.addFaults(faults);
  }

  inboundMediaPeakRate(): number {
    return this.inboundMedia.peakRate();
  }

  /** Waits until `n` requests have been answered (or cut), and gives every request so far. */
  async waitForInboundMediaRequests(n: number, timeoutMs?: number): Promise<InboundMediaRequest[]> {
    await this.waiters.waitFor(() => this.inboundMedia.ended, n, 'inbound media requests', timeoutMs);
    return [...this.inboundMedia.requests];
  }

  setTemplates(sender: string, templates: SandboxTemplate[]): void {
    this.templates.set(sender, structuredClone(templates));
  }

  private restoreTemplates(): void {
    const configured = this.opts.templates ?? { [this.scenarioSender]: defaultTemplates() };
    this.templates = new Map(Object.entries(structuredClone(configured)));
  }

  waitForMediaFetches(n: number, timeoutMs?: number): Promise<MediaFetch[]> {
    return this.waiters.waitFor(() => this.mediaFetches, n, 'media fetches', timeoutMs);
  }

  waitForDeliveryReports(n: number, timeoutMs?: number): Promise<DeliveryReportPost[]> {
    return this.waiters.waitFor(() => this.deliveryReports, n, 'delivery reports', timeoutMs);
  }

  get marksAsRead(): MarkAsRead[] {
    return this.whatsApp.marksAsRead;
  }

  rememberInbound(messageId: string): void {
    this.whatsApp.rememberInbound(messageId);
  }

  expectSchemaRefusals(): void {
    this.refusalsExpected = true;
  }

  reset(): void {
    this.epoch += 1;
    this.refusalsExpected = false;
    this.schemaRefusals.length = 0;
    this.whatsApp.reset();
    this.inboundMedia.reset();
    // In place, so that arrays a test already holds stay the live ones.
    this.received.length = 0;
    this.accepted.length = 0;
    this.mediaFetches.length = 0;
    this.deliveryReports.length = 0;
    this.failures.length = 0;
    this.reports.clear();
    this.restoreTemplates();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reports.clear();
    this.abort.abort();
    for (const d of this.delays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.waiters.rejectAll(new Error('Infobip sandbox closed'));
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await Promise.allSettled([...this.followUps, this.inboundMedia.close()]);
    await stopped;
    this.log('closed');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date().toISOString();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const pathname = path.split('?')[0] ?? '';
    if (method === 'POST' && pathname === INBOUND_MEDIA_HELPER) {
      return registerInboundMedia(this.inboundMedia, req, (status, json) => this.reply(res, status, json), this.log);
    }
    let body: Body;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    if (pathname.startsWith('/sandbox/')) {
      return handleLocal(this.whatsApp, res, method, pathname, (status, json) => this.reply(res, status, json), this.log);
    }
    this.record(method, path, body.json.ok ? body.json.value : null, this.refusalsExpected);
    this.received.push({
      method,
      path,
      headers: lowerCaseHeaders(req.headers),
      body: body.tooLarge ? `[${body.bytes} bytes, over the sandbox's limit]` : body.json.ok ? body.json.value : body.text,
      at,
    });
    if (method === 'GET' && pathname === LOGS_PATH) return this.logs(req, res, path);
    const templatesOf = method === 'GET' ? TEMPLATES_PATH.exec(pathname)?.[1] : undefined;
    if (templatesOf !== undefined) return this.listTemplates(req, res, decodeURIComponent(templatesOf));
    if (this.inboundMedia.owns(method, pathname)) return this.inboundMedia.handle(req, res, pathname);
    if (this.whatsApp.owns(method, pathname)) {
      return this.whatsApp.handle(req, res, pathname, body);
    }
    if (method !== 'POST' || pathname !== OMNI_PATH) {
      return this.replyError(res, `${method} ${path}`, 404, `Requested URL not found: ${pathname}`);
    }

    const failure = this.takeFailure();
    if (failure?.delayMs && failure.acceptFirst) return this.acceptThenHang(req, res, body, failure.delayMs);
    if (await this.applyFailure(res, OMNI, failure)) return;

    if (!this.authorised(req.headers.authorization)) {
      const why = req.headers.authorization === undefined ? 'no Authorization header' : 'wrong API key or scheme';
      return this.replyError(res, `${OMNI} (${why})`, 401);
    }
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json' && !contentType.endsWith('+json')) {
      return this.replyError(res, OMNI, 415, `Content type '${contentType}' not supported`);
    }
    if (body.tooLarge) return this.replyError(res, OMNI, 413);
    if (!body.json.ok) {
      const errors = { body: [`malformed JSON: ${body.json.reason}`] };
      this.recordSchemaRefusal(method, pathname, errors);
      return this.replyError(res, OMNI, 400, undefined, errors);
    }
    const result = validateOmniAdvanced(body.json.value);
    if (!result.ok) {
      this.recordSchemaRefusal(method, pathname, result.errors);
      return this.replyError(res, OMNI, 400, undefined, result.errors);
    }

    const { response, followUp } = this.accept(result.request);
    // Infobip works on the message only after it has answered, so the follow-ups wait.
    res.once('close', followUp);
    this.reply(res, 200, response);
    for (const m of response.messages) {
      this.log(`${OMNI} -> 200 messageId=${m.messageId} to=${addressOf(m.to)}`);
    }
  }

  /** The message is taken: it goes into the logs; `followUp` starts its fetches and reports. */
  private accept(request: OmniAdvancedRequest) {
    const response = sendResponse(request);
    const sentAt = new Date();
    const epoch = this.epoch;
    for (const m of response.messages) {
      this.accepted.push({ messageId: m.messageId, to: addressOf(m.to), sentAt: sentAt.toISOString() });
    }
    return { response, followUp: () => this.startFollowUp(request, response.messages, sentAt, epoch) };
  }

  /** Takes a valid, authorised message, then answers only after `delayMs` (if the caller still waits). */
  private async acceptThenHang(req: IncomingMessage, res: ServerResponse, body: Body, delayMs: number): Promise<void> {
    const result = body.json.ok && this.authorised(req.headers.authorization) ? validateOmniAdvanced(body.json.value) : undefined;
    if (!result?.ok) return this.replyError(res, `${OMNI} (failNext acceptFirst)`, 400);
    const { response, followUp } = this.accept(result.request);
    followUp();
    this.log(`${OMNI} (failNext acceptFirst) took messageId=${response.messages[0]?.messageId}, answering in ${delayMs} ms`);
    await this.sleep(delayMs);
    if (!this.closed && !res.destroyed) this.reply(res, 200, response);
  }

  /**
   * `GET /omni/1/logs?messageId=…`: the messages taken in the last 48 h, newest first, in
   * the shape of OMNI's logs response (api-evangelist/infobip
   * openapi/infobip-omni-failover-openapi.json, "Get OMNI failover message logs").
   */
  private logs(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!this.authorised(req.headers.authorization)) return this.replyError(res, `GET ${LOGS_PATH}`, 401);
    const messageId = new URL(path, 'http://sandbox').searchParams.get('messageId');
    const since = Date.now() - 48 * 3600 * 1000;
    const results = this.accepted
      .filter((m) => (messageId === null || m.messageId === messageId) && Date.parse(m.sentAt) >= since)
      .reverse()
      .slice(0, 50)
      .map((m) => ({
        messageId: m.messageId,
        to: m.to,
        sentAt: infobipTime(new Date(m.sentAt)),
        status: { ...STATUS.PENDING_ENROUTE },
        channel: 'WHATSAPP',
      }));
    this.reply(res, 200, { results });
    this.log(`GET ${LOGS_PATH}${messageId === null ? '' : ` messageId=${messageId}`} -> 200 ${results.length} result(s)`);
  }

  /**
   * `GET /whatsapp/2/senders/{sender}/templates`: the sender's catalogue as TemplatesApiResponse
   * (`{templates: [...]}`), behind the same `App` key; a sender the account does not have is a
   * 404, one of the operation's documented answers.
   */
  private listTemplates(req: IncomingMessage, res: ServerResponse, sender: string): void {
    const what = `GET /whatsapp/2/senders/${sender}/templates`;
    if (!this.authorised(req.headers.authorization)) return this.replyError(res, what, 401);
    const templates = this.templates.get(sender);
    if (templates === undefined) return this.replyError(res, what, 404, `Sender ${sender} not found`);
    this.reply(res, 200, { templates });
    this.log(`${what} -> 200 ${templates.length} template(s)`);
  }

  /** failNext's delay, status or raw body; true when it has answered (or the caller has gone). */
  private async applyFailure(res: ServerResponse, what: string, failure: FailureMode | undefined): Promise<boolean> {
    if (failure?.delayMs) {
      await this.sleep(failure.delayMs);
      if (this.closed || res.destroyed) return true;
    }
    if (failure && (failure.status !== undefined || failure.body !== undefined)) {
      const status = failure.status ?? 200;
      if (failure.body === undefined) {
        this.replyError(res, `${what} (failNext)`, status);
        return true;
      }
      const html = failure.body.trimStart().startsWith('<');
      this.reply(res, status, failure.body, html ? 'text/html;charset=UTF-8' : JSON_TYPE);
      this.log(`${what} (failNext) -> ${status} raw body`);
      return true;
    }
    return false;
  }

  /** The checks every JSON request goes through before its own: type, size, well-formed JSON. */
  private refuseBody(req: IncomingMessage, res: ServerResponse, what: string, body: Body, bodyless: boolean): boolean {
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    if (!bodyless && contentType !== 'application/json' && !contentType.endsWith('+json')) {
      this.replyError(res, what, 415, `Content type '${contentType}' not supported`);
      return true;
    }
    if (body.tooLarge) {
      this.replyError(res, what, 413);
      return true;
    }
    // Mark-as-read has no body; anything else must be JSON.
    if (!bodyless && !body.json.ok) {
      const errors = { body: [`malformed JSON: ${body.json.reason}`] };
      this.recordSchemaRefusal(req.method ?? 'POST', what.replace(/^\S+ /, ''), errors);
      this.replyError(res, what, 400, undefined, errors);
      return true;
    }
    return false;
  }

  private recordSchemaRefusal(method: string, path: string, errors: Record<string, string[]>): void {
    const refusal = { method, path, errors, expected: this.refusalsExpected, at: new Date().toISOString() };
    // Bounded, for a sandbox that runs for days under npm start; a test suite is far below it.
    for (const list of [this.schemaRefusals, schemaRefusals]) {
      list.push(refusal);
      if (list.length > MAX_REFUSALS_KEPT) list.shift();
    }
  }

  /** What the WhatsApp API's routes (./whatsapp/api.ts) use of the sandbox. */
  private whatsAppHost(): WhatsAppHost {
    return {
      log: (line) => this.log(line),
      authorised: (header) => this.authorised(header),
      refuseBody: (req, res, what, body, bodyless) => this.refuseBody(req, res, what, body, bodyless),
      reply: (res, status, body) => this.reply(res, status, body),
      replyError: (res, what, status, text, errors) => this.replyError(res, what, status, text, errors),
      injectFailure: (res, what) => this.applyFailure(res, what, this.takeFailure()),
      senders: () => new Set([this.scenarioSender, ...this.templates.keys()]),
      catalogue: (sender) => this.templates.get(sender) ?? [],
      recordAccepted: (messageId, to, sentAt) => this.accepted.push({ messageId, to, sentAt: sentAt.toISOString() }),
      recordSchemaRefusal: (method, path, errors) => this.recordSchemaRefusal(method, path, errors),
      followUp: (res, work) => {
        const epoch = this.epoch;
        const live = () => this.live(epoch);
        res.once('close', () =>
          this.track(
            (async () => {
              await this.sleep(this.opts.followUpDelayMs ?? 200);
              if (live()) await work(live);
            })(),
          ),
        );
      },
      fetchAndJudge: (url, key, live) => this.fetchAndJudge(url, key, live),
      report: (notifyUrl, result) => {
        const url = notifyUrl ?? this.opts.subscription?.url;
        if (url && this.opts.deliveryReports !== false) this.reports.add(url, result, notifyUrl === undefined);
      },
    };
  }

  private takeFailure(): FailureMode | undefined {
    return takeQueued(this.failures);
  }

  private authorised(header: string | undefined): boolean {
    if (header === undefined) return false;
    // RFC 9110: the scheme is case-insensitive; the key is not.
    const normalised = header.replace(/^app /i, 'App ');
    return timingSafeEqual(sha256(normalised), this.expectedAuth);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.delays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.delays.add(entry);
    });
  }

  private reply(res: ServerResponse, status: number, body: unknown, contentType = JSON_TYPE): void {
    if (res.destroyed) return;
    const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    res.writeHead(status, { 'content-type': contentType, 'content-length': data.length });
    res.end(data);
  }

  private replyError(
    res: ServerResponse,
    what: string,
    status: number,
    text?: string,
    validationErrors?: Record<string, string[]>,
  ): void {
    this.reply(res, status, infobipErrorBody(status, text, validationErrors));
    const detail = validationErrors ? ` ${JSON.stringify(validationErrors)}` : text ? ` ${text}` : '';
    this.log(`${what} -> ${status}${detail}`);
  }

  private startFollowUp(request: OmniAdvancedRequest, messages: SentMessage[], sentAt: Date, epoch: number): void {
    this.track(this.followUp(request, messages, sentAt, epoch));
  }

  private track(work: Promise<void>): void {
    if (this.closed) return;
    const run = work
      .catch((e: unknown) => this.log(`follow-up failed: ${describe(e)}`))
      .finally(() => this.followUps.delete(run));
    this.followUps.add(run);
  }

  private live(epoch: number): boolean {
    return !this.closed && epoch === this.epoch;
  }

  /**
   * Infobip always asks twice: HEAD for the metadata, then GET for the bytes; the file is
   * then judged by its kind's rule (./media.ts). DELIVERED when media fetching is off;
   * undefined when the sandbox was reset or closed meanwhile.
   */
  private async fetchAndJudge(url: string, key: MediaRuleKey, live: () => boolean): Promise<Outcome | undefined> {
    if (this.opts.fetchMedia === false) return DELIVERED;
    const fetches: MediaFetch[] = [];
    for (const method of ['HEAD', 'GET'] as const) {
      const keepHead = key === 'sticker' && method === 'GET';
      const fetched = await fetchMedia(url, method, this.abort.signal, this.opts.mediaTimeoutMs, keepHead);
      if (!live()) return undefined;
      fetches.push(fetched);
      this.mediaFetches.push(fetched);
      this.waiters.notify();
      const answer = fetched.error ?? `${fetched.status}${fetched.bodyBytes === undefined ? '' : ` ${fetched.bodyBytes} bytes`}`;
      this.log(`media ${method} ${url} -> ${answer}`);
    }
    const verdict = judgeMedia(key, fetches);
    if (verdict.reason) this.log(`media ${url} refused (${verdict.outcome.error.name}): ${verdict.reason}`);
    return verdict.outcome;
  }

  private async followUp(request: OmniAdvancedRequest, messages: SentMessage[], sentAt: Date, epoch: number) {
    await this.sleep(this.opts.followUpDelayMs ?? 200);
    if (!this.live(epoch)) return;
    let outcome = DELIVERED;
    // WhatsApp judges a template by the scenario sender's catalogue; one it refuses is never
    // sent, so its header's file is not fetched either.
    const refusal =
      request.whatsApp.templateName === undefined
        ? undefined
        : judgeTemplate(this.templates.get(this.scenarioSender) ?? [], request.whatsApp);
    if (refusal) {
      outcome = undelivered(refusal.error);
      this.log(`template refused (${refusal.error.name}): ${refusal.reason}`);
    }
    const media = refusal ? undefined : (mediaUrlOf(request.whatsApp) ?? templateMediaOf(request.whatsApp));
    if (media) {
      const judged = await this.fetchAndJudge(media.url, media.key, () => this.live(epoch));
      if (judged === undefined) return;
      outcome = judged;
    }
    // A request's notifyUrl gets its reports with no credentials at all: a Subscriptions
    // profile's apply only "when no webhook is specified in the request" (OMNI's `notify`,
    // api-evangelist/infobip openapi/infobip-omni-failover-openapi.json). Without one, the
    // subscription's URL gets them, signed with the configured credentials.
    const reportsUrl = request.notifyUrl ?? this.opts.subscription?.url;
    if (reportsUrl && this.opts.deliveryReports !== false) {
      const doneAt = new Date();
      for (const m of messages) {
        const result = deliveryResult({
          messageId: m.messageId,
          to: addressOf(m.to),
          bulkId: request.bulkId,
          callbackData: request.callbackData,
          sentAt,
          doneAt,
          outcome,
        });
        this.reports.add(reportsUrl, result, request.notifyUrl === undefined);
      }
    }
  }
}

export async function startInfobipSandbox(opts: SandboxOptions): Promise<InfobipSandbox> {
  const sandbox = new Sandbox(opts);
  await sandbox.listen();
  return sandbox;
}
