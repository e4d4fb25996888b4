import { startWebhook } from '../lib/inbound/webhook';
import { inboundMediaStepFromConfig } from '../lib/inboundMedia/step';

export const handler = startWebhook('onMessage', inboundMediaStepFromConfig);
