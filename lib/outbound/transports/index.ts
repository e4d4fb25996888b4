import type { InfobipConfig, TransportName } from '../../platform/config';
import { BadRequestError } from '../../platform/errors';
import type { TaggedLogger } from '../../platform/log';
import {
  resolveSettings,
  type InfobipCall,
  type InfobipClient,
  type InfobipSettings,
  type infobipSettingsSchema,
} from '../infobip';
import type { InfobipLookup } from '../idempotency';
import type { MessageKind, MessageOf } from '../message';
import type * as z from '../../platform/schema';
import type { Envelope } from './envelope';
import { omniCall, type OmniMapping } from './omni';

export type { Envelope } from './envelope';
export type { OmniMapping } from './omni';

/**
 * The seam between what a route sends (lib/outbound/message.ts) and the Infobip API that
 * carries it. A transport builds the request and reads the answer (`call`), and says how an
 * unknown outcome is looked up (`lookup`); idempotency, the 24-hour window, notifyUrl, the
 * REJECTED handling, the runbook lines and the metrics stay in the shared path
 * (lib/outbound/send.ts, lib/outbound/infobip.ts), the same for every transport.
 */
export interface Transport {
  /** `toOmni`: the message kind's OMNI mapping, which the route hands over (lib/outbound/transports/omni.ts). */
  call<K extends MessageKind>(
    message: MessageOf<K>,
    toOmni: OmniMapping<K>,
    envelope: Envelope,
    settings: InfobipSettings,
  ): Promise<InfobipCall>;
  /** Whether Infobip has a message it may have taken, or undefined where the API offers no way to ask. */
  lookup?: (client: InfobipClient, settings: InfobipSettings, messageId: string, log: TaggedLogger) => Promise<InfobipLookup>;
}

export const TRANSPORT: Readonly<Record<TransportName, Transport>> = {
  omni: {
    call: async (message, toOmni, envelope, settings) => omniCall(message, toOmni, envelope, settings),
    // OMNI's message logs (`GET /omni/1/logs?messageId=`).
    lookup: (client, settings, messageId, log) => client.findMessage(settings, messageId, log),
  },
  // Infobip's published WhatsApp API has no operation that finds a sent message by its id
  // (its paths send, mark as read, serve inbound media and manage templates, senders and
  // flows): an unknown outcome is settled by a delivery or seen report, else by the grace period.
  // Loaded on its first use: a send function on the OMNI default never parses it at init.
  whatsapp: {
    call: async (message, _toOmni, envelope, settings) => (await import('./whatsapp')).whatsAppCall(message, envelope, settings),
  },
};

/** What a route sends: its kind, and that kind's OMNI mapping (undefined where OMNI cannot carry it). */
export type RouteMessage = { [K in MessageKind]: { kind: K; toOmni: OmniMapping<K> } }[MessageKind];

export interface Route {
  transport: TransportName;
  settings: InfobipSettings;
}

type SettingsInput = z.infer<typeof infobipSettingsSchema>;

/**
 * The API a message goes through: the request's `infobip.transport`, else INFOBIP_TRANSPORT;
 * a message OMNI cannot carry (a sticker, a quote: `replyTo`) goes through the WhatsApp API
 * whatever the default, so that nothing the agent asked for is silently dropped. Refused
 * with a 400 before anything is sent when the settings that API needs are missing (the
 * WhatsApp API's business number) or the request insists on OMNI for what OMNI cannot carry.
 * `toOmni` is the kind's OMNI mapping, undefined for a kind OMNI cannot carry.
 */
export function routeOf<K extends MessageKind>(
  common: { infobip?: SettingsInput; replyTo?: string },
  config: InfobipConfig,
  kind: K,
  toOmni: OmniMapping<K>,
): Route {
  const requested = common.infobip?.transport;
  const omniCannot =
    toOmni === undefined
      ? `OMNI cannot send a ${kind}`
      : common.replyTo !== undefined
        ? 'OMNI cannot quote a message (replyTo)'
        : undefined;
  if (requested === 'omni' && omniCannot !== undefined) {
    throw new BadRequestError(
      'TRANSPORT_CANNOT_CARRY',
      `${omniCannot}: leave infobip.transport out (or set it to whatsapp) to send this through Infobip's WhatsApp API`,
    );
  }
  const transport: TransportName = requested ?? (omniCannot === undefined ? (config.transport ?? 'omni') : 'whatsapp');
  return { transport, settings: resolveSettings(common.infobip, config, transport) };
}
