/**
 * Every regular expression in lib/ is checked by a ReDoS analyser (recheck): a pattern that
 * can take more than linear time on some input is a way to starve a function with one
 * request. Literals are found with the TypeScript parser, so a new one is checked without
 * anyone listing it; a pattern built at run time must be exported and listed below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkSync } from 'recheck';
import ts from 'typescript';
import { CONTENT_TYPE } from '../../lib/media/kinds';

const LIB = join(__dirname, '..', '..', 'lib');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

interface Found {
  where: string;
  source: string;
  flags: string;
}

/** Every regex literal and every `new RegExp(…)`/`RegExp(…)` call in one file. */
function patternsIn(file: string): { literals: Found[]; built: string[] } {
  const text = readFileSync(file, 'utf8');
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const literals: Found[] = [];
  const built: string[] = [];
  const where = (node: ts.Node) => `${relative(LIB, file)}:${sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(sourceFile);
      const end = literal.lastIndexOf('/');
      literals.push({ where: where(node), source: literal.slice(1, end), flags: literal.slice(end + 1) });
    }
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.expression.getText(sourceFile) === 'RegExp') {
      built.push(where(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return { literals, built };
}

const all = tsFiles(LIB).map(patternsIn);
const literals = all.flatMap((f) => f.literals);
const built = all.flatMap((f) => f.built);

/** Patterns built at run time, each exported so that this test can check the real thing. */
const BUILT: Record<string, RegExp> = { 'media/kinds.ts': CONTENT_TYPE };

describe('ReDoS: every regular expression in lib/', () => {
  it('finds the literals (the parser is looking in the right place)', () => {
    expect(literals.length).toBeGreaterThan(30);
  });

  it.each(literals.map((l) => [l.where, l.source, l.flags] as const))('%s /%s/%s is safe', (_where, source, flags) => {
    const result = checkSync(source, flags, { timeout: 10_000 });
    expect({ status: result.status, ...(result.status === 'vulnerable' ? { attack: result.attack.pattern } : {}) }).toEqual({
      status: 'safe',
    });
  });

  it('knows every pattern built at run time, and each one is safe', () => {
    expect(built.map((w) => w.replace(/:\d+$/, ''))).toEqual(Object.keys(BUILT));
    for (const pattern of Object.values(BUILT)) expect(checkSync(pattern.source, pattern.flags).status).toBe('safe');
  });

  it('control: the analyser does call the old contact-card email pattern vulnerable', () => {
    expect(checkSync('^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', '').status).toBe('vulnerable');
  });
});
