import { startMediaSend } from '../lib/mediaSendRuntime';

/** `POST /imchannel/sendWhatsAppAudioMessage` (CONTRACT section 3). */
export const handler = startMediaSend('audio');
