import { startMediaFetch } from '../lib/mediaFetchRuntime';

/** `GET|HEAD /imchannel/getAudioMessage/{id}` (CONTRACT section 4). */
export const handler = startMediaFetch('audio');
