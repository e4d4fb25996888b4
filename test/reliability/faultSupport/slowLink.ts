import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP link between the Upstash proxy and redis-server that a test can make slow or cut:
 * `slow` holds every chunk towards Redis for `delayMs` (in order: a slow Redis still runs
 * what it was sent, later), `down` refuses new connections and drops the open ones.
 */
export type LinkMode = { kind: 'pass' } | { kind: 'slow'; delayMs: number } | { kind: 'down' };

export interface SlowLink {
  url: string;
  set(mode: LinkMode): void;
  /** Resolves once every chunk held back so far has been passed on. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlowLink(target: { host: string; port: number }): Promise<SlowLink> {
  let mode: LinkMode = { kind: 'pass' };
  const sockets = new Set<Socket>();
  const pending = new Set<Promise<void>>();

  const server: Server = createServer((client) => {
    if (mode.kind === 'down') {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    sockets.add(client);
    sockets.add(upstream);
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      const delayMs = mode.kind === 'slow' ? mode.delayMs : 0;
      const due = Date.now() + delayMs;
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!upstream.destroyed) upstream.write(chunk);
      });
      const tracked = chain;
      pending.add(tracked);
      void tracked.finally(() => pending.delete(tracked));
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', () => void chain.then(closeBoth));
    upstream.on('close', closeBoth);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `redis://127.0.0.1:${port}`,
    set(next) {
      mode = next;
      if (next.kind === 'down') for (const socket of sockets) socket.destroy();
    },
    async drained() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
