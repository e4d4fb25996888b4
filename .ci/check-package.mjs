// Every function declared in the packaged service must have its own artifact.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', '.serverless');
const state = JSON.parse(readFileSync(join(dir, 'serverless-state.json'), 'utf8'));
const functions = Object.keys(state.service.functions ?? {});
if (functions.length === 0) throw new Error('no functions declared');
const missing = [];
for (const name of functions) {
  const artifact = state.service.functions[name].package?.artifact ?? '';
  const file = join(dir, `${name}.zip`);
  try {
    const size = statSync(file).size;
    console.log(`${name}: ${(size / 1024).toFixed(0)} KiB ${artifact.endsWith(`${name}.zip`) ? '' : '(artifact path differs)'}`);
  } catch {
    missing.push(name);
  }
}
if (missing.length > 0) {
  console.error(`functions without their own artifact: ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`${functions.length} functions, ${functions.length} artifacts`);
