import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * An Infobip that breaks below HTTP, where the sandbox cannot: it reads the request, then
 * either answers 200 with a body cut off half way (Content-Length promises more than is
 * sent before the connection closes) or resets the connection (TCP RST). It records the
 * Authorization header of each request it got, so a test can tell the key did arrive.
 */
export type Breakage = 'truncated' | 'reset';

export interface BrokenInfobip {
  url: string;
  breakage: Breakage;
  authorizations: string[];
  close(): Promise<void>;
}

const HALF_A_RESPONSE = '{"messages":[{"to":{"phoneNumber":"39123456789"},"status":{"groupId":1,';

export async function startBrokenInfobip(breakage: Breakage): Promise<BrokenInfobip> {
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const auth = /^authorization:\s*(.*)$/im.exec(head)?.[1];
      if (auth !== undefined) authorizations.push(auth.trim());
      if (breakage === 'reset') {
        socket.resetAndDestroy();
        return;
      }
      socket.end(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
          `content-length: ${HALF_A_RESPONSE.length * 2}\r\nconnection: close\r\n\r\n${HALF_A_RESPONSE}`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    breakage,
    authorizations,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
