import { startSendLocation } from '../lib/messages/location';

export const handler = startSendLocation();
