/**
 * What the WhatsApp API tests of the sandbox share: a real HTTP server standing in for
 * IMChannel's media and report routes, and a client for the sandbox's `/whatsapp/1` paths.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InfobipSandbox } from '../../tools/infobipSandbox';

export const WA_API_KEY = 'test-key-whatsapp-0123456789';
export const SENDER = '44123456789';

export interface Hit {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Serves `files` by path (HEAD and GET, as a media route does), 404 for `/missing…`, and 200 to anything else. */
export async function startFileHost(files: Record<string, { type: string; bytes: Buffer }>) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      hits.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const file = files[path];
      if (file === undefined) return res.writeHead(path.startsWith('/missing') ? 404 : 200).end();
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length });
      res.end(req.method === 'HEAD' ? undefined : file.bytes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, hits, close };
}

export interface WaAnswer {
  status: number;
  text: string;
  json: Record<string, unknown> & {
    requestError?: { serviceException: { messageId: string; text: string; validationErrors?: Record<string, string[]> } };
  };
}

export async function postWhatsApp(
  sandbox: InfobipSandbox,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<WaAnswer> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { authorization: `App ${WA_API_KEY}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: WaAnswer['json'] = {};
  try {
    json = JSON.parse(text) as WaAnswer['json'];
  } catch {
    // 204 and non-JSON answers keep {}.
  }
  return { status: res.status, text, json };
}

export const errorsOf = (answer: WaAnswer): Record<string, string[]> =>
  answer.json.requestError?.serviceException.validationErrors ?? {};

/** A minimal WebP header: RIFF, WEBP, a VP8X chunk whose flags say animated or not, then padding. */
export function webp(bytes: number, animated: boolean): Buffer {
  const out = Buffer.alloc(bytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(bytes - 8, 4);
  out.write('WEBP', 8, 'latin1');
  out.write('VP8X', 12, 'latin1');
  out.writeUInt32LE(10, 16);
  out[20] = animated ? 0x02 : 0;
  return out;
}
