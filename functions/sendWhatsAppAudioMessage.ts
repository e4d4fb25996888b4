import { startMediaSend } from '../lib/mediaRuntime';

/** `POST /imchannel/sendWhatsAppAudioMessage` (CONTRACT section 3). */
export const handler = startMediaSend('audio');
