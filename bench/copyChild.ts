/**
 * The copier (copyInboundMedia's shipped bundle) alone in its own Node process, for the
 * bench's copy part (bench/copy.ts). Built to plain JS by the bench, so the memory measured
 * is the function's. Each IPC message `{type: 'copy', request}` is one asynchronous invoke's
 * payload: the handler runs it, and the answer `{type: 'copied', outcome, error?, peakBytes,
 * maxRssBytes, rssBytes}` gives the RSS sampled every 2 ms while it ran (its peak) and the
 * kernel's peak since the process started.
 *
 * Run by bench/copy.ts: `node copyChild.js <bundle>`; it sends `{type: 'ready', rssBytes}`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../test/support/lambda';
import { isEsModule } from './shared';

export interface CopyChildReady {
  type: 'ready';
  rssBytes: number;
}

export interface CopyChildDone {
  type: 'copied';
  outcome?: unknown;
  error?: string;
  rssBytes: number;
  /** The highest RSS sampled while this copy ran. */
  peakBytes: number;
  /** The kernel's figure: the highest RSS since the process started. */
  maxRssBytes: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

async function main() {
  const [bundle] = process.argv.slice(2);
  if (bundle === undefined) throw new Error('usage: copyChild <bundle>');
  const mod = (isEsModule(bundle) ? await import(pathToFileURL(bundle).href) : createRequire(__filename)(bundle)) as {
    handler?: Handler;
  };
  const handler = mod.handler;
  if (typeof handler !== 'function') throw new Error(`${bundle} exports no handler`);
  let peakBytes = process.memoryUsage.rss();
  setInterval(() => {
    peakBytes = Math.max(peakBytes, process.memoryUsage.rss());
  }, 2).unref();
  const context = lambdaContext('bench-copy');
  process.on('message', (message: { type: string; request: unknown }) => {
    if (message.type !== 'copy') return;
    peakBytes = process.memoryUsage.rss();
    const answer = (result: { outcome?: unknown; error?: string }) => {
      const rssBytes = process.memoryUsage.rss();
      const done: CopyChildDone = {
        type: 'copied',
        ...result,
        rssBytes,
        peakBytes: Math.max(peakBytes, rssBytes),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
      process.send?.(done);
    };
    handler(message.request, context).then(
      (outcome) => answer({ outcome }),
      (error: unknown) => answer({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
    );
  });
  const ready: CopyChildReady = { type: 'ready', rssBytes: process.memoryUsage.rss() };
  process.send?.(ready);
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
