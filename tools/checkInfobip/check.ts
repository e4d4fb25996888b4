/** Holding a recording of the sandbox's requests against a checker (./spec.ts). */
import type { Checker } from './spec';

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  /** Sent wrong on purpose by a test that declared it (the sandbox's `expectSchemaRefusals()`). */
  expected?: boolean;
}

export interface InvalidRequest {
  /** 1-based line of the recording. */
  line: number;
  method: string;
  path: string;
  /** The operationId, or a note that the spec has no such operation. */
  operation: string;
  errors: string[];
}

/**
 * Every request with a JSON body is checked (but those a test declared wrong on purpose) against its operation's request body schema. A
 * request to a path the spec does not have is invalid (Infobip would answer it 404); a
 * body-less request to an operation that takes none is counted as skipped.
 */
export function checkRecording(
  checker: Checker,
  requests: readonly RecordedRequest[],
): { checked: number; skipped: number; declared: number; invalid: InvalidRequest[] } {
  const invalid: InvalidRequest[] = [];
  let checked = 0;
  let skipped = 0;
  let declared = 0;
  requests.forEach((r, i) => {
    const line = i + 1;
    if (r.expected === true) {
      declared += 1;
      return;
    }
    const operation = checker.operation(r.method, r.path);
    if (!operation) {
      invalid.push({
        line,
        method: r.method,
        path: r.path,
        operation: 'no such operation',
        errors: ['not in the specification'],
      });
      return;
    }
    if (operation.bodySchema === undefined) {
      skipped += 1;
      return;
    }
    checked += 1;
    const errors = checker.validate(operation, r.body);
    if (errors.length > 0) invalid.push({ line, method: r.method, path: r.path, operation: operation.operationId, errors });
  });
  return { checked, skipped, declared, invalid };
}
