import { startMediaSend } from '../lib/media/send';

export const handler = startMediaSend('sticker');
