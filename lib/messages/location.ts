import * as z from '../platform/schema';
import { freeFormFields } from '../outbound/send';
import type { MessageOf } from '../outbound/message';
import { omniLocation } from '../outbound/transports/omni';
import { makeSimpleSendHandler, startSendRoute, type SendMessageDeps } from './text';

export const LOCATION_TAG = 'sendWhatsAppLocationMessage';

/**
 * Limits of OMNI's WhatsAppData (api-evangelist/infobip, openapi/infobip-omni-failover-openapi.json):
 * `latitude` -90..90, `longitude` -180..180, `locationName` and `address` at most 1000
 * characters each. The WhatsApp channel's LocationContent (openapi/infobip-whatsapp-openapi.json)
 * has the same ones and requires both coordinates.
 */
export const LOCATION_TEXT_MAX = 1000;

const coordinate = (max: number, what: string) =>
  z
    .number(`must be a number (${what} in decimal degrees, not a string)`)
    .check(z.gte(-max, `must be between -${max} and ${max}`), z.lte(max, `must be between -${max} and ${max}`));

const locationText = z
  .string()
  .check(
    z.minLength(1, 'must not be empty: leave the field out instead'),
    z.maxLength(LOCATION_TEXT_MAX, `must be at most ${LOCATION_TEXT_MAX} characters`),
  );

export const locationSendSchema = z.object({
  ...freeFormFields,
  latitude: coordinate(90, 'the latitude'),
  longitude: coordinate(180, 'the longitude'),
  /** Sent to Infobip as `locationName`. */
  name: z.optional(locationText),
  address: z.optional(locationText),
});
export type LocationSend = z.infer<typeof locationSendSchema>;

export const locationMessage = (body: LocationSend): MessageOf<'location'> => ({
  kind: 'location',
  latitude: body.latitude,
  longitude: body.longitude,
  ...(body.name === undefined ? {} : { name: body.name }),
  ...(body.address === undefined ? {} : { address: body.address }),
});

/** `POST /imchannel/sendWhatsAppLocationMessage` a pin on the map, with an optional name and address. */
export const makeSendLocationHandler = (deps: SendMessageDeps) =>
  makeSimpleSendHandler(deps, locationSendSchema, 'location', omniLocation, locationMessage);

/** Production wiring, once per cold start. */
export function startSendLocation() {
  return startSendRoute(LOCATION_TAG, makeSendLocationHandler);
}
