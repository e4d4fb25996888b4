import { startWebhook } from '../lib/inbound/webhook';

export const handler = startWebhook('onDeliveryReport');
