import { resolve } from 'node:path';

/** Paths relative to the repository, so the bench runs from any checkout. */
export const ROOT = resolve(__dirname, '..');
export const RESULTS_FILE = resolve(ROOT, 'bench/results/latest.json');
export const MEMORY_CHILD = resolve(ROOT, 'bench/memoryChild.ts');
