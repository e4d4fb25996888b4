import { startMediaFetch } from '../lib/mediaRuntime';

/** `GET|HEAD /imchannel/getDocumentMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('document');
