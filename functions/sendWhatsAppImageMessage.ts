import { startMediaSend } from '../lib/mediaSendRuntime';

/** `POST /imchannel/sendWhatsAppImageMessage` (CONTRACT section 3). */
export const handler = startMediaSend('image');
