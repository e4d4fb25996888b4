import { startCtliveSink } from '../lib/inbound/sink';

export const handler = startCtliveSink();
