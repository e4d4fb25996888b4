import { startMediaSend } from '../lib/mediaRuntime';

/** `POST /imchannel/sendWhatsAppDocumentMessage` (CONTRACT section 3). */
export const handler = startMediaSend('document');
