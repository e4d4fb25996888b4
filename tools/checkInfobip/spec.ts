/**
 * Checks request bodies against Infobip's published OpenAPI specification (v3.210.0): the
 * four product files (`infobip-whatsapp-openapi.json`, `infobip-omni-failover-openapi.json`,
 * `infobip-messages-api-openapi.json`, `infobip-subscriptions-api-openapi.json`), read at
 * run time and never copied into the repository.
 *
 * The spec is used as published, with exactly the relaxations its known defects call for
 * (schemas that its own examples contradict):
 *   1. OMNI `WhatsAppData`, `MediaTemplateHeaderContent`, `LineData`, `KakaoChinguData`
 *      require the fields of every variant at once: their `required` is dropped.
 *   2. Maps of free values typed `additionalProperties: {type: object}` (flow `data`,
 *      flow-reply `response`, conversion `details`, OMNI push `customPayload`, VKontakte
 *      `templateData`) take any value.
 *   3. Subscriptions `enabledSSLProtocols` carries its enum on the array too: that one goes.
 *   4. `oneOf` members overlap (no schema forbids extra properties): `oneOf` is read as `anyOf`.
 * An OpenAPI `discriminator` (which JSON Schema ignores) is applied: a value is checked
 * against the schema its discriminator value maps to, so a header's or button's own fields
 * are checked too, and an unmapped value is refused.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;
export type SpecDocument = Json & {
  paths?: Record<string, Record<string, Json>>;
  components?: { schemas?: Record<string, Json> };
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `f30d…e2.TextMessage` → `TextMessage`. */
export const shortName = (name: string): string => name.replace(/^[0-9a-f]{64}\./, '');

const REQUIRED_OF_EVERY_VARIANT = new Set(['WhatsAppData', 'MediaTemplateHeaderContent', 'LineData', 'KakaoChinguData']);
const FREE_VALUE_MAPS = new Set(['data', 'response', 'details', 'customPayload', 'templateData']);
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** A schema tree walk that lets `visit` replace any node. */
function mapTree(node: unknown, visit: (n: Json, key: string | undefined) => Json): unknown {
  const walk = (n: unknown, key: string | undefined): unknown => {
    if (Array.isArray(n)) return n.map((item) => walk(item, undefined));
    if (!isObject(n)) return n;
    const out: Json = {};
    for (const [k, v] of Object.entries(n)) out[k] = walk(v, k);
    return visit(out, key);
  };
  return walk(node, undefined);
}

/** The relaxations above, applied to one document's schemas (a copy; the input is untouched). */
export function relax(doc: SpecDocument): SpecDocument {
  const schemas = { ...(doc.components?.schemas ?? {}) };
  for (const [name, schema] of Object.entries(schemas)) {
    let s = mapTree(schema, (n, key) => {
      const { oneOf, ...rest } = n;
      let out: Json = Array.isArray(oneOf) ? { ...rest, anyOf: oneOf } : n;
      const extra = out.additionalProperties;
      if (key !== undefined && FREE_VALUE_MAPS.has(key) && out.type === 'object' && isObject(extra) && extra.type === 'object') {
        out = { ...out, additionalProperties: true };
      }
      if (key === 'enabledSSLProtocols' && out.type === 'array' && Array.isArray(out.enum)) {
        const { enum: _dropped, ...withoutEnum } = out;
        out = withoutEnum;
      }
      return out;
    }) as Json;
    if (REQUIRED_OF_EVERY_VARIANT.has(shortName(name))) {
      const { required: _dropped, ...withoutRequired } = s;
      s = withoutRequired;
    }
    schemas[name] = s;
  }
  return { ...doc, components: { ...doc.components, schemas: applyDiscriminators(schemas) } };
}

const REF_PREFIX = '#/components/schemas/';
const CORE = '__core';

/**
 * A base schema with `discriminator.mapping` becomes: its own checks, plus "when the
 * property is K, also the schema K maps to", plus "the property is one of the mapped values".
 * The mapped schemas name the base in their `allOf`; they are pointed at a copy of the base
 * without the discriminator (`<name>__core`), or the check would recurse for ever.
 */
function applyDiscriminators(schemas: Record<string, Json>): Record<string, Json> {
  const bases = Object.entries(schemas).filter(
    ([, s]) => isObject(s.discriminator) && isObject((s.discriminator as Json).mapping) && !('anyOf' in s),
  );
  if (bases.length === 0) return schemas;
  const baseRefs = new Set(bases.map(([name]) => `${REF_PREFIX}${name}`));
  const out: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const allOf = Array.isArray(schema.allOf)
      ? schema.allOf.map((part: unknown) =>
          isObject(part) && typeof part.$ref === 'string' && baseRefs.has(part.$ref) ? { $ref: `${part.$ref}${CORE}` } : part,
        )
      : undefined;
    out[name] = allOf ? { ...schema, allOf } : schema;
  }
  for (const [name] of bases) {
    const { discriminator, ...core } = out[name]!;
    const { propertyName, mapping } = discriminator as { propertyName: string; mapping: Record<string, string> };
    out[`${name}${CORE}`] = core;
    const branches = Object.entries(mapping).map(([value, ref]) => ({
      if: { properties: { [propertyName]: { const: value } }, required: [propertyName] },
      then: { $ref: ref },
    }));
    out[name] = {
      ...core,
      allOf: [
        ...((core.allOf as unknown[]) ?? []),
        ...branches,
        { properties: { [propertyName]: { enum: Object.keys(mapping) } } },
      ],
    };
  }
  return out;
}

export interface Operation {
  operationId: string;
  file: string;
  /** JSON pointer to the request body schema, or undefined when the operation takes none. */
  bodySchema?: string;
}

export interface Checker {
  operation(method: string, path: string): Operation | undefined;
  /** The faults of `body` for the operation, as "instancePath: message (schemaPath)" lines. */
  validate(operation: Operation, body: unknown): string[];
}

const templateRegex = (template: string): RegExp =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);

/** A checker over the given documents (file name → parsed JSON). */
export function makeChecker(documents: Record<string, SpecDocument>): Checker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, verbose: true });
  addFormats(ajv);
  for (const format of ['int32', 'int64', 'double', 'float']) ajv.addFormat(format, true);
  const operations: { method: string; regex: RegExp; literal: number; op: Operation }[] = [];
  for (const [file, raw] of Object.entries(documents)) {
    const doc = relax(raw);
    ajv.addSchema({ $id: file, components: doc.components }, file);
    for (const [template, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method) || !isObject(op)) continue;
        const content = isObject(op.requestBody) ? (op.requestBody.content as Json | undefined) : undefined;
        const json = content?.['application/json'];
        const ref = isObject(json) && isObject(json.schema) ? json.schema.$ref : undefined;
        operations.push({
          method: method.toUpperCase(),
          regex: templateRegex(template),
          // A literal segment beats a parameter: /message/template before /message/{x}.
          literal: template.replace(/\{[^}]+\}/g, '').length,
          op: {
            operationId: String(op.operationId),
            file,
            ...(typeof ref === 'string' ? { bodySchema: `${file}${ref}` } : {}),
          },
        });
      }
    }
  }
  operations.sort((a, b) => b.literal - a.literal);
  const compiled = new Map<string, ValidateFunction>();
  return {
    operation(method, path) {
      const pathname = path.split('?')[0] ?? '';
      return operations.find((o) => o.method === method.toUpperCase() && o.regex.test(pathname))?.op;
    },
    validate(operation, body) {
      if (operation.bodySchema === undefined) return [];
      let fn = compiled.get(operation.bodySchema);
      if (!fn) {
        fn = ajv.compile({ $ref: operation.bodySchema });
        compiled.set(operation.bodySchema, fn);
      }
      if (fn(body)) return [];
      return describeErrors(fn.errors ?? []);
    },
  };
}

/**
 * ajv's errors, without the if/then noise of the discriminators, each with the failing
 * schema path (hash prefixes dropped). A path that starts at `#/` without a schema name is
 * relative to the schema ajv compiled on its own there: the operation's body schema, or a
 * schema reached by a recursive reference, whose title leads the path when the failing
 * keyword sits on the schema itself (`TemplateImageHeaderContent #/required`).
 */
function describeErrors(errors: ErrorObject[]): string[] {
  const where = (e: ErrorObject): string => {
    const path = e.schemaPath.split('/').map(shortName).join('/');
    const title = isObject(e.parentSchema) && typeof e.parentSchema.title === 'string' ? `${e.parentSchema.title} ` : '';
    return `${title}${path}`;
  };
  const lines = errors
    .filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf')
    .map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword} (${where(e)})`);
  return [...new Set(lines.length > 0 ? lines : errors.map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`))];
}
