import { build } from 'esbuild';
import { resolve } from 'node:path';
import { DEPLOYED_FUNCTIONS, FUNCTIONS, functionsIn } from '../../lib/functions';

/**
 * The S3 client (lib/media/objects.ts) is bundled only into the functions that touch the
 * media bucket: the upload route, the media sends and the fetches. Its signer, aws4fetch,
 * is in every function: it signs the SSM read at cold start (lib/platform/ssm.ts).
 * Each function is bundled as serverless.yml builds it (esbuild, node, cjs, mainFields
 * module,main) and its metafile says which inputs it holds.
 */

const ROOT = resolve(__dirname, '..', '..');
const S3_INPUTS = [/^lib\/media\/objects\.ts$/];
// The menu sends whose header may name an upload (`uploads`) read it from the bucket too.
const TOUCHING_S3 = new Set(
  [
    ...functionsIn('mediaUpload', 'mediaSend', 'mediaFetch', 'inboundMedia', 'copier'),
    ...DEPLOYED_FUNCTIONS.filter((fn) => fn.uploads !== undefined),
  ].map((fn) => fn.name),
);

async function inputsOf(name: string): Promise<string[]> {
  const result = await build({
    entryPoints: [resolve(ROOT, 'functions', `${name}.ts`)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  // Inputs that contribute (almost) no bytes to the output were tree-shaken away: not shipped.
  // esbuild may keep a few dozen bytes of a module it otherwise tree-shook; the client itself
  // is kilobytes.
  const output = Object.values(result.metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 256)
    .map(([path]) => path);
}

describe('the S3 client in the bundles', () => {
  it.each(FUNCTIONS.map((fn) => fn.name))(
    '%s carries it exactly when it touches the bucket',
    async (name) => {
      const inputs = await inputsOf(name);
      const carried = S3_INPUTS.filter((pattern) => inputs.some((input) => pattern.test(input))).length;
      expect({ name, carried }).toEqual({ name, carried: TOUCHING_S3.has(name) ? S3_INPUTS.length : 0 });
    },
    30_000,
  );
});
