/**
 * One cold init: a fresh Node process loads one bundle as Lambda's Node runtime loads the
 * handler module (import() of an ES module, require() of a CommonJS one, from an ES module
 * like the runtime's own bootstrap: built to .mjs by bench/references.ts) and reports on
 * fd 3 how long the load took: read, compile and evaluate every file its static imports
 * reach, the module-scope wiring of the function, and the work that wiring started at
 * init and Lambda lets finish before the first event (lib/platform/initWork.ts: the
 * webhooks' lazy import of the Lambda client, a chain of chunk loads, awaited whole).
 * Built to plain JS by the bench, so no TypeScript loader runs in the measured process.
 * stdout and stderr are the function's.
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { evaluatedClients, INIT_WORK_GLOBAL, isEsModule } from './shared';

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: coldChild <bundle.js|.mjs>');
const load = createRequire(import.meta.url);
// Decided before the clock starts, as the runtime does before it loads anything.
const esm = isEsModule(bundle);

void (async () => {
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  if (esm) await import(pathToFileURL(bundle).href);
  else load(bundle);
  const initWork = (globalThis as Record<symbol, unknown>)[INIT_WORK_GLOBAL];
  const failed = (await Promise.all(Array.isArray(initWork) ? initWork : [])).filter((outcome) => outcome !== undefined);
  // Anything else the module queued while loading still runs inside Lambda's init.
  await new Promise((resolve) => setImmediate(resolve));
  const initMs = performance.now() - started;
  // This process's CPU time over the same span (every thread: V8 compiles in the background):
  // what a busy machine stretches least, reported next to the wall time.
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (failed.length > 0) throw new Error(`init work failed: ${failed.map(String).join('; ')}`);

  writeSync(
    3,
    `${JSON.stringify({ initMs, cpuMs, evaluated: evaluatedClients(load.cache), sinceProcessStartMs: performance.now() })}\n`,
  );
  process.exit(0);
})();
