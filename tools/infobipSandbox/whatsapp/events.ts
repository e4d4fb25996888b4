/**
 * `POST /whatsapp/1/events`: `WhatsAppEventRequest` of Infobip's published OpenAPI
 * specification (v3.210.0), `infobip-whatsapp-openapi.json`. The only event is the typing
 * indicator (`WhatsAppOutboundEventTypingIndicatorContent`, whose deprecated `messageId`
 * Infobip fills itself); each event goes to exactly one destination.
 */
import { arr, byType, int, obj, oneOf, str } from './schema';

export const EVENT_REQUEST = obj(
  {
    events: arr(
      obj(
        {
          sender: str(),
          destinations: arr(obj({ to: str(), messageId: str(0, 200) }, ['to']), 1, 1),
          content: byType({ TYPING_INDICATOR: obj({ messageId: str() }) }),
          // `WhatsAppEventOptions`
          options: obj({
            platform: obj({ entityId: str(0, 255), applicationId: str(0, 255) }),
            validityPeriod: obj({ amount: int(), timeUnit: oneOf('SECONDS', 'MINUTES') }, ['amount']),
          }),
        },
        ['content', 'destinations', 'sender'],
      ),
    ),
    // `DefaultEventRequestOptions`
    options: obj({
      schedule: obj({
        bulkId: str(0, 100),
        sendAt: str(),
        sendingSpeedLimit: obj({ amount: int(), timeUnit: oneOf('MINUTE', 'HOUR', 'DAY') }, ['amount']),
      }),
    }),
  },
  ['events'],
);

export interface EventRequest {
  events: { sender: string; destinations: { to: string }[] }[];
  options?: { schedule?: { bulkId?: string } };
}
