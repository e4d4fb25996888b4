'use strict';
// serverless-esbuild's `plugins` (custom.esbuild.plugins in serverless.yml): esbuild plugins
// of every build it runs, one build per handler file.
//
// ESM output with code splitting (format esm, splitting true) puts each dynamic import()
// into chunks of its own, loaded only when the import runs: the webhooks' Lambda client
// (lib/inbound/forwarder.ts) is never read with an http ctlive target. What the plugin
// here adds to that:
//
// - Each handler's chunks go to a folder named after it, `functions/<handler>.chunks/`.
//   With `package.individually`, serverless-esbuild zips every file of the build folder
//   into every function except the other functions' handlers and the files derived from
//   them, `<handler>.<anything>`: this name makes a handler's chunks such a derived file,
//   so each zip holds its own chunks and no other function's. A function that gains a
//   dynamic import gets its folder with nothing to configure; test/template holds every
//   zip to exactly the files its handler imports.
// - A chunk that no output imports is deleted: esbuild still writes the chunk of an
//   import() whose calling code it tree-shook away (the AWS SDK's browser-only user agent
//   parser, for one), and it would only take room in the zip.
// - `functions/package.json` with `"type": "module"`: the handlers stay `.js`, which
//   Lambda's Node runtime, serverless-offline and `serverless invoke local` (which finds
//   no `.mjs` handler) all load as ES modules when that file is next to them.

// A CommonJS module, as serverless-esbuild loads it with require().
/* eslint-disable @typescript-eslint/no-require-imports */
const { mkdir, rm, writeFile } = require('node:fs/promises');
const path = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

const PACKAGE_JSON = `${JSON.stringify({ type: 'module' })}\n`;

/** `functions/onMessage.ts` → `onMessage.chunks`, relative to the build's outdir. */
function chunkFolder(entry) {
  return `${path.basename(entry, path.extname(entry))}.chunks`;
}

function entryOf(options) {
  const entries = Array.isArray(options.entryPoints) ? options.entryPoints : Object.values(options.entryPoints ?? {});
  if (entries.length !== 1) {
    throw new Error(`resources/esbuildPlugins.js expects one handler per build, got ${entries.length}`);
  }
  const [entry] = entries;
  return typeof entry === 'string' ? entry : entry.in;
}

/**
 * Outputs that no import, static or dynamic, of the handler's graph reaches. Every import()
 * target is an `entryPoint` in the metafile too, so the handler is told by its path.
 */
function unimported(outputs, cwd, entry) {
  const reached = new Set();
  const handler = path.resolve(cwd, entry);
  const stack = Object.keys(outputs).filter(
    (file) => outputs[file].entryPoint !== undefined && path.resolve(cwd, outputs[file].entryPoint) === handler,
  );
  if (stack.length !== 1) throw new Error(`resources/esbuildPlugins.js found ${stack.length} outputs for ${entry}`);
  while (stack.length > 0) {
    const file = stack.pop();
    if (reached.has(file) || outputs[file] === undefined) continue;
    reached.add(file);
    for (const i of outputs[file].imports) if (!i.external) stack.push(i.path);
  }
  return Object.keys(outputs).filter((file) => !reached.has(file));
}

const chunksPerHandler = {
  name: 'imchannel-chunks-per-handler',
  setup(build) {
    const options = build.initialOptions;
    if (options.format !== 'esm' || options.splitting !== true) {
      throw new Error('resources/esbuildPlugins.js is for ESM output with splitting: set format esm and splitting true');
    }
    const entry = entryOf(options);
    options.chunkNames = `${chunkFolder(entry)}/[name]-[hash]`;
    options.metafile = true; // for this plugin only: serverless-esbuild writes none for it
    build.onEnd(async (result) => {
      if (result.errors.length > 0 || options.outdir === undefined || !result.metafile || options.write === false) return;
      const cwd = options.absWorkingDir ?? process.cwd();
      for (const output of unimported(result.metafile.outputs, cwd, entry)) await rm(path.resolve(cwd, output), { force: true });
      await mkdir(options.outdir, { recursive: true });
      await writeFile(path.join(options.outdir, 'package.json'), PACKAGE_JSON);
    });
  },
};

module.exports = [chunksPerHandler];
Object.assign(module.exports, { chunksPerHandler, chunkFolder });
