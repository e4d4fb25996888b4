/**
 * zod's tree-shakable build, with English error messages. `zod/mini` ships no locale, so
 * without this every problem reads "Invalid input"; the full `zod` build would bring
 * every locale and method into each bundle (about 440 KiB of an 840 KiB function).
 * Every schema does `import * as z from './schema'`, never zod directly.
 */
import { config, maxLength as zodMaxLength } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

// Re-exported name by name (not as one object), so esbuild keeps only what is used.
export * from 'zod/mini';

/**
 * zod's `maxLength`, except that a value over it stops that field's validation there: the
 * checks after it (a pattern, a refinement) never see an input already known to be too
 * long, so no later check's cost grows with what an attacker sends.
 */
export function maxLength(maximum: number, params?: Parameters<typeof zodMaxLength>[1]) {
  const given = typeof params === 'string' ? { error: params } : (params ?? {});
  return zodMaxLength(maximum, { ...given, abort: true });
}
