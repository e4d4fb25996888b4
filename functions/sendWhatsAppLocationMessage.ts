import { startSendLocation } from '../lib/outbound/sendWhatsAppLocationMessage';

export const handler = startSendLocation();
