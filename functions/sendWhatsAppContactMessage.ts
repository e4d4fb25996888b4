import { startSendContact } from '../lib/messages/contact';

export const handler = startSendContact();
