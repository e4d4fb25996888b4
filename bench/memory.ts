import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { readMediaConfig } from '../lib/config';
import { encodeEntry } from '../lib/mediaFormat';
import { redisKeys } from '../lib/redis';
import type { LocalStack } from '../tools/stack';
import { MEMORY_CHILD, ROOT } from './paths';

/**
 * Memory of the media path for the largest file the service accepts. serverless-offline's
 * workers cannot be observed from here, so each measurement runs the handler in-process,
 * in its own fresh Node process: the peak is the kernel's high-water mark of resident
 * memory (getrusage maxRSS), the baseline is RSS after full GCs just before the call.
 */

export type MemoryScenario = 'json-base64-sha256' | 'send-handler' | 'fetch-handler';

export const MEMORY_SCENARIOS: Record<MemoryScenario, string> = {
  'json-base64-sha256': 'JSON.parse of a send body → Buffer.from(base64) → sha256',
  'send-handler': 'sendWhatsAppImageMessage handler: validate, SET to Redis, OMNI call to the sandbox',
  'fetch-handler': 'onGetImageMessage handler: GETEX from Redis, decode, base64 response body',
};

export interface MemoryInput {
  scenario: MemoryScenario;
  apiUrl: string;
  token: string;
  env: Record<string, string>;
  /** For fetch-handler: a file stored beforehand, so storing it does not count. */
  stored?: { id: string; sha256: string; bytes: number };
}

export interface MemoryMeasurement {
  scenario: MemoryScenario;
  fileBytes: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  peakIsExact: boolean;
  /** Heap + external still held after the call and two GCs: should be about zero. */
  retainedBytes: number;
  durationMs: number;
  check: string;
}

export interface MemoryResult {
  scenario: MemoryScenario;
  what: string;
  measurement?: MemoryMeasurement;
  error?: string;
}

const CHILD_TIMEOUT_MS = 120_000;

function runChild(input: MemoryInput): Promise<MemoryMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', MEMORY_CHILD], {
      cwd: ROOT,
      env: { ...process.env, BENCH_MEMORY_INPUT: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`no result within ${CHILD_TIMEOUT_MS / 1000} s`)));
    }, CHILD_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('message', (message: { measurement?: MemoryMeasurement; error?: string }) => {
      if (message.measurement) {
        const { measurement } = message;
        finish(() => resolve(measurement));
      } else finish(() => reject(new Error(message.error ?? 'unknown error')));
    });
    child.on('error', (error) => finish(() => reject(error)));
    child.on('exit', (code) => finish(() => reject(new Error(`exited with ${code} before reporting: ${output.trim().slice(-800)}`))));
  });
}

/**
 * Parks a file of the largest accepted size directly in Redis, in the format the media
 * store writes, so the fetch measurement starts with it there. Returns a cleanup.
 */
async function storeFile(stack: LocalStack, bytes: number) {
  const file = randomBytes(bytes);
  const id = randomUUID();
  const key = redisKeys.media(id);
  const redis = new IORedis(stack.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const value = encodeEntry({ kind: 'image', contentType: 'image/png', fileName: 'big.png', content: file.toString('base64') });
    await redis.set(key, value, 'EX', 300);
  } catch (error: unknown) {
    redis.disconnect();
    throw error;
  }
  const stored = { id, sha256: createHash('sha256').update(file).digest('hex'), bytes };
  const remove = async () => {
    await redis.del(key).finally(() => redis.disconnect());
  };
  return { stored, remove };
}

export async function measureMemory(stack: LocalStack): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  const input = { apiUrl: stack.apiUrl, token: stack.token, env: stack.env };
  for (const [scenario, what] of Object.entries(MEMORY_SCENARIOS) as [MemoryScenario, string][]) {
    let file: Awaited<ReturnType<typeof storeFile>> | undefined;
    try {
      if (scenario === 'fetch-handler') file = await storeFile(stack, readMediaConfig(stack.env).maxBytes);
      const measurement = await runChild({ ...input, scenario, stored: file?.stored });
      results.push({ scenario, what, measurement });
    } catch (error: unknown) {
      results.push({ scenario, what, error: error instanceof Error ? error.message : String(error) });
    } finally {
      await file?.remove();
    }
  }
  return results;
}
