import { startMediaFetch } from '../lib/mediaRuntime';

/** `GET|HEAD /imchannel/getAudioMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('audio');
