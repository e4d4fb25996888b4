import { startMarkAsRead } from '../lib/signals/markAsRead';

export const handler = startMarkAsRead();
