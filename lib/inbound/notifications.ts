import { createHash } from 'node:crypto';
import { compact, nonEmpty, type CtliveEvent, type CtliveIdentityChangedEvent } from './events';
import { TYPING_EVENTS, parseWebhookBody, type IdentityChange, type RawResult } from './schemas';

/**
 * From a webhook body to the events ctlive receives, and what is acknowledged without
 * being forwarded (docs/api.md, "What reaches ctlive"): Messages API typing indicators
 * and the WhatsApp notifications IMChannel has no use for. Every body Infobip documents
 * is answered 200 this way, so none is retried forever.
 */
export interface WebhookEvents {
  events: CtliveEvent[];
  /** One line per result or body acknowledged but not forwarded, for the INFO log. */
  notForwarded: string[];
}

/**
 * Exactly-once needs an id that a retry repeats and a new change does not: the identity
 * hash is new with every change. A notification without one is keyed on its content.
 */
function identityChangeId({ from, createdAt, content }: IdentityChange): string {
  const who = content.userNumber ?? content.userId ?? from ?? 'unknown';
  const what =
    content.hash ??
    createHash('sha256')
      .update(JSON.stringify([from, createdAt, content]))
      .digest('base64url')
      .slice(0, 22);
  return `${who}:${what}`;
}

export function toIdentityChangedEvent(notification: IdentityChange, raw: RawResult): CtliveIdentityChangedEvent {
  const { content } = notification;
  return compact<CtliveIdentityChangedEvent>({
    event: 'identityChanged',
    channel: 'WHATSAPP',
    messageId: identityChangeId(notification),
    from: content.userNumber,
    to: notification.from,
    identity: nonEmpty(compact({ phoneNumber: content.userNumber, userId: content.userId })),
    identityHash: content.hash,
    description: content.description,
    changedAt: notification.createdAt,
    raw,
  });
}

export function webhookEvents(body: unknown, toEvent: (raw: RawResult) => CtliveEvent): WebhookEvents {
  const parsed = parseWebhookBody(body);
  if (parsed.kind === 'identityChange') {
    return { events: [toIdentityChangedEvent(parsed.notification, parsed.raw)], notForwarded: [] };
  }
  if (parsed.kind === 'notForwarded') {
    return { events: [], notForwarded: [`${parsed.what}: acknowledged, not forwarded to ctlive`] };
  }
  const events: CtliveEvent[] = [];
  const notForwarded: string[] = [];
  for (const result of parsed.results) {
    const event = typeof result.event === 'string' ? result.event.toUpperCase() : undefined;
    if (event !== undefined && TYPING_EVENTS.has(event)) {
      notForwarded.push(`${event} for messageId [${String(result.messageId)}]: a typing indicator, not forwarded to ctlive`);
    } else {
      events.push(toEvent(result));
    }
  }
  return { events, notForwarded };
}
