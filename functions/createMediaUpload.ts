import { startCreateMediaUpload } from '../lib/media/upload';

export const handler = startCreateMediaUpload();
