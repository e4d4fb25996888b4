import { startMediaSend } from '../lib/mediaSendRuntime';

/** `POST /imchannel/sendWhatsAppVideoMessage` (CONTRACT section 3). */
export const handler = startMediaSend('video');
