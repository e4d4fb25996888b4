import { build, type Metafile } from 'esbuild';
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import { isEsModule } from './shared';

/**
 * What a function's unzipped artifact loads: its handler file as Lambda's Node runtime
 * finds it, whether that is an ES module, and the graph of its files. esbuild parses the
 * shipped files (nothing is run or written) and its metafile gives each file's imports and
 * their kinds: the files an `import` statement reaches are read and evaluated when the
 * handler loads ("parsed at init"); those only an `import()` reaches are loaded when that
 * line runs ("lazy").
 */

export interface ModuleGraph {
  /** The handler file, relative to the artifact's root. */
  handlerFile: string;
  esm: boolean;
  /** The handler file and every file its static imports reach, transitively. */
  atInit: string[];
  /** Files reached only through a dynamic import(). */
  lazy: string[];
  /** Script files in the artifact that nothing reaches. */
  unreachable: string[];
  /** Imports that resolve to no file of the artifact ("file: specifier"). */
  missing: string[];
  /** Imports of packages, not files of the artifact nor Node built-ins: Lambda would not find them. */
  packages: string[];
}

const SCRIPT = /\.[cm]?js$/;
const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0] ?? '');

/**
 * `functions/onMessage.handler` → the file Lambda's Node runtime loads: `.js`, then `.mjs`,
 * then `.cjs` (the order of its own resolution), relative to `root`.
 */
export function handlerFile(root: string, handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  for (const extension of ['.js', '.mjs', '.cjs']) {
    if (existsSync(join(root, `${base}${extension}`))) return `${base}${extension}`;
  }
  throw new Error(`no ${base}.js, .mjs or .cjs for the handler ${handler}`);
}

/** Every script file under `root` (relative paths), given as the list of the artifact's files. */
export async function moduleGraph(root: string, handler: string, files: readonly string[]): Promise<ModuleGraph> {
  const entry = handlerFile(root, handler);
  const missing: string[] = [];
  const packages = new Set<string>();
  let metafile: Metafile | undefined;
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      splitting: true,
      outdir: join(root, '.module-graph'), // never written
      logLevel: 'silent',
      plugins: [
        {
          name: 'packages-are-external',
          setup(b) {
            // A bare specifier: a Node built-in is fine, anything else is a package the zip lacks.
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (!isBuiltin(args.path)) packages.add(args.path);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    metafile = result.metafile;
  } catch (error: unknown) {
    const errors = (error as { errors?: { text: string; location?: { file: string } | null }[] }).errors;
    if (!errors) throw error;
    for (const e of errors) missing.push(`${e.location?.file ?? entry}: ${e.text}`);
  }
  const inputs = metafile?.inputs ?? {};
  const reach = (follow: (kind: string) => boolean) => {
    const seen = new Set<string>();
    const stack = [entry];
    while (stack.length > 0) {
      const file = stack.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const i of inputs[file]?.imports ?? []) if (!i.external && follow(i.kind)) stack.push(i.path);
    }
    return seen;
  };
  const atInit = reach((kind) => kind === 'import-statement' || kind === 'require-call');
  const all = reach(() => true);
  const toPosix = (file: string) => relative(root, join(root, file)).split(sep).join('/');
  const sorted = (set: Iterable<string>) => [...set].map(toPosix).sort();
  return {
    handlerFile: entry,
    esm: isEsModule(join(root, entry)),
    atInit: sorted(atInit),
    lazy: sorted([...all].filter((f) => !atInit.has(f))),
    unreachable: files.filter((f) => SCRIPT.test(f) && !all.has(f)).sort(),
    missing,
    packages: [...packages].sort(),
  };
}
