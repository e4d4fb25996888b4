import { startServeInboundMedia } from '../lib/inboundMedia/functions';

export const handler = startServeInboundMedia();
