import { startOnMessage } from '../lib/inboundMedia/step';

export const handler = startOnMessage();
