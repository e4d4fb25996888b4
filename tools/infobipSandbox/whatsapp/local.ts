/**
 * Local-only helpers of the sandbox, under `/sandbox/` (never one of Infobip's paths), for
 * `npm run simulate`, which runs as a process of its own:
 *
 * - `GET /sandbox/messages/{messageId}`: a WhatsApp API message the sandbox took
 *   (`{messageId, kind, from, to, choices: [{id, title, description?}]}`), 404 otherwise.
 * - `POST /sandbox/inbound/{messageId}`: remembers an inbound message the customer "sent",
 *   so mark-as-read accepts its id; 204.
 * - `POST /sandbox/inboundMedia[?via=redirect&sender=…&expiresInMs=…]`: keeps a file a customer
 *   "sent" (the body's raw bytes, of the request's `Content-Type`) as the sandbox's
 *   `addInboundMedia` does, served at Infobip's inbound media path; 201
 *   `{mediaId, url, sha256, contentType, size}`, `url` being what an inbound webhook carries.
 *   400 without a body or a `Content-Type`, 413 above WhatsApp's largest file (100 MB).
 *
 * They take no API key: the sandbox listens on 127.0.0.1 and these hold nothing secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBytes } from '../http';
import type { WhatsAppApi } from './api';
import type { InboundMedia } from './inboundMedia';

const MESSAGE = /^\/sandbox\/messages\/([^/]+)$/;
const INBOUND = /^\/sandbox\/inbound\/([^/]+)$/;
export const INBOUND_MEDIA_HELPER = '/sandbox/inboundMedia';
/** WhatsApp's largest file, a document. */
const MAX_INBOUND_MEDIA_BYTES = 100 * 1024 * 1024;

export function handleLocal(
  api: WhatsAppApi,
  res: ServerResponse,
  method: string,
  pathname: string,
  reply: (status: number, body: unknown) => void,
  log: (line: string) => void,
): void {
  const message = method === 'GET' ? MESSAGE.exec(pathname) : null;
  const inbound = method === 'POST' ? INBOUND.exec(pathname) : null;
  let id: string | undefined;
  try {
    id = decodeURIComponent((message ?? inbound)?.[1] ?? '');
  } catch {
    id = undefined;
  }
  if (!id) {
    reply(404, { error: `No such sandbox helper: ${method} ${pathname}` });
    return log(`${method} ${pathname} -> 404`);
  }
  if (inbound) {
    api.rememberInbound(id);
    res.writeHead(204).end();
    return log(`${method} /sandbox/inbound/${id} -> 204 (remembered for mark-as-read)`);
  }
  const found = api.message(id);
  if (!found) {
    reply(404, { error: `The sandbox took no WhatsApp API message ${id}` });
    return log(`${method} /sandbox/messages/${id} -> 404`);
  }
  reply(200, found);
  log(`${method} /sandbox/messages/${id} -> 200 ${found.kind}`);
}

/** `POST /sandbox/inboundMedia`: the body is the file, whose bytes the JSON helpers would mangle. */
export async function registerInboundMedia(
  media: InboundMedia,
  req: IncomingMessage,
  reply: (status: number, body: unknown) => void,
  log: (line: string) => void,
): Promise<void> {
  const what = `POST ${INBOUND_MEDIA_HELPER}`;
  const query = new URL(req.url ?? '/', 'http://sandbox').searchParams;
  let bytes: Buffer | undefined;
  try {
    bytes = await readBytes(req, MAX_INBOUND_MEDIA_BYTES);
  } catch {
    return; // The client hung up mid-body: nobody to answer.
  }
  const contentType = req.headers['content-type']?.trim();
  const via = query.get('via') ?? 'direct';
  const expiresInMs = query.get('expiresInMs');
  const problem =
    bytes === undefined
      ? `the file is over ${MAX_INBOUND_MEDIA_BYTES} bytes, WhatsApp's largest`
      : bytes.length === 0
        ? 'the body must be the file, and it is empty'
        : !contentType
          ? "a Content-Type must say the file's type"
          : !isVia(via)
            ? `via must be direct or redirect, not ${via}`
            : expiresInMs !== null && !/^\d+$/.test(expiresInMs)
              ? `expiresInMs must be a whole number of milliseconds, not ${expiresInMs}`
              : undefined;
  if (problem !== undefined || bytes === undefined || !contentType || !isVia(via)) {
    const status = bytes === undefined ? 413 : 400;
    reply(status, { error: problem });
    return log(`${what} -> ${status} ${problem}`);
  }
  const added = media.add({
    bytes,
    contentType,
    via,
    ...(query.get('sender') ? { sender: query.get('sender')! } : {}),
    ...(expiresInMs === null ? {} : { expiresInMs: Number(expiresInMs) }),
  });
  reply(201, { ...added, contentType, size: bytes.length });
  log(`${what} -> 201 mediaId=${added.mediaId}`);
}

const isVia = (value: string): value is 'direct' | 'redirect' => value === 'direct' || value === 'redirect';
