import { startSendList } from '../lib/messages/list';

export const handler = startSendList();
