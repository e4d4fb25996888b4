/**
 * zod's tree-shakable build, with English error messages. `zod/mini` ships no locale, so
 * without this every problem reads "Invalid input"; the full `zod` build would bring
 * every locale and method into each bundle (about 440 KiB of an 840 KiB function).
 * Every schema does `import * as z from './schema'`, never zod directly.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

// Re-exported name by name (not as one object), so esbuild keeps only what is used.
export * from 'zod/mini';
