import { resolve } from 'node:path';

/** Paths relative to the repository, so the bench runs from any checkout. */
export const ROOT = resolve(__dirname, '..');
export const RESULTS_FILE = resolve(ROOT, 'bench/results.json');
/** Short runs (CI) never overwrite the committed full results the README is generated from. */
export const SHORT_RESULTS_FILE = resolve(ROOT, 'bench/results.short.json');
export const README_FILE = resolve(ROOT, 'README.md');
