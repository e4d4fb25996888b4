import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An Infobip that fails the way a real one can, in front of the sandbox: each OMNI send is
 * given a fault by `decide`, and the fault says whether the sandbox gets the message (so
 * that it really is sent, reported and in the logs) and what the caller then sees. The
 * message logs (`GET /omni/1/logs`) pass through, or fail with a 503 when `decideLookup`
 * says so. Every decision is counted, so a test can report the matrix it ran.
 */
export type SendFault =
  | 'pass'
  /** Taken by Infobip, answered only after the caller's timeout. */
  | 'slowAfterTaking'
  /** Never taken, and no answer before the caller's timeout. */
  | 'slowNotTaken'
  /** Taken, then the connection is reset instead of the answer. */
  | 'resetAfterTaking'
  /** The request is read, then the connection is reset; never taken. */
  | 'resetNotTaken'
  /** Infobip's API answers 500 in its own error shape: not taken. */
  | 'error500'
  /** Taken, then a gateway in front of the API answers 502 with an HTML page. */
  | 'gateway502AfterTaking'
  /** 429 with Retry-After, in Infobip's error shape: not taken. */
  | 'rateLimited';

export const SEND_FAULTS: readonly SendFault[] = [
  'pass',
  'slowAfterTaking',
  'slowNotTaken',
  'resetAfterTaking',
  'resetNotTaken',
  'error500',
  'gateway502AfterTaking',
  'rateLimited',
];

export interface FaultyInfobip {
  url: string;
  counts: Record<SendFault | 'lookup' | 'lookupFailed', number>;
  close(): Promise<void>;
}

const errorBody = (messageId: string, text: string) =>
  JSON.stringify({ requestError: { serviceException: { messageId, text } } });

export async function startFaultyInfobip(options: {
  /** The sandbox's base URL. */
  target: string;
  /** How long a slow answer is held: past the Infobip client's timeout. */
  holdMs: number;
  decide: () => SendFault;
  decideLookup: () => boolean;
}): Promise<FaultyInfobip> {
  const counts = Object.fromEntries(
    [...SEND_FAULTS, 'lookup', 'lookupFailed'].map((name) => [name, 0]),
  ) as FaultyInfobip['counts'];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const forward = async (req: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const response = await fetch(`${options.target}${req.url ?? '/'}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? new Uint8Array(body) : undefined,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? 'application/json',
      text: await response.text(),
    };
  };
  const answer = (
    res: ServerResponse,
    status: number,
    text: string,
    type = 'application/json',
    extra: Record<string, string> = {},
  ) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': type, ...extra });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (req.method === 'GET' && (req.url ?? '').startsWith('/omni/1/logs')) {
      counts.lookup += 1;
      if (options.decideLookup()) {
        counts.lookupFailed += 1;
        return answer(res, 503, errorBody('SERVICE_UNAVAILABLE', 'Service temporarily unavailable'));
      }
      const got = await forward(req, body);
      return answer(res, got.status, got.text, got.type);
    }
    const fault = options.decide();
    counts[fault] += 1;
    switch (fault) {
      case 'pass': {
        const got = await forward(req, body);
        return answer(res, got.status, got.text, got.type);
      }
      case 'slowAfterTaking': {
        const got = await forward(req, body);
        await hold(options.holdMs);
        return answer(res, got.status, got.text, got.type);
      }
      case 'slowNotTaken':
        await hold(options.holdMs);
        return answer(res, 504, '<html><body>504 Gateway Time-out</body></html>', 'text/html');
      case 'resetAfterTaking':
        await forward(req, body);
        return req.socket.resetAndDestroy();
      case 'resetNotTaken':
        return req.socket.resetAndDestroy();
      case 'error500':
        return answer(res, 500, errorBody('GENERAL_ERROR', 'Something went wrong. Please contact support.'));
      case 'gateway502AfterTaking':
        await forward(req, body);
        return answer(res, 502, '<html><body>502 Bad Gateway</body></html>', 'text/html');
      case 'rateLimited':
        return answer(res, 429, errorBody('TOO_MANY_REQUESTS', 'Too many requests'), 'application/json', { 'retry-after': '1' });
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.destroyed) res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
