import { startSendMessage } from '../lib/outbound/sendMessage';

export const handler = startSendMessage();
