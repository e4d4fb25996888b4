/**
 * A small schema language for the WhatsApp API's request bodies, and the validator that
 * reports errors as Infobip's `ApiException` does: a map from field path
 * (`content.action.buttons[0].title`) to Bean-Validation-style messages.
 *
 * Every object refuses properties it does not declare. Infobip's published OpenAPI
 * specification (v3.210.0), `infobip-whatsapp-openapi.json`, does not say whether unknown
 * properties are refused (no schema sets `additionalProperties: false`); refusing them is
 * our safe choice, so a misspelt field fails here instead of being dropped by Infobip.
 */

export type ValidationErrors = Record<string, string[]>;

export type Schema =
  | { kind: 'string'; min?: number; max?: number; values?: readonly string[] }
  | { kind: 'number'; min?: number; max?: number; integer?: boolean }
  | { kind: 'boolean' }
  | { kind: 'array'; items: Schema; min?: number; max?: number }
  | { kind: 'object'; properties: Record<string, Schema>; required?: readonly string[] }
  /** One of several objects, chosen by the value of the `type` property (an OpenAPI discriminator). */
  | { kind: 'byType'; variants: Record<string, Schema & { kind: 'object' }> };

export const str = (min?: number, max?: number): Schema => ({ kind: 'string', min, max });
export const oneOf = (...values: string[]): Schema => ({ kind: 'string', values });
export const num = (min?: number, max?: number): Schema => ({ kind: 'number', min, max });
export const int = (min?: number, max?: number): Schema => ({ kind: 'number', min, max, integer: true });
export const bool: Schema = { kind: 'boolean' };
export const arr = (items: Schema, min?: number, max?: number): Schema => ({ kind: 'array', items, min, max });
export const obj = (properties: Record<string, Schema>, required: readonly string[] = []): Schema & { kind: 'object' } => ({
  kind: 'object',
  properties,
  required,
});
/** A discriminated variant: its own properties plus `type`. */
export const byType = (variants: Record<string, Schema & { kind: 'object' }>): Schema => ({
  kind: 'byType',
  variants: Object.fromEntries(
    Object.entries(variants).map(([type, v]) => [
      type,
      obj({ type: oneOf(type), ...v.properties }, ['type', ...(v.required ?? [])]),
    ]),
  ),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const size = (min: number | undefined, max: number | undefined): string =>
  `size must be between ${min ?? 0} and ${max ?? 2147483647}`;

/** Validates `value` against `schema`, adding each fault under its path. */
export function check(value: unknown, schema: Schema, path: string, add: (field: string, message: string) => void): void {
  const at = path === '' ? 'body' : path;
  const child = (key: string | number): string =>
    typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
  switch (schema.kind) {
    case 'string':
      if (typeof value !== 'string') return add(at, 'must be a string');
      if (schema.values && !schema.values.includes(value)) return add(at, `must be one of ${schema.values.join(', ')}`);
      if ((schema.min !== undefined && value.length < schema.min) || (schema.max !== undefined && value.length > schema.max)) {
        add(at, size(schema.min, schema.max));
      }
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return add(at, 'must be a number');
      if (schema.integer && !Number.isInteger(value)) return add(at, 'must be an integer');
      if (schema.min !== undefined && value < schema.min) add(at, `must be greater than or equal to ${schema.min}`);
      if (schema.max !== undefined && value > schema.max) add(at, `must be less than or equal to ${schema.max}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') add(at, 'must be a boolean');
      return;
    case 'array':
      if (!Array.isArray(value)) return add(at, 'must be an array');
      if ((schema.min !== undefined && value.length < schema.min) || (schema.max !== undefined && value.length > schema.max)) {
        add(at, size(schema.min, schema.max));
      }
      value.forEach((item, i) => check(item, schema.items, child(i), add));
      return;
    case 'object':
      if (!isObject(value)) return add(at, 'must be a JSON object');
      for (const key of schema.required ?? []) {
        if (value[key] === undefined || value[key] === null) add(child(key), 'must not be null');
      }
      for (const [key, v] of Object.entries(value)) {
        const property = schema.properties[key];
        if (property === undefined) add(child(key), 'unknown field');
        // Jackson maps JSON null to an absent optional field.
        else if (v !== null) check(v, property, child(key), add);
      }
      return;
    case 'byType': {
      if (!isObject(value)) return add(at, 'must be a JSON object');
      const variant = typeof value.type === 'string' ? schema.variants[value.type] : undefined;
      if (variant === undefined) return add(child('type'), `must be one of ${Object.keys(schema.variants).join(', ')}`);
      return check(value, variant, path, add);
    }
  }
}

/** Runs `check`, then the schema's prose rules (`more`), and gathers every fault. */
export function validate(
  body: unknown,
  schema: Schema,
  more?: (body: Record<string, unknown>, add: (field: string, message: string) => void) => void,
): ValidationErrors | undefined {
  const errors: ValidationErrors = {};
  const add = (field: string, message: string): void => {
    (errors[field] ??= []).push(message);
  };
  check(body, schema, '', add);
  if (Object.keys(errors).length === 0 && more && isObject(body)) more(body, add);
  return Object.keys(errors).length === 0 ? undefined : errors;
}
