/**
 * The streaming fetch of one shipped fetch bundle, alone in its own Node process, for the
 * bench's peak-memory part (bench/stream.ts). Built to plain JS by the bench: no
 * TypeScript loader runs here, so the memory is the function's (plus this small server).
 *
 * Before the bundle loads, `globalThis.awslambda` gets a stand-in for what Lambda's Node.js
 * runtime provides for response streaming (`streamifyResponse`, `HttpResponseStream.from`),
 * so the bundle takes its production path (lib/media/fetch.ts, `startMediaFetch`) exactly
 * as on a Function URL whose invoke mode is RESPONSE_STREAM; the stand-in writes the status
 * and headers to the HTTP response where the runtime writes its prelude. A bundle that does
 * not take that path is an error, not a figure.
 *
 * Its own RSS is sampled every 2 ms; `GET /__rss` answers `{rssBytes, peakBytes,
 * maxRssBytes}` (the sampled peak since the last ask, and the kernel's peak since the
 * process started) and starts a new sampled peak. Everything else is a Function URL request.
 *
 * Run by bench/stream.ts: `node streamChild.js <bundle> <port>`; it sends `{type: 'ready',
 * rssBytes}` over IPC once it listens.
 */
import { createServer, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../test/support/lambda';
import { functionUrlEvent } from '../tools/functionUrlEvent';
import { isEsModule } from './shared';

export interface StreamChildReady {
  type: 'ready';
  rssBytes: number;
}

export interface StreamChildRss {
  rssBytes: number;
  /** The highest RSS sampled since the previous ask. */
  peakBytes: number;
  /** The kernel's figure: the highest RSS since the process started (getrusage). */
  maxRssBytes: number;
}

type StreamingHandler = ((event: unknown, stream: Writable, context: unknown) => Promise<void>) & { [STREAMING]?: true };

const STREAMING = Symbol.for('imchannel.bench.streamified');

(globalThis as Record<string, unknown>).awslambda = {
  streamifyResponse: (handler: StreamingHandler) => Object.assign(handler, { [STREAMING]: true as const }),
  HttpResponseStream: {
    from(stream: Writable, metadata: { statusCode: number; headers: Record<string, string> }) {
      (stream as ServerResponse).writeHead(metadata.statusCode, metadata.headers);
      return stream;
    },
  },
};

async function main() {
  const [bundle, portText] = process.argv.slice(2);
  if (bundle === undefined || portText === undefined) throw new Error('usage: streamChild <bundle> <port>');
  const mod = (isEsModule(bundle) ? await import(pathToFileURL(bundle).href) : createRequire(__filename)(bundle)) as {
    handler?: StreamingHandler;
  };
  const handler = mod.handler;
  if (typeof handler !== 'function' || handler[STREAMING] !== true) {
    throw new Error(
      `${bundle} did not wrap its handler in awslambda.streamifyResponse: the fetch is not streaming (MEDIA_BUCKET set, MEDIA_FETCH_MODE=stream, IS_OFFLINE unset?)`,
    );
  }
  let peakBytes = process.memoryUsage.rss();
  setInterval(() => {
    peakBytes = Math.max(peakBytes, process.memoryUsage.rss());
  }, 2).unref();
  const context = lambdaContext('bench-stream');
  const server = createServer((req, res) => {
    if (req.url === '/__rss') {
      const rssBytes = process.memoryUsage.rss();
      const answer: StreamChildRss = {
        rssBytes,
        peakBytes: Math.max(peakBytes, rssBytes),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
      peakBytes = rssBytes;
      return;
    }
    handler(functionUrlEvent(req, req.headers.host ?? ''), res, context).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(error) }));
    });
  });
  server.listen(Number(portText), '127.0.0.1', () => {
    const ready: StreamChildReady = { type: 'ready', rssBytes: process.memoryUsage.rss() };
    process.send?.(ready);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
