/**
 * Reading the examples out of the docs, for test/e2e/docs.e2e.test.ts: a section's code
 * blocks, and the JSON a doc shows with `…` where it leaves things out, as a shape that
 * a real answer must have.
 */

/** The text of a `### heading` (or `## heading`) section, up to the next heading of that level or above. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#{2,3} /.test(line) && line.replace(/^#+ /, '') === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(lines[start] ?? '')?.[0].length ?? 3;
  const end = lines.findIndex((line, i) => i > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The code blocks of a section in a language (`sh`, `json`, or '' for none), in order. */
export function codeBlocks(text: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```/gm;
  for (const match of text.matchAll(fence)) if (match[1] === language) blocks.push(match[2] ?? '');
  return blocks;
}

const OPEN = '__open__';

/**
 * Parses JSON as the docs write it: a bare `…` in an object or an array means "and more",
 * a `…` inside a string "and the rest of it". Returns plain JSON with an `__open__` key (or
 * element) where the doc left things out.
 */
export function docJson(text: string): unknown {
  let out = '';
  const stack: ('{' | '[')[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '…') {
      out += stack[stack.length - 1] === '{' ? `"${OPEN}":true` : `"${OPEN}"`;
      continue;
    }
    out += c;
  }
  return JSON.parse(out);
}

/** Every JSON value in a text, one after the other (curl -s prints answers back to back). */
export function jsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;
const kindOf = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

/**
 * Where a real answer differs in shape from what the doc shows (empty when it does not):
 * every key the doc shows is there with the same kind of value, an object the doc does
 * not leave open has no other key, a string the doc gives in full is that string (a UUID,
 * a time or a URL only of the same form), one it cuts with `…` starts the same way.
 * `local` maps the doc's addresses to the running stack's.
 */
export function shapeProblems(doc: unknown, real: unknown, local: (text: string) => string = (t) => t, path = '$'): string[] {
  if (typeof doc === 'string') {
    if (typeof real !== 'string') return [`${path}: the doc shows a string, the answer has ${kindOf(real)}`];
    const cut = doc.indexOf('…');
    if (cut >= 0) {
      // "6920cb18-…", "wamid.HBgM…": an id the doc cuts; what comes before it must match.
      const fixed = local(doc.slice(0, cut)).replace(/[A-Za-z0-9-]*$/, '');
      return real.startsWith(fixed) ? [] : [`${path}: "${real}" does not start as "${doc}"`];
    }
    // A size or a number as a string: any of the same form.
    if (/^\d{5,}$/.test(doc) && !/^3\d{10}$/.test(doc)) return /^\d+$/.test(real) ? [] : [`${path}: "${real}" is not digits`];
    if (UUID.test(doc)) return UUID.test(real) ? [] : [`${path}: "${real}" is not a UUID like "${doc}"`];
    if (ISO_TIME.test(doc)) return ISO_TIME.test(real) ? [] : [`${path}: "${real}" is not a time like "${doc}"`];
    if (/^https?:\/\//.test(doc)) {
      const pattern = local(doc).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
      const actual = real.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
      return pattern === actual ? [] : [`${path}: "${real}" is not an address like "${doc}"`];
    }
    return real === doc ? [] : [`${path}: "${real}" where the doc shows "${doc}"`];
  }
  if (Array.isArray(doc)) {
    if (!Array.isArray(real)) return [`${path}: the doc shows an array, the answer has ${kindOf(real)}`];
    const shown = doc.filter((item) => item !== OPEN);
    const problems = shown.flatMap((item, i) => shapeProblems(item, real[i], local, `${path}[${i}]`));
    if (!doc.includes(OPEN) && real.length !== shown.length) {
      problems.push(`${path}: ${real.length} items where the doc shows ${shown.length}`);
    }
    return problems;
  }
  if (doc !== null && typeof doc === 'object') {
    if (real === null || typeof real !== 'object' || Array.isArray(real)) {
      return [`${path}: the doc shows an object, the answer has ${kindOf(real)}`];
    }
    const shown = Object.keys(doc).filter((key) => key !== OPEN);
    const problems = shown.flatMap((key) =>
      key in real
        ? shapeProblems((doc as Record<string, unknown>)[key], (real as Record<string, unknown>)[key], local, `${path}.${key}`)
        : [`${path}.${key}: in the doc, not in the answer`],
    );
    if (!(OPEN in doc)) {
      for (const key of Object.keys(real))
        if (!shown.includes(key)) problems.push(`${path}.${key}: in the answer, not in the doc`);
    }
    return problems;
  }
  return kindOf(doc) === kindOf(real) ? [] : [`${path}: the doc shows ${kindOf(doc)}, the answer has ${kindOf(real)}`];
}
