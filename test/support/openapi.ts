/**
 * Real responses and events checked against the committed docs/openapi.json and
 * docs/ctlive-events.schema.json (JSON Schema 2020-12, with ajv), so the description
 * cannot promise what the service does not answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const DOCS = join(__dirname, '../../docs');
type Json = Record<string, unknown>;

const readJson = (name: string) => JSON.parse(readFileSync(join(DOCS, name), 'utf8')) as Json;

let loaded: { document: Json; ajv: Ajv2020; events: ValidateFunction } | undefined;
function load() {
  if (loaded) return loaded;
  const document = readJson('openapi.json');
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // Component schemas are reachable under their OpenAPI address, so `$ref`s resolve as written.
  const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
  ajv.addKeyword('components');
  ajv.addSchema({ $id: 'openapi.json', components: { schemas } });
  const events = ajv.compile(readJson('ctlive-events.schema.json'));
  loaded = { document, ajv, events };
  return loaded;
}

const templateMatches = (template: string, path: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path);

const describeErrors = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);

/**
 * Why this response does not match the description (empty when it does). `path` is the
 * request's path or URL, e.g. `${stack.apiUrl}/sendMessage`; `body` the parsed JSON, or
 * undefined for a response without one (HEAD).
 */
export function openApiProblems(method: string, path: string, status: number, body: unknown): string[] {
  const { document, ajv } = load();
  const pathname = path.startsWith('http') ? new URL(path).pathname : (path.split('?')[0] ?? path);
  const paths = document.paths as Record<string, Record<string, { responses: Record<string, Json> }>>;
  const template = Object.keys(paths).find((t) => templateMatches(t, pathname));
  if (template === undefined) return [`no path in docs/openapi.json matches ${pathname}`];
  const operation = paths[template]?.[method.toLowerCase()];
  if (operation === undefined) return [`docs/openapi.json has no ${method.toUpperCase()} ${template}`];
  const responses = operation.responses;
  const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  if (response === undefined) {
    return [`${method.toUpperCase()} ${template} does not describe status ${status} (only ${Object.keys(responses).join(', ')})`];
  }
  const content = response.content as Record<string, { schema?: Json }> | undefined;
  const schema = content?.['application/json']?.schema;
  if (schema === undefined) {
    return body === undefined || body === '' ? [] : [`${status} of ${template} is described without a JSON body, got one`];
  }
  // A single `$ref`, or `anyOf` several (a 415 that is either a file type or a body that is not JSON).
  const refs = (schema.anyOf as Json[] | undefined)?.map((alternative) => alternative.$ref as string) ?? [schema.$ref as string];
  const problems: string[] = [];
  for (const ref of refs) {
    const validate = ajv.getSchema(`openapi.json${ref}`);
    if (validate === undefined) return [`cannot resolve ${ref}`];
    if (validate(body)) return [];
    problems.push(...describeErrors(validate).map((p) => `${status} of ${template} (${ref}): ${p}`));
  }
  return problems;
}

/** Fails the test when `body` does not match the component schema `id` of docs/openapi.json (a 405, which no operation lists). */
export function expectMatchesComponent(id: string, body: unknown): void {
  const validate = load().ajv.getSchema(`openapi.json#/components/schemas/${id}`);
  if (validate === undefined) throw new Error(`docs/openapi.json has no component ${id}`);
  if (!validate(body)) throw new Error(`Body does not match ${id}:\n  ${describeErrors(validate).join('\n  ')}`);
}

/** Fails the test when the response does not match docs/openapi.json. */
export function expectMatchesOpenApi(method: string, path: string, status: number, body: unknown): void {
  const problems = openApiProblems(method, path, status, body);
  if (problems.length > 0) {
    throw new Error(`Response does not match docs/openapi.json:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(body)}`);
  }
}

/** Why this event does not match docs/ctlive-events.schema.json (empty when it does). */
export function ctliveEventProblems(event: unknown): string[] {
  const { events } = load();
  return events(event) ? [] : describeErrors(events);
}

/** Fails the test when an event ctlive received does not match docs/ctlive-events.schema.json. */
export function expectCtliveEvent(event: unknown): void {
  const problems = ctliveEventProblems(event);
  if (problems.length > 0) {
    throw new Error(
      `Event does not match docs/ctlive-events.schema.json:\n  ${problems.join('\n  ')}\nevent: ${JSON.stringify(event)}`,
    );
  }
}
