import { startSendUrlButton } from '../lib/interactive/send';

export const handler = startSendUrlButton();
