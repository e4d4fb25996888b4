import { coldStart } from '../lib/runtime';
import { WEBHOOK_SECRETS } from '../lib/secrets';
import { makeOnDeliveryReportHandler, wireWebhookDeps } from '../lib/webhook';

export const handler = coldStart('onDeliveryReport', (start) => makeOnDeliveryReportHandler(wireWebhookDeps(start)), {
  secrets: WEBHOOK_SECRETS,
});
