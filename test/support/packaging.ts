import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * `serverless package` as a deploy runs it, offline, for the template tests (test/template/):
 * the same CLI, a clean environment, the stage parameters on the command line.
 */

export const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
export const PACKAGE_TIMEOUT_MS = 120_000;

/** Placeholder account parameters a real stage cannot package without. */
export const REQUIRED_PARAMS = {
  ctliveTarget: 'lambda:ctlive-inbound',
  publicUrl: 'https://api.example.com/acme/imchannel',
  upstashRedisRestUrl: 'https://example.upstash.io',
  infobipBaseUrl: 'https://example.api.infobip.com',
};

export type Json = Record<string, unknown>;
export interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: string | string[];
}
export interface Template {
  Parameters?: Record<string, Json>;
  Resources: Record<string, Resource>;
}

/** The environment serverless resolves `${env:…}` from: none of a developer's IMChannel settings. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, SLS_TELEMETRY_DISABLED: '1', AWS_REGION: 'eu-west-1', ...extra };
}

export function runPackage(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'package', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, output }));
  });
}

export const paramArgs = (params: Record<string, string>): string[] =>
  Object.entries(params).map(([k, v]) => `--param=${k}=${v}`);

/** The framework's logical id stem of a function (`onMessage` → `OnMessage`). */
export const logicalId = (fn: string): string => fn.charAt(0).toUpperCase() + fn.slice(1);

export const resourcesOfType = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** A function's properties in the template. */
export function functionOf(template: Template, name: string): Json {
  const resource = template.Resources[`${logicalId(name)}LambdaFunction`];
  if (!resource) throw new Error(`no function ${name} in the template`);
  return resource.Properties;
}

/** `serverless package --stage prod` into `outDir` with the required and the given parameters, and its template. */
export async function packageProd(
  outDir: string,
  params: Record<string, string>,
  env: NodeJS.ProcessEnv,
): Promise<{ template: Template; text: string }> {
  const { code, output } = await runPackage(
    ['--stage', 'prod', '--package', outDir, ...paramArgs({ ...REQUIRED_PARAMS, ...params })],
    env,
  );
  if (code !== 0) throw new Error(`serverless package --stage prod failed:\n${output}`);
  const text = await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8');
  return { template: JSON.parse(text) as Template, text };
}
