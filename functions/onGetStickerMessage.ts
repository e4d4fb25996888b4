import { startMediaFetch } from '../lib/media/fetch';

export const handler = startMediaFetch('sticker');
