/**
 * What the conformance check needs from every sandbox: the requests refused on schema
 * grounds (a request IMChannel built that Infobip would refuse), and a recording of every
 * request received, for `npm run check:infobip` to hold against Infobip's published
 * OpenAPI specification (v3.210.0).
 */
import { appendFileSync } from 'node:fs';

export interface SchemaRefusal {
  method: string;
  path: string;
  errors: Record<string, string[]>;
  /** Declared by the test (`expectSchemaRefusals()`): the refusal is what it tests. */
  expected: boolean;
  at: string;
}

/**
 * Every schema refusal of every sandbox of this process (in jest: of this test file, whose
 * modules are its own), so one teardown (test/support/sandboxConformance.ts) can fail a
 * suite that sent Infobip a request it would refuse without saying so.
 */
export const schemaRefusals: SchemaRefusal[] = [];

/** The refusals no test declared, taken off the list. */
export function takeUnexpectedRefusals(): SchemaRefusal[] {
  const unexpected = schemaRefusals.filter((r) => !r.expected);
  schemaRefusals.length = 0;
  return unexpected;
}

/**
 * One NDJSON line per request (`{"method","path","body"}`, the body parsed, or null when it
 * is not JSON), appended to `file`; nothing when no file is named. A request that arrives
 * while its test has declared refusals expected (`expectSchemaRefusals()`) carries
 * `"expected": true`: the test sends it wrong on purpose, and the checker leaves it out.
 * Synchronous, so a line is whole even when the process ends right after.
 */
export function recorder(file: string | undefined): (method: string, path: string, body: unknown, expected: boolean) => void {
  if (!file) return () => undefined;
  return (method, path, body, expected) =>
    appendFileSync(file, `${JSON.stringify({ method, path, body: body ?? null, ...(expected ? { expected } : {}) })}\n`);
}
