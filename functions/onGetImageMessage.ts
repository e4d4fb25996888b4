import { startMediaFetch } from '../lib/mediaRuntime';

/** `GET|HEAD /imchannel/getImageMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('image');
