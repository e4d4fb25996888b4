import { coldStart } from '../lib/runtime';
import { makeOnDeliveryReportHandler, wireWebhookDeps } from '../lib/webhook';

export const handler = coldStart('onDeliveryReport', (start) => makeOnDeliveryReportHandler(wireWebhookDeps(start)));
