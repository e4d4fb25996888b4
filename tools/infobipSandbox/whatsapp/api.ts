/**
 * The WhatsApp API beside OMNI in the sandbox (`/whatsapp/1/...`), as Infobip's published
 * OpenAPI specification (v3.210.0), `infobip-whatsapp-openapi.json`, defines it: the sends,
 * the typing indicator and mark-as-read, behind the same API key, failure injection and
 * recording as OMNI (./../server.ts owns those and hands them over as `WhatsAppHost`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DELIVERED, undelivered, type Outcome } from '../codes';
import type { Body } from '../http';
import type { MediaRuleKey } from '../media';
import { judgeTemplate, type SandboxTemplate } from '../templates';
import { EVENT_REQUEST, type EventRequest } from './events';
import { buttonsProse, choicesOf, INTERACTIVE, listProse, type Choice, type InteractiveKind } from './interactive';
import { checkRecipient, FREE_FORM, type FreeFormKind } from './messages';
import { apiError, eventAccepted, singleMessageInfo, whatsAppDeliveryReport, type SingleMessageInfo } from './payloads';
import { validate, type Schema, type ValidationErrors } from './schema';
import { asOmniTemplate, BULK_MESSAGE, templateMediaOf, templateProse, type TemplateMessage } from './template';

export interface WhatsAppHost {
  log(line: string): void;
  authorised(header: string | undefined): boolean;
  /** Content type, size and JSON, answered as on the OMNI path; true when it has refused. */
  refuseBody(req: IncomingMessage, res: ServerResponse, what: string, body: Body, bodyless: boolean): boolean;
  reply(res: ServerResponse, status: number, body: unknown): void;
  replyError(res: ServerResponse, what: string, status: number, text?: string, errors?: ValidationErrors): void;
  /** failNext: true when it has answered the request itself. */
  injectFailure(res: ServerResponse, what: string): Promise<boolean>;
  /** The business numbers the account has: the scenario sender and every sender with a catalogue. */
  senders(): ReadonlySet<string>;
  catalogue(sender: string): readonly SandboxTemplate[];
  recordAccepted(messageId: string, to: string, sentAt: Date): void;
  recordSchemaRefusal(method: string, path: string, errors: ValidationErrors): void;
  /** Runs `work` after the follow-up delay, once the answer has left, unless reset or closed. */
  followUp(res: ServerResponse, work: (live: () => boolean) => Promise<void>): void;
  /** HEAD then GET of the file, judged by the kind's rule; undefined when the sandbox moved on. */
  fetchAndJudge(url: string, key: MediaRuleKey, live: () => boolean): Promise<Outcome | undefined>;
  report(notifyUrl: string | undefined, result: Record<string, unknown>): void;
}

/** A WhatsApp API message the sandbox took, for `GET /sandbox/messages/{messageId}`. */
export interface WhatsAppMessage {
  messageId: string;
  kind: string;
  from: string;
  to: string;
  choices: Choice[];
}

export interface MarkAsRead {
  sender: string;
  messageId: string;
  at: string;
}

interface SendBody {
  from: string;
  to: string;
  messageId?: string;
  notifyUrl?: string;
  content: Record<string, unknown> & { mediaUrl?: string; header?: { mediaUrl?: string; type: string } };
}

const SEND = /^\/whatsapp\/1\/message\/(?:(interactive)\/)?([a-z-]+)$/;
const READ = /^\/whatsapp\/1\/senders\/([^/]+)\/message\/([^/]+)\/read$/;
const EVENTS = '/whatsapp/1/events';
const REMEMBERED_MAX = 10_000;
const HEADER_RULE: Record<string, MediaRuleKey> = { IMAGE: 'imageUrl', VIDEO: 'videoUrl', DOCUMENT: 'fileUrl' };
/** The WhatsApp API's kinds judged by OMNI's rules (../media.ts), and its own two. */
const CONTENT_RULE: Partial<Record<FreeFormKind, MediaRuleKey>> = {
  image: 'imageUrl',
  document: 'fileUrl',
  video: 'videoUrl',
  audio: 'audio',
  sticker: 'sticker',
};

export class WhatsAppApi {
  readonly marksAsRead: MarkAsRead[] = [];
  private readonly messages = new Map<string, WhatsAppMessage>();
  private readonly inbound = new Set<string>();

  constructor(private readonly host: WhatsAppHost) {}

  /** True for the paths this module answers (anything else under /whatsapp/1 is OMNI's 404). */
  owns(method: string, pathname: string): boolean {
    return method === 'POST' && (SEND.test(pathname) || READ.test(pathname) || pathname === EVENTS);
  }

  reset(): void {
    this.marksAsRead.length = 0;
    this.messages.clear();
    this.inbound.clear();
  }

  message(messageId: string): WhatsAppMessage | undefined {
    return this.messages.get(messageId);
  }

  /** An inbound message the customer sent (or `simulate` played): mark-as-read accepts its id. */
  rememberInbound(messageId: string): void {
    this.inbound.add(messageId);
    if (this.inbound.size > REMEMBERED_MAX) this.inbound.delete(this.inbound.values().next().value as string);
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, body: Body): Promise<void> {
    const what = `POST ${pathname}`;
    if (await this.host.injectFailure(res, what)) return;
    const read = READ.exec(pathname);
    if (!this.host.authorised(req.headers.authorization)) {
      if (pathname === EVENTS) {
        this.host.reply(res, 401, apiError(401));
        return this.host.log(`${what} -> 401`);
      }
      return this.host.replyError(res, what, 401);
    }
    if (this.host.refuseBody(req, res, what, body, read !== null)) return;
    const json = body.json.ok ? body.json.value : undefined;
    if (read) return this.markAsRead(res, read[1]!, read[2]!);
    if (pathname === EVENTS) return this.events(res, json);
    const [, interactive, kind] = SEND.exec(pathname)!;
    if (interactive) {
      if (!(kind! in INTERACTIVE)) return this.host.replyError(res, what, 404, `Requested URL not found: ${pathname}`);
      const prose = kind === 'list' ? listProse : kind === 'buttons' ? buttonsProse : undefined;
      return this.send(res, pathname, `interactive ${kind}`, INTERACTIVE[kind as InteractiveKind], json, prose);
    }
    if (kind === 'template') return this.template(res, pathname, json);
    if (!(kind! in FREE_FORM)) return this.host.replyError(res, what, 404, `Requested URL not found: ${pathname}`);
    return this.send(res, pathname, kind!, FREE_FORM[kind as FreeFormKind], json);
  }

  /** A request its schema refuses: Infobip's 400 `ApiException`, recorded for the conformance check. */
  private refuse(res: ServerResponse, pathname: string, errors: ValidationErrors): void {
    this.host.recordSchemaRefusal('POST', pathname, errors);
    this.host.replyError(res, `POST ${pathname}`, 400, undefined, errors);
  }

  /**
   * A `from` the account does not have. The spec documents no answer for it (only that
   * `from` is "the sender's number"); Infobip answers a sender outside the account with a
   * 400, given here as its `ApiException` with the field named, like any refused field.
   */
  private unknownSender(from: string, field: string): ValidationErrors | undefined {
    if (this.host.senders().has(from)) return undefined;
    return { [field]: [`is not a WhatsApp sender of this account: ${from}`] };
  }

  private send(
    res: ServerResponse,
    pathname: string,
    kind: string,
    schema: Schema,
    json: unknown,
    prose?: (body: Record<string, unknown>, add: (f: string, m: string) => void) => void,
  ): void {
    const errors = validate(json, schema, (b, add) => {
      checkRecipient((b as unknown as SendBody).to, 'to', add);
      prose?.(b, add);
    });
    if (errors) return this.refuse(res, pathname, errors);
    const body = json as SendBody;
    const wrongSender = this.unknownSender(body.from, 'from');
    if (wrongSender) return this.host.replyError(res, `POST ${pathname}`, 400, undefined, wrongSender);
    const info = singleMessageInfo(body.to, body.messageId);
    const sentAt = new Date();
    this.host.recordAccepted(info.messageId, body.to, sentAt);
    const [, interactiveKind] = /^interactive (.+)$/.exec(kind) ?? [];
    this.remember({
      messageId: info.messageId,
      kind,
      from: body.from,
      to: body.to,
      choices: interactiveKind ? choicesOf(interactiveKind as InteractiveKind, body) : [],
    });
    const media = CONTENT_RULE[kind as FreeFormKind];
    const url = media ? body.content.mediaUrl : body.content.header?.mediaUrl;
    const rule = media ?? HEADER_RULE[body.content.header?.type ?? ''];
    this.host.followUp(res, async (live) => {
      const outcome = url && rule ? await this.host.fetchAndJudge(url, rule, live) : DELIVERED;
      if (outcome === undefined || !live()) return;
      this.host.report(body.notifyUrl, whatsAppDeliveryReport({ ...ids(info), sentAt, doneAt: new Date(), outcome }));
    });
    this.host.reply(res, 200, info);
    this.host.log(`POST ${pathname} -> 200 messageId=${info.messageId} to=${info.to}`);
  }

  private template(res: ServerResponse, pathname: string, json: unknown): void {
    const errors = validate(json, BULK_MESSAGE, templateProse);
    if (errors) return this.refuse(res, pathname, errors);
    const { messages, bulkId: given } = json as { messages: TemplateMessage[]; bulkId?: string };
    const wrongSenders = messages
      .map((m, i) => this.unknownSender(m.from, `messages[${i}].from`))
      .filter((e): e is ValidationErrors => e !== undefined);
    if (wrongSenders.length > 0) {
      return this.host.replyError(res, `POST ${pathname}`, 400, undefined, Object.assign({}, ...wrongSenders));
    }
    const bulkId = given || randomUUID();
    const sentAt = new Date();
    const infos = messages.map((m) => singleMessageInfo(m.to, m.messageId));
    infos.forEach((info, i) => {
      this.host.recordAccepted(info.messageId, info.to, sentAt);
      this.remember({ messageId: info.messageId, kind: 'template', from: messages[i]!.from, to: info.to, choices: [] });
    });
    this.host.followUp(res, async (live) => {
      for (const [i, m] of messages.entries()) {
        // As on the OMNI path: a template WhatsApp refuses is never sent, so its file is not fetched.
        const refusal = judgeTemplate(this.host.catalogue(m.from), asOmniTemplate(m));
        if (refusal) this.host.log(`template refused (${refusal.error.name}): ${refusal.reason}`);
        const media = refusal ? undefined : templateMediaOf(m);
        const outcome = refusal
          ? undelivered(refusal.error)
          : media
            ? await this.host.fetchAndJudge(media.url, HEADER_RULE[media.kind.toUpperCase()]!, live)
            : DELIVERED;
        if (outcome === undefined || !live()) return;
        const info = infos[i]!;
        this.host.report(m.notifyUrl, whatsAppDeliveryReport({ ...ids(info), bulkId, sentAt, doneAt: new Date(), outcome }));
      }
    });
    this.host.reply(res, 200, { messages: infos, bulkId });
    for (const info of infos) this.host.log(`POST ${pathname} -> 200 messageId=${info.messageId} to=${info.to}`);
  }

  /**
   * `POST /whatsapp/1/senders/{sender}/message/{messageId}/read`: 204, or the documented 400
   * `MarkAsReadErrorResponse` (`{"error": …}`) for a sender the account does not have or a
   * message it never received. Both path parameters are percent-decoded: WhatsApp ids hold
   * `=`, `+` and `/`, which a client must encode.
   */
  private markAsRead(res: ServerResponse, rawSender: string, rawMessageId: string): void {
    const what = `POST /whatsapp/1/senders/${rawSender}/message/…/read`;
    let sender: string;
    let messageId: string;
    try {
      sender = decodeURIComponent(rawSender);
      messageId = decodeURIComponent(rawMessageId);
    } catch {
      this.host.reply(res, 400, { error: 'Malformed percent-encoding in the path' });
      return this.host.log(`${what} -> 400 malformed percent-encoding`);
    }
    const error = !this.host.senders().has(sender)
      ? `Sender ${sender} is not a WhatsApp sender of this account`
      : !this.inbound.has(messageId)
        ? `Message ${messageId} was not received by sender ${sender}`
        : undefined;
    if (error) {
      this.host.reply(res, 400, { error });
      return this.host.log(`${what} -> 400 ${error}`);
    }
    this.marksAsRead.push({ sender, messageId, at: new Date().toISOString() });
    res.writeHead(204).end();
    this.host.log(`POST /whatsapp/1/senders/${sender}/message/${messageId}/read -> 204`);
  }

  /** `POST /whatsapp/1/events`: typing indicators, answered 200 with one entry per event. */
  private events(res: ServerResponse, json: unknown): void {
    const errors = validate(json, EVENT_REQUEST);
    const body = json as EventRequest;
    const wrongSenders = errors
      ? []
      : body.events.flatMap((e, i) =>
          this.host.senders().has(e.sender)
            ? []
            : [{ property: `events[${i}].sender`, violation: `is not a WhatsApp sender of this account: ${e.sender}` }],
        );
    if (errors) this.host.recordSchemaRefusal('POST', EVENTS, errors);
    if (errors || wrongSenders.length > 0) {
      const violations = errors
        ? Object.entries(errors).flatMap(([property, list]) => list.map((violation) => ({ property, violation })))
        : wrongSenders;
      this.host.reply(res, 400, apiError(400, violations));
      return this.host.log(`POST ${EVENTS} -> 400 ${JSON.stringify(violations)}`);
    }
    const messages = body.events.map((e) => eventAccepted(e.destinations[0]!.to));
    this.host.reply(res, 200, { bulkId: body.options?.schedule?.bulkId ?? randomUUID(), messages });
    this.host.log(`POST ${EVENTS} -> 200 ${messages.map((m) => `typing to=${m.destination}`).join(', ')}`);
  }

  private remember(message: WhatsAppMessage): void {
    this.messages.set(message.messageId, message);
    if (this.messages.size > REMEMBERED_MAX) this.messages.delete(this.messages.keys().next().value as string);
  }
}

const ids = (info: SingleMessageInfo) => ({ messageId: info.messageId, to: info.to });
