import { startCopyInboundMedia } from '../lib/inboundMedia/functions';

export const handler = startCopyInboundMedia();
