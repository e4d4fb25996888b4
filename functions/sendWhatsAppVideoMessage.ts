import { startMediaSend } from '../lib/mediaRuntime';

/** `POST /imchannel/sendWhatsAppVideoMessage` (CONTRACT section 3). */
export const handler = startMediaSend('video');
