import { startListTemplates } from '../lib/templates/list';

export const handler = startListTemplates();
