/**
 * The files customers send, as Infobip serves them: Infobip's published OpenAPI specification
 * (v3.210.0), infobip-whatsapp-openapi.json, download-whatsapp-inbound-media
 * (`GET /whatsapp/1/senders/{sender}/media/{mediaId}`: 200 with the bytes, 302 "Redirect to
 * CDN URL for cached media", 404 "Media not found or expired") and get-whatsapp-media-metadata
 * (`HEAD` on the same path: 200 with `Content-Type` and `Content-Length`; no 302 is documented
 * for it, so HEAD always answers itself). Both take the API key and are throttled at 15
 * requests per second (their `x-throttling-info`), answered 429 `ApiException`.
 *
 * The CDN is a second HTTP server of the sandbox's own, on another port, so that a redirect
 * really changes host: a client that carries the key across it is caught (every CDN request
 * records whether an `Authorization` header came). Its paths are unguessable and take no key,
 * as a CDN's signed URL does; each 302 hands out one of its own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseForeignHost } from '../../localHostGuard';
import { takeQueued } from '../faultQueue';
import { describe, sha256 } from '../http';
import type { AddedInboundMedia, InboundMediaFaults, InboundMediaFile, InboundMediaRequest } from '../types';
import { peakPerSecond, SlidingWindow, writeBody, type StoredMedia } from './inboundMediaServe';

export interface InboundMediaHost {
  log(line: string): void;
  authorised(header: string | undefined): boolean;
  /** Infobip's `ApiException` body with the status, and one log line. */
  replyError(res: ServerResponse, what: string, status: number, text?: string): void;
  /** A wait that ends early when the sandbox closes. */
  sleep(ms: number): Promise<void>;
  /** The sandbox's base URL and its scenario sender, once it listens. */
  apiUrl(): string;
  defaultSender(): string;
  /** A request ended: wakes waitForInboundMediaRequests. */
  notify(): void;
}

const MEDIA_PATH = /^\/whatsapp\/1\/senders\/([^/]+)\/media\/([^/]+)$/;
const CDN_PATH = /^\/cdn\/([A-Za-z0-9_-]{43})$/;
const MISSING = 'Media not found or expired';
/** Infobip does not document how long it keeps a file; a month outlives any local session. */
const DEFAULT_EXPIRY_MS = 30 * 24 * 3600 * 1000;
/** Bounds a sandbox left running for days: the oldest files go first, and then answer 404. */
const MAX_STORED_BYTES = 512 * 1024 * 1024;
const MAX_REQUESTS_KEPT = 100_000;
/** CDN paths handed out; the oldest then answer 404, as an expired signed URL does. */
const MAX_GRANTS_KEPT = 100_000;
const PER_SECOND = 15;

type Fault = InboundMediaFaults & { times: number };
/** What one 302 handed out: the file, and the body faults that travel with it to the CDN. */
interface CdnGrant {
  mediaId: string;
  fault?: Fault;
}

export class InboundMedia {
  readonly requests: InboundMediaRequest[] = [];
  /** The requests whose answer has ended (sent, refused or cut), for the waiters. */
  readonly ended: InboundMediaRequest[] = [];
  private readonly files = new Map<string, StoredMedia>();
  private readonly grants = new Map<string, CdnGrant>();
  private readonly faults: Fault[] = [];
  /** The sandbox has one API key, so one window is the per-key limit. */
  private readonly window = new SlidingWindow(PER_SECOND, 1000);
  private storedBytes = 0;
  private epoch = 0;
  private readonly cdn: Server;
  private cdnUrl = '';

  constructor(private readonly host: InboundMediaHost) {
    this.cdn = createServer((req, res) => {
      if (refuseForeignHost(req, res)) return;
      this.serveCdn(req, res).catch((e: unknown) => {
        this.host.log(`cdn internal error: ${describe(e)}`);
        res.destroy();
      });
    });
  }

  async listen(hostname: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.cdn.once('error', reject);
      this.cdn.listen(0, hostname, () => resolve());
    });
    const { port } = this.cdn.address() as AddressInfo;
    this.cdnUrl = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
    this.host.log(`inbound media CDN on ${this.cdnUrl}`);
  }

  close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.cdn.close(() => resolve()));
    this.cdn.closeAllConnections();
    return stopped;
  }

  owns(method: string, pathname: string): boolean {
    return (method === 'GET' || method === 'HEAD') && MEDIA_PATH.test(pathname);
  }

  add(file: InboundMediaFile): AddedInboundMedia {
    if (!Buffer.isBuffer(file.bytes)) throw new TypeError('addInboundMedia: bytes must be a Buffer');
    if (!file.contentType?.trim()) throw new TypeError('addInboundMedia: contentType is required');
    const mediaId = randomUUID();
    const sender = file.sender ?? this.host.defaultSender();
    const bytes = Buffer.from(file.bytes);
    const hash = sha256(bytes).toString('hex');
    const expiresAt = Date.now() + (file.expiresInMs ?? DEFAULT_EXPIRY_MS);
    this.files.set(mediaId, { sender, bytes, contentType: file.contentType, via: file.via ?? 'direct', expiresAt });
    this.storedBytes += bytes.length;
    for (const [oldest, stored] of this.files) {
      if (this.storedBytes <= MAX_STORED_BYTES || oldest === mediaId) break;
      this.forget(oldest, stored);
    }
    const url = `${this.host.apiUrl()}/whatsapp/1/senders/${encodeURIComponent(sender)}/media/${mediaId}`;
    this.host.log(`inbound media ${mediaId}: ${bytes.length} bytes ${file.contentType} (${file.via ?? 'direct'}) sha256 ${hash}`);
    return { mediaId, url, sha256: hash };
  }

  addFaults(faults: InboundMediaFaults): void {
    this.faults.push({ ...faults, times: faults.times ?? 1 });
  }

  peakRate(): number {
    return peakPerSecond(this.requests.filter((r) => r.host === 'api').map((r) => r.at));
  }

  /** Forgets requests, faults and the rate window; files stay until they expire. */
  reset(): void {
    this.epoch += 1;
    this.requests.length = 0;
    this.ended.length = 0;
    this.faults.length = 0;
    this.window.clear();
    for (const grant of this.grants.values()) delete grant.fault;
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? 'GET';
    const [, rawSender = '', rawId = ''] = MEDIA_PATH.exec(pathname) ?? [];
    const sender = decoded(rawSender);
    const mediaId = decoded(rawId) ?? '';
    const entry = this.track(req, res, 'api', mediaId);
    const what = `${method} /whatsapp/1/senders/${rawSender}/media/${rawId}`;
    const refuse = (status: number, text?: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      this.host.replyError(res, what, status, text);
    };
    if (!this.host.authorised(req.headers.authorization)) return refuse(401);
    const retryAfter = this.window.admit(entry.at);
    if (retryAfter !== undefined) return refuse(429, undefined, { 'retry-after': String(retryAfter) });
    const fault = takeQueued(this.faults);
    if (fault?.slowMs) {
      await this.host.sleep(fault.slowMs);
      if (res.destroyed) return;
    }
    if (fault?.status !== undefined) return refuse(fault.status, undefined, fault.status === 429 ? { 'retry-after': '1' } : {});
    const file = sender === undefined || mediaId === '' ? undefined : this.live(mediaId);
    if (!file || file.sender !== sender) return refuse(404, MISSING);
    if (method === 'GET' && file.via === 'redirect') {
      const token = randomBytes(32).toString('base64url');
      this.grants.set(token, { mediaId, ...(fault ? { fault } : {}) });
      if (this.grants.size > MAX_GRANTS_KEPT) this.grants.delete(this.grants.keys().next().value as string);
      entry.status = 302;
      res.writeHead(302, { location: `${this.cdnUrl}/cdn/${token}`, 'content-length': 0 }).end();
      return this.host.log(`${what} -> 302 to the CDN`);
    }
    entry.status = 200;
    await writeBody(res, file, method, fault, (ms) => this.host.sleep(ms));
    this.host.log(`${what} -> 200 ${file.bytes.length} bytes${res.destroyed && method === 'GET' ? ' (cut)' : ''}`);
  }

  private async serveCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const token = CDN_PATH.exec((req.url ?? '').split('?')[0] ?? '')?.[1];
    const grant = token === undefined ? undefined : this.grants.get(token);
    const entry = this.track(req, res, 'cdn', grant?.mediaId ?? '');
    const file = grant && (method === 'GET' || method === 'HEAD') ? this.live(grant.mediaId) : undefined;
    const fault = grant?.fault;
    if (grant) delete grant.fault;
    if (!file || fault?.cdnFails) {
      if (fault?.cdnFails === 'reset') {
        res.destroy();
        return this.host.log(`cdn ${method} ${grant?.mediaId} -> connection reset (fault)`);
      }
      entry.status = file ? 500 : 404;
      res.writeHead(entry.status, { 'content-type': 'text/plain' }).end(file ? 'Internal Server Error' : 'Not Found');
      return this.host.log(`cdn ${method} ${grant?.mediaId ?? '(unknown path)'} -> ${entry.status}`);
    }
    entry.status = 200;
    await writeBody(res, file, method, fault, (ms) => this.host.sleep(ms));
    this.host.log(
      `cdn ${method} ${grant?.mediaId} -> 200 ${file.bytes.length} bytes${entry.withKey ? ' (an Authorization header came!)' : ''}`,
    );
  }

  private track(req: IncomingMessage, res: ServerResponse, host: 'api' | 'cdn', mediaId: string): InboundMediaRequest {
    const entry: InboundMediaRequest = {
      method: req.method ?? 'GET',
      mediaId,
      host,
      at: Date.now(),
      withKey: req.headers.authorization !== undefined,
      status: 0,
    };
    this.requests.push(entry);
    if (this.requests.length > MAX_REQUESTS_KEPT) this.requests.shift();
    const epoch = this.epoch;
    res.once('close', () => {
      // A status counts once its headers went out; a request reset() cut off is not the next test's.
      if (!res.headersSent) entry.status = 0;
      if (epoch !== this.epoch) return;
      this.ended.push(entry);
      if (this.ended.length > MAX_REQUESTS_KEPT) this.ended.shift();
      this.host.notify();
    });
    return entry;
  }

  /** The file while it has not expired; an expired one is dropped, as Infobip's copy is. */
  private live(mediaId: string): StoredMedia | undefined {
    const file = this.files.get(mediaId);
    if (file && file.expiresAt > Date.now()) return file;
    if (file) this.forget(mediaId, file);
    return undefined;
  }

  private forget(mediaId: string, file: StoredMedia): void {
    this.files.delete(mediaId);
    this.storedBytes -= file.bytes.length;
  }
}

function decoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
