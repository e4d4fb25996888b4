import { startSendTemplate } from '../lib/templates/send';

export const handler = startSendTemplate();
