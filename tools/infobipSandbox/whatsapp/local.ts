/**
 * Local-only helpers of the sandbox, under `/sandbox/` (never one of Infobip's paths), for
 * `npm run simulate`, which runs as a process of its own:
 *
 * - `GET /sandbox/messages/{messageId}`: a WhatsApp API message the sandbox took
 *   (`{messageId, kind, from, to, choices: [{id, title, description?}]}`), 404 otherwise.
 * - `POST /sandbox/inbound/{messageId}`: remembers an inbound message the customer "sent",
 *   so mark-as-read accepts its id; 204.
 *
 * They take no API key: the sandbox listens on 127.0.0.1 and these hold nothing secret.
 */
import type { ServerResponse } from 'node:http';
import type { WhatsAppApi } from './api';

const MESSAGE = /^\/sandbox\/messages\/([^/]+)$/;
const INBOUND = /^\/sandbox\/inbound\/([^/]+)$/;

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
