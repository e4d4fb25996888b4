/**
 * The warm loop of one function, in its own Node process (started by bench/warm.ts, stdout
 * to /dev/null: every invocation writes its runbook lines there, as in production). It
 * loads the shipped bundle once and, per route, alternates blocks of handler invocations
 * with blocks of the direct baseline (the same I/O, bare `fetch`), so that both see the
 * same moments of a shared machine. Built to plain JS by the bench: no TypeScript loader
 * runs here, so the peak RSS is the function's (plus this small loop).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../test/support/lambda';
import { evaluatedClients, ID_PLACEHOLDER, isEsModule } from './shared';
import { percentile, round } from './stats';

/** One HTTP request of a baseline; `ID_PLACEHOLDER` in the body becomes the invocation's id. */
export interface Step {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Requests the handler makes at the same time as this one (the window's ZSCORE beside a send), awaited with it. */
  alongside?: Omit<Step, 'alongside'>[];
}

export type Command =
  | { type: 'load'; bundle: string; idPrefix: string }
  | { type: 'invoke'; event: string }
  | { type: 'loop'; event: string; baseline: Step[]; iterations: number; warmup: number; block: number }
  | { type: 'probe'; bundle: string; event: string }
  | { type: 'done' };

export interface Latency {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: number;
  firstError?: string;
}

export type Reply =
  | { type: 'loaded'; rssBytes: number }
  | { type: 'invoked'; statusCode: number; body: string; id: string; ms: number }
  | { type: 'looped'; handler: Latency; baseline: Latency; mediaIds: string[] }
  | { type: 'probed'; evaluated: string[]; statusCode: number }
  | { type: 'done'; maxRssBytes: number; rssBytes: number }
  | { type: 'error'; message: string };

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode?: number; body?: string } | undefined>;

const load = createRequire(__filename);
let handler: Handler | undefined;
let idPrefix = 'bench-';
let counter = 0;
const context = lambdaContext('bench');

const nextId = () => `${idPrefix}${(counter += 1)}`;
const withId = (template: string, id: string) => template.split(ID_PLACEHOLDER).join(id);

/** As Lambda's Node runtime loads it: import() of an ES module, require() of a CommonJS one. */
async function loadHandler(bundle: string): Promise<Handler> {
  const mod = (isEsModule(bundle) ? await import(pathToFileURL(bundle).href) : load(bundle)) as { handler?: Handler };
  if (typeof mod.handler !== 'function') throw new Error(`${bundle} exports no handler`);
  return mod.handler;
}

async function invoke(fn: Handler, template: string) {
  const id = nextId();
  const event: unknown = JSON.parse(withId(template, id));
  const started = performance.now();
  const result = await fn(event, context);
  return { ms: performance.now() - started, statusCode: result?.statusCode ?? 0, body: result?.body ?? '', id };
}

async function baseline(steps: Step[]) {
  const id = nextId();
  const requestOf = (s: Omit<Step, 'alongside'>) => ({
    url: s.url,
    init: { method: s.method, headers: s.headers, body: s.body === undefined ? undefined : withId(s.body, id) },
  });
  const requests = steps.map((s) => [requestOf(s), ...(s.alongside ?? []).map(requestOf)]);
  let failure: string | undefined;
  const one = async ({ url, init }: ReturnType<typeof requestOf>) => {
    const res = await fetch(url, init);
    const text = await res.text();
    if (!res.ok && failure === undefined) failure = `${res.status} ${text.slice(0, 200)}`;
  };
  const started = performance.now();
  for (const together of requests) await Promise.all(together.map(one));
  return { ms: performance.now() - started, failure };
}

class Samples {
  readonly ms: number[] = [];
  errors = 0;
  firstError?: string;
  add(ms: number, failure?: string) {
    this.ms.push(ms);
    if (failure !== undefined) {
      this.errors += 1;
      this.firstError ??= failure;
    }
  }
  latency(): Latency {
    const mean = this.ms.reduce((a, b) => a + b, 0) / Math.max(1, this.ms.length);
    return {
      n: this.ms.length,
      p50Ms: round(percentile(this.ms, 50), 3),
      p99Ms: round(percentile(this.ms, 99), 3),
      meanMs: round(mean, 3),
      errors: this.errors,
      ...(this.firstError === undefined ? {} : { firstError: this.firstError }),
    };
  }
}

const mediaIdOf = (body: string) => {
  try {
    const id = (JSON.parse(body) as { mediaId?: unknown }).mediaId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

async function loop(fn: Handler, c: Extract<Command, { type: 'loop' }>): Promise<Reply> {
  const handlerSamples = new Samples();
  const baselineSamples = new Samples();
  const mediaIds: string[] = [];
  const oneHandler = async (keep: boolean) => {
    const r = await invoke(fn, c.event);
    const mediaId = mediaIdOf(r.body);
    if (mediaId) mediaIds.push(mediaId);
    const failure = r.statusCode >= 200 && r.statusCode < 300 ? undefined : `${r.statusCode} ${r.body.slice(0, 200)}`;
    if (keep) handlerSamples.add(r.ms, failure);
  };
  const oneBaseline = async (keep: boolean) => {
    const r = await baseline(c.baseline);
    if (keep) baselineSamples.add(r.ms, r.failure);
  };
  for (let i = 0; i < c.warmup; i += 1) {
    await oneHandler(false);
    await oneBaseline(false);
  }
  while (handlerSamples.ms.length < c.iterations) {
    const n = Math.min(c.block, c.iterations - handlerSamples.ms.length);
    for (let i = 0; i < n; i += 1) await oneHandler(true);
    for (let i = 0; i < n; i += 1) await oneBaseline(true);
  }
  return { type: 'looped', handler: handlerSamples.latency(), baseline: baselineSamples.latency(), mediaIds };
}

async function run(c: Command): Promise<Reply> {
  switch (c.type) {
    case 'load':
      idPrefix = c.idPrefix;
      handler = await loadHandler(c.bundle);
      return { type: 'loaded', rssBytes: process.memoryUsage().rss };
    case 'invoke': {
      if (!handler) throw new Error('not loaded');
      const r = await invoke(handler, c.event);
      return { type: 'invoked', statusCode: r.statusCode, body: r.body, id: r.id, ms: r.ms };
    }
    case 'loop':
      if (!handler) throw new Error('not loaded');
      return loop(handler, c);
    case 'probe': {
      // A second copy of the function, built with evaluation marks: after one invocation,
      // which AWS SDK clients has it run?
      const r = await invoke(await loadHandler(c.bundle), c.event);
      return { type: 'probed', evaluated: evaluatedClients(load.cache), statusCode: r.statusCode };
    }
    case 'done':
      return { type: 'done', maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: process.memoryUsage().rss };
  }
}

if (!process.send) throw new Error('bench/warmChild is started by bench/warm.ts');
process.on('message', (c: Command) => {
  run(c).then(
    (reply) => process.send?.(reply, () => (c.type === 'done' ? process.exit(0) : undefined)),
    (error: unknown) =>
      process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
