/**
 * One cold init: a fresh Node process loads one bundle, as Lambda's runtime loads the
 * handler module, and reports how long the load took (read, compile, evaluate, and the
 * module-scope wiring of the function, and what it queued) on fd 3. Built to plain JS by the bench, so no
 * TypeScript loader runs in the measured process. stdout and stderr are the function's.
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { evaluatedClients } from './shared';

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: coldChild <bundle.js>');
const load = createRequire(__filename);

void (async () => {
  const started = performance.now();
  load(bundle);
  // Work the module queued while loading (a lazy import started at cold start) still runs
  // inside Lambda's init, before the first event: wait for it, as the runtime does.
  await new Promise((resolve) => setImmediate(resolve));
  const initMs = performance.now() - started;

  writeSync(
    3,
    `${JSON.stringify({ initMs, evaluated: evaluatedClients(load.cache), sinceProcessStartMs: performance.now() })}\n`,
  );
  process.exit(0);
})();
