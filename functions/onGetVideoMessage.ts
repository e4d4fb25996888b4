import { startMediaFetch } from '../lib/mediaRuntime';

/** `GET|HEAD /imchannel/getVideoMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('video');
