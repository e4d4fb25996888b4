import { startMediaSend } from '../lib/mediaRuntime';

/** `POST /imchannel/sendWhatsAppImageMessage` (CONTRACT section 3). */
export const handler = startMediaSend('image');
