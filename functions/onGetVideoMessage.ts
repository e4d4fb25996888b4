import { startMediaFetch } from '../lib/mediaFetchRuntime';

/** `GET|HEAD /imchannel/getVideoMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('video');
