import autocannon from 'autocannon';
import type { LocalStack } from '../tools/stack';
import { webhookAuthOf } from '../tools/stack';
import { harvest, type BenchLeftovers } from './cleanup';
import type { CtliveStub } from './ctliveStub';
import { gradientPng } from './png';

/**
 * Latency and throughput over real HTTP on 127.0.0.1, against the whole local stack:
 * serverless-offline running the bundled functions, the Upstash proxy in front of a real
 * Redis, the Infobip sandbox. Every scenario is bounded (fixed duration, ≤ 10 connections).
 */

export const CONNECTIONS = 10;
export const DURATION_SECONDS = 5;
/** Requests per connection before measuring: serverless-offline starts one worker per concurrent call. */
const WARMUP_PER_CONNECTION = 3;

export interface ScenarioResult {
  name: string;
  request: string;
  /** Informational only: timing on a shared machine is noisy, so it never fails the bench. */
  targetP99Ms: number;
  measured: boolean;
  note?: string;
  requests?: number;
  requestsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  non2xx?: number;
  errors?: number;
  statusCodes?: Record<string, number>;
}

export interface HttpReport {
  connections: number;
  durationSeconds: number;
  scenarios: ScenarioResult[];
}

interface Probe {
  status: number;
  json: unknown;
  text: string;
}

async function probe(url: string, init: RequestInit): Promise<Probe> {
  // The first call of each function is a cold start: bundle load and config checks.
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

function field(json: unknown, name: string): string | undefined {
  const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Waits until a counter stops moving (half a second unchanged), for at most 15 s. */
async function quiet(count: () => number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = -1;
  while (Date.now() < deadline && count() !== last) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Between scenarios: each send makes the sandbox fetch the file and post a delivery report
 * back through the API, as Infobip does; let that finish, then start from empty records.
 */
export async function settle(stack: LocalStack, stub: CtliveStub, leftovers: BenchLeftovers): Promise<void> {
  await quiet(() => stack.sandbox.mediaFetches.length + stack.sandbox.deliveryReports.length + stub.received);
  harvest(stack, leftovers);
  stack.sandbox.reset();
  stub.reset();
}

async function load(url: string, request: autocannon.Request, afterWarmup?: () => void): Promise<autocannon.Result> {
  await autocannon({ url, connections: CONNECTIONS, amount: CONNECTIONS * WARMUP_PER_CONNECTION, timeout: 60, requests: [request] });
  afterWarmup?.();
  return autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS, timeout: 10, requests: [request] });
}

function summarise(base: ScenarioResult, result: autocannon.Result): ScenarioResult {
  const completed = result['2xx'] + result.non2xx;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    ...base,
    measured: true,
    requests: completed,
    requestsPerSecond: completed / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
  };
}

const skipped = (base: ScenarioResult, note: string): ScenarioResult => ({ ...base, measured: false, note });

function unexpected(base: ScenarioResult, answer: Probe): ScenarioResult {
  return skipped(base, `not measured: the first request answered ${answer.status} ${answer.text.slice(0, 160)}`);
}

function inboundText(messageId: string): string {
  return JSON.stringify({
    results: [
      {
        from: '39123456789',
        to: '44123456789',
        integrationType: 'WHATSAPP',
        receivedAt: '2025-02-27T15:44:57.000+0000',
        messageId,
        message: { text: 'bench', type: 'TEXT' },
        contact: { name: 'B' },
      },
    ],
    messageCount: 1,
    pendingMessageCount: 0,
  });
}

function webhookHeaders(env: Record<string, string>): Record<string, string> {
  const auth = webhookAuthOf(env);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.basic) {
    headers.authorization = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
  }
  if (auth.header) headers[auth.header.name.toLowerCase()] = auth.header.value;
  return headers;
}

export async function runHttpScenarios(stack: LocalStack, stub: CtliveStub, leftovers: BenchLeftovers): Promise<HttpReport> {
  const scenarios: ScenarioResult[] = [];
  const bearer = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  await settle(stack, stub, leftovers);

  // 1. Outbound text.
  const text: ScenarioResult = { name: 'sendMessage', request: 'POST /sendMessage (text)', targetP99Ms: 200, measured: false };
  const textBody = JSON.stringify({ to: '39123456789', text: 'bench' });
  const textProbe = await probe(`${stack.apiUrl}/sendMessage`, { method: 'POST', headers: bearer, body: textBody });
  if (textProbe.status !== 200) scenarios.push(unexpected(text, textProbe));
  else scenarios.push(summarise(text, await load(`${stack.apiUrl}/sendMessage`, { method: 'POST', headers: bearer, body: textBody })));
  await settle(stack, stub, leftovers);

  // 2. Outbound image, and 3. Infobip fetching a stored file.
  const png = gradientPng();
  const imageBody = JSON.stringify({ to: '39123456789', fileName: 'b.png', contentType: 'image/png', content: png.toString('base64') });
  const image: ScenarioResult = {
    name: 'sendWhatsAppImageMessage',
    request: `POST /sendWhatsAppImageMessage (${png.length} B PNG)`,
    targetP99Ms: 300,
    measured: false,
  };
  const fetchFile: ScenarioResult = {
    name: 'onGetImageMessage',
    request: `GET /getImageMessage/{id} (${png.length} B PNG)`,
    targetP99Ms: 100,
    measured: false,
  };
  const url = `${stack.apiUrl}/sendWhatsAppImageMessage`;
  const imageProbe = await probe(url, { method: 'POST', headers: bearer, body: imageBody });
  const storedId = field(imageProbe.json, 'mediaId');
  if (imageProbe.status === 404) {
    scenarios.push(skipped(image, 'skipped: the route answers 404 (not deployed yet)'));
    scenarios.push(skipped(fetchFile, 'skipped: no file can be stored without sendWhatsAppImageMessage'));
  } else if (imageProbe.status !== 200 || !storedId) {
    scenarios.push(unexpected(image, imageProbe));
    scenarios.push(skipped(fetchFile, 'skipped: the file to fetch could not be stored'));
  } else {
    scenarios.push(summarise(image, await load(url, { method: 'POST', headers: bearer, body: imageBody })));
    await settle(stack, stub, leftovers);

    const fileUrl = `${stack.apiUrl}/getImageMessage/${storedId}`;
    const fileProbe = await probe(fileUrl, { method: 'GET' });
    if (fileProbe.status !== 200) scenarios.push(unexpected(fetchFile, fileProbe));
    else scenarios.push(summarise(fetchFile, await load(fileUrl, { method: 'GET' })));
  }
  await settle(stack, stub, leftovers);

  // 4. Inbound text from Infobip, forwarded to the ctlive stub; a fresh messageId each time,
  // or de-duplication would answer every request after the first without forwarding.
  const inbound: ScenarioResult = { name: 'onMessage', request: 'POST /onMessage (inbound TEXT)', targetP99Ms: 200, measured: false };
  let sequence = 0;
  const nextId = () => `${leftovers.webhookMessageIdPrefix}${(sequence += 1)}`;
  const headers = webhookHeaders(stack.env);
  const inboundUrl = `${stack.apiUrl}/onMessage`;
  const inboundProbe = await probe(inboundUrl, { method: 'POST', headers, body: inboundText(nextId()) });
  if (inboundProbe.status === 404) scenarios.push(skipped(inbound, 'skipped: the route answers 404 (not deployed yet)'));
  else if (inboundProbe.status !== 200) scenarios.push(unexpected(inbound, inboundProbe));
  else {
    const request: autocannon.Request = {
      method: 'POST',
      headers,
      setupRequest: (raw) => ({ ...raw, body: inboundText(nextId()) }),
    };
    const result = summarise(inbound, await load(inboundUrl, request, () => stub.reset()));
    // A forward completes before its 200, so the stub may be ahead by the requests in flight at the end.
    const answered = result.statusCodes?.['200'] ?? 0;
    await quiet(() => stub.received);
    const forwarded = stub.received;
    result.note =
      forwarded >= answered && forwarded <= answered + CONNECTIONS
        ? `each 200 was forwarded to the ctlive stub (${forwarded} events)`
        : `MISMATCH: ${answered} answers 200 but the ctlive stub received ${forwarded} events`;
    scenarios.push(result);
  }
  await settle(stack, stub, leftovers);
  return { connections: CONNECTIONS, durationSeconds: DURATION_SECONDS, scenarios };
}
