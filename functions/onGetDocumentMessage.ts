import { startMediaFetch } from '../lib/mediaFetchRuntime';

/** `GET|HEAD /imchannel/getDocumentMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('document');
