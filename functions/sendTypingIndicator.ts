import { startTyping } from '../lib/signals/typing';

export const handler = startTyping();
