import { readInboundMediaConfig, readInboundMediaCopier, type InboundMediaConfig } from '../platform/config';
import { startWebhook, type InboundMediaStep } from '../inbound/webhook';
import { createCopyTrigger } from './trigger';
import { compact, type CtliveEvent, type CtliveMessageEvent, type CtliveMessagePart } from '../inbound/events';
import { linksOf, sourceOf } from './reference';

/**
 * The webhook's one step for customers' files: their message event names IMChannel's URLs
 * instead of Infobip's, and each file is handed to the copier before the event goes to
 * ctlive. The copy itself runs elsewhere (copyInboundMedia), never inside the webhook.
 */

/** What the copier is asked to do for one file (the payload of its asynchronous invoke). */
export interface CopyRequest {
  /** IMChannel's id of the file (lib/inboundMedia/reference.ts); unset when Infobip's URL cannot be copied. */
  id?: string;
  /** Infobip's URL, as the webhook gave it. */
  sourceUrl: string;
  /** The message part's type (IMAGE, DOCUMENT, AUDIO, VOICE, VIDEO, STICKER, …): it sets the size limit. */
  type: string;
  messageId: string;
  /** The message's Infobip account (lib/platform/account.ts), whose claim the copy waits for; unset: the deployment's own. */
  account?: string;
  from?: string;
  to?: string;
  /** When the webhook asked, ISO 8601: the age of the oldest pending copy is measured from it. */
  requestedAt: string;
}

/** Hands copy requests to the copier; throws when it could not take them. */
export interface CopyTrigger {
  request(requests: readonly CopyRequest[]): Promise<void>;
}

/** onMessage's step, when the deployment copies inbound files (INBOUND_MEDIA_COPIER); read once per cold start. */
export function inboundMediaStepFromConfig(): InboundMediaStep | undefined {
  const copier = readInboundMediaCopier();
  return copier && createInboundMediaStep(readInboundMediaConfig(), createCopyTrigger(copier));
}

export function createInboundMediaStep(config: InboundMediaConfig, trigger: CopyTrigger): InboundMediaStep {
  const pending = new WeakMap<CtliveEvent, CopyRequest[]>();
  return {
    annotate(event, account) {
      if (event.event !== 'message') return event;
      const requests: CopyRequest[] = [];
      const withLinks = (part: CtliveMessagePart): CtliveMessagePart => {
        const sourceUrl = part.media?.url;
        if (sourceUrl === undefined || part.media === undefined) return part;
        const source = sourceOf(sourceUrl, config.allowedHosts);
        const base = { sourceUrl, type: (part.type ?? 'DOCUMENT').toUpperCase(), ...requestOf(event, account) };
        if (typeof source === 'string') {
          // Not copyable (not Infobip's media path, or a host the key must not go to): the
          // copier says so to ctlive in a mediaFailed event, and ctlive keeps Infobip's URL.
          requests.push(base);
          return { ...part, media: compact({ sourceUrl, caption: part.media.caption }) };
        }
        requests.push({ ...base, id: source.id });
        return { ...part, media: compact({ ...linksOf(config, source.id), sourceUrl, caption: part.media.caption }) };
      };
      const annotated = withLinks(event) as CtliveMessageEvent;
      if (event.parts !== undefined) annotated.parts = event.parts.map(withLinks);
      // The first part is also at the top: its file is asked for once.
      const distinct = requests.filter((r, i) => requests.findIndex((o) => o.sourceUrl === r.sourceUrl) === i);
      if (distinct.length > 0) pending.set(annotated, distinct);
      return annotated;
    },
    async beforeForward(event) {
      const requests = pending.get(event);
      if (requests !== undefined) await trigger.request(requests);
    },
  };
}

const requestOf = (event: CtliveMessageEvent, account: string | undefined) => ({
  messageId: event.messageId,
  ...(account === undefined ? {} : { account }),
  from: event.from,
  to: event.to,
  requestedAt: new Date().toISOString(),
});

/** Production wiring of onMessage with its step for customers' files, once per cold start. */
export const startOnMessage = () => startWebhook('onMessage', inboundMediaStepFromConfig);
