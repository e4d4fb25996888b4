import { startMethodNotAllowed } from '../lib/methodNotAllowed';

export const handler = startMethodNotAllowed();
