import { startSendMessage } from '../lib/messages/text';

export const handler = startSendMessage();
