/**
 * One fetch function's streaming path, on its own in this process, for the peak-memory
 * figure of bench/streamMemory.ts: the same code the Function URL runs on AWS
 * (`wireMediaFetch`), served as the local stack's streaming route serves it, with this
 * process's RSS sampled every 2 ms. `GET /__rss` answers `{baselineBytes, peakBytes}` and
 * starts a new peak.
 *
 * Run by bench/streamMemory.ts: `node --import tsx bench/streamChild.ts <port>`.
 */
import { createServer } from 'node:http';
import type { Context } from 'aws-lambda';
import { wireMediaFetch } from '../lib/media/fetch';
import { functionUrlEvent } from '../tools/streamServer';

function main() {
  const port = Number(process.argv[2]);
  const wired = wireMediaFetch('document');
  const baselineBytes = process.memoryUsage.rss();
  let peakBytes = baselineBytes;
  setInterval(() => {
    peakBytes = Math.max(peakBytes, process.memoryUsage.rss());
  }, 2).unref();
  const server = createServer((req, res) => {
    if (req.url === '/__rss') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ baselineBytes, peakBytes }));
      peakBytes = process.memoryUsage.rss();
      return;
    }
    const open = (statusCode: number, headers: Record<string, string>) => {
      res.writeHead(statusCode, headers);
      return res;
    };
    void wired({ event: functionUrlEvent(req, req.headers.host ?? ''), open }, {} as Context);
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main();
