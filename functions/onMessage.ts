import { coldStart } from '../lib/runtime';
import { makeOnMessageHandler, wireWebhookDeps } from '../lib/webhook';

export const handler = coldStart('onMessage', (start) => makeOnMessageHandler(wireWebhookDeps(start)));
