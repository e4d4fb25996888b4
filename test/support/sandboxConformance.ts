/**
 * Every integration suite's teardown (jest.config.ts, setupFilesAfterEnv): a request the
 * Infobip sandbox refused on schema grounds is a request IMChannel would send Infobip in
 * vain, so it fails the suite unless the test declared it (`sandbox.expectSchemaRefusals()`).
 * The list is this test file's own: jest gives each file its own modules.
 */
import { takeUnexpectedRefusals } from '../../tools/infobipSandbox/conformance';

afterAll(() => {
  const unexpected = takeUnexpectedRefusals();
  if (unexpected.length === 0) return;
  const lines = unexpected.map((r) => `  ${r.method} ${r.path}: ${JSON.stringify(r.errors)}`);
  throw new Error(
    `The Infobip sandbox refused ${unexpected.length} request(s) on schema grounds that no test declared ` +
      `(sandbox.expectSchemaRefusals()):\n${lines.join('\n')}`,
  );
});
