import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DEPLOYED_NAMES, FUNCTIONS } from '../../lib/functions';
import { MEDIA_KIND_NAMES } from '../../lib/media/kinds';

/**
 * The inventory (lib/functions.ts) against the files that must agree with it, without
 * packaging: functions/, serverless.yml and serverless.local.yml. test/template holds the
 * packaged CloudFormation against it too (routes, roles, SSM names).
 */
const ROOT = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The keys of the top-level `functions:` block of a serverless file, with their handlers. */
function declaredFunctions(yaml: string): Map<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((line) => /^functions:\s*$/.test(line));
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // the next top-level key
    const name = /^ {2}(?:- )?([A-Za-z][A-Za-z0-9]*):\s*$/.exec(line)?.[1] ?? /^ {4}([A-Za-z][A-Za-z0-9]*):\s*$/.exec(line)?.[1];
    if (name !== undefined && name !== 'events' && name !== 'environment' && name !== 'handler') current = name;
    const handler = /^\s+handler:\s*(\S+)/.exec(line)?.[1];
    if (handler !== undefined && current !== undefined) found.set(current, handler);
  }
  return found;
}

describe('the function inventory (lib/functions.ts)', () => {
  it('names each function once, and a media send and fetch function for every media kind', () => {
    const names = FUNCTIONS.map((fn) => fn.name);
    expect(new Set(names).size).toBe(names.length);
    for (const kind of MEDIA_KIND_NAMES) {
      expect(
        FUNCTIONS.filter((fn) => fn.kind === kind)
          .map((fn) => fn.group)
          .sort(),
      ).toEqual(['mediaFetch', 'mediaSend']);
    }
  });

  it('has exactly one functions/<name>.ts per row, and no file without a row', () => {
    const files = readdirSync(join(ROOT, 'functions')).map((file) => file.replace(/\.ts$/, ''));
    expect(files.sort()).toEqual(FUNCTIONS.map((fn) => fn.name).sort());
  });

  it.each(FUNCTIONS.map((fn) => fn.name))('functions/%s.ts is one import and one line that builds the handler', (name) => {
    const code = read(`functions/${name}.ts`)
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(code).toHaveLength(2);
    expect(code[0]).toMatch(/^import \{ start\w+ \} from '\.\.\/lib\/[\w/]+';$/);
    expect(code[1]).toMatch(/^export const handler = start\w+\([^)]*\);$/);
  });

  it('matches the functions serverless.yml deploys, each with its own handler file', () => {
    const declared = declaredFunctions(read('serverless.yml'));
    expect([...declared.keys()].sort()).toEqual([...DEPLOYED_NAMES].sort());
    for (const [name, handler] of declared) expect(handler).toBe(`functions/${name}.handler`);
  });

  it('declares the local-only functions in serverless.local.yml, and only those', () => {
    const local = declaredFunctions(read('serverless.local.yml'));
    expect([...local.keys()].sort()).toEqual(
      FUNCTIONS.filter((fn) => fn.group === 'local')
        .map((fn) => fn.name)
        .sort(),
    );
  });

  it('fails the check when a row has no serverless.yml block (the check can fail)', () => {
    const yaml = read('serverless.yml');
    const withoutOne = yaml.replace(/^ {2}onDeliveryReport:\n(?: {4}.*\n)+/m, '');
    expect(withoutOne).not.toBe(yaml);
    expect([...declaredFunctions(withoutOne).keys()].sort()).not.toEqual([...DEPLOYED_NAMES].sort());
  });
});

/**
 * lib/ is layered: platform at the bottom; outbound and inbound on platform; media and
 * messages on outbound; templates on media (a header's file is parked like a media send's); the inventory (lib/functions.ts) on top. No import may point upward or sideways.
 */
const LAYER_MAY_IMPORT: Record<string, readonly string[]> = {
  platform: ['platform'],
  // The 24-hour window: written by the inbound path, read by the outbound one.
  conversation: ['platform', 'conversation'],
  outbound: ['platform', 'conversation', 'outbound'],
  inbound: ['platform', 'conversation', 'inbound'],
  media: ['platform', 'conversation', 'outbound', 'media'],
  templates: ['platform', 'conversation', 'outbound', 'media', 'templates'],
  // The routes whose message parks nothing (text, location, contact cards), each on the send path.
  messages: ['platform', 'conversation', 'outbound', 'messages'],
  // Reply buttons and the link button: a message's fields, a header file parked like a media send's.
  interactive: ['platform', 'conversation', 'outbound', 'media', 'messages', 'interactive'],
  // Read receipts and typing: Infobip calls that are not messages.
  signals: ['platform', 'outbound', 'signals'],
  // Customers' files: onMessage's step for them, their copier and their route, on the inbound path and the bucket.
  inboundMedia: ['platform', 'conversation', 'inbound', 'media', 'inboundMedia'],
  '': [
    'platform',
    'conversation',
    'outbound',
    'inbound',
    'media',
    'templates',
    'messages',
    'interactive',
    'signals',
    'inboundMedia',
  ],
};

function libFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? libFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const layerOf = (file: string) => {
  const parts = relative(join(ROOT, 'lib'), file).split('/');
  return parts.length > 1 ? parts[0]! : '';
};

describe('lib/ layering', () => {
  const files = libFiles(join(ROOT, 'lib'));

  it('knows every folder of lib/', () => {
    for (const file of files) expect(Object.keys(LAYER_MAY_IMPORT)).toContain(layerOf(file));
  });

  it.each(files.map((file) => relative(ROOT, file)))('%s imports only from its own or a lower layer', (path) => {
    const file = join(ROOT, path);
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
    const allowed = LAYER_MAY_IMPORT[layerOf(file)]!;
    const upward = imports.filter((spec) => {
      const target = resolve(file, '..', spec);
      return !relative(ROOT, target).startsWith('lib/') || !allowed.includes(layerOf(`${target}.ts`));
    });
    expect(upward).toEqual([]);
  });
});
