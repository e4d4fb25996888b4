import { startSendContact } from '../lib/outbound/sendWhatsAppContactMessage';

export const handler = startSendContact();
