import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The cheapest possible ctlive for `CTLIVE_TARGET`: it answers 200 at once and counts
 * events, so the webhook scenarios measure IMChannel, not a simulated ctlive.
 */
export interface CtliveStub {
  url: string;
  /** Events received since the last reset. */
  readonly received: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCtliveStub(): Promise<CtliveStub> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') received += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    get received() {
      return received;
    },
    reset() {
      received = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
