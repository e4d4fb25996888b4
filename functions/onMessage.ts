import { coldStart } from '../lib/runtime';
import { WEBHOOK_SECRETS } from '../lib/secrets';
import { makeOnMessageHandler, wireWebhookDeps } from '../lib/webhook';

export const handler = coldStart('onMessage', (start) => makeOnMessageHandler(wireWebhookDeps(start)), {
  secrets: WEBHOOK_SECRETS,
});
