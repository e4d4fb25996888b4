import { resolve } from 'node:path';

/** Paths relative to the repository, so the bench runs from any checkout. */
export const ROOT = resolve(__dirname, '..');
/** The committed results docs/performance.md is generated from; only `npm run figures:promote` writes it. */
export const RESULTS_FILE = resolve(ROOT, 'bench/results.json');
/** Every run writes here (git-ignored), so a bench run never dirties the tree. */
export const LATEST_RESULTS_FILE = resolve(ROOT, 'bench/latest/results.json');
/** Short runs (CI): never promoted. */
export const SHORT_RESULTS_FILE = resolve(ROOT, 'bench/latest/results.short.json');
/** Batch-only runs (`--batch`): never promoted. */
export const BATCH_RESULTS_FILE = resolve(ROOT, 'bench/latest/results.batch.json');
/** Runs of some parts only (`--only`): never promoted. */
export const ONLY_RESULTS_FILE = resolve(ROOT, 'bench/latest/results.only.json');
