import { startMediaSend } from '../lib/mediaSendRuntime';

/** `POST /imchannel/sendWhatsAppDocumentMessage` (CONTRACT section 3). */
export const handler = startMediaSend('document');
