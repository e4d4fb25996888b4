import { startMediaFetch } from '../lib/mediaFetchRuntime';

/** `GET|HEAD /imchannel/getImageMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('image');
