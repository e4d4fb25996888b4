import { startSendButtons } from '../lib/interactive/send';

export const handler = startSendButtons();
