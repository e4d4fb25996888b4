/**
 * The local stack's S3: s3rver (a real S3-compatible HTTP server that keeps objects on
 * disk, the one serverless-s3-local runs), in this process, on 127.0.0.1, with its objects in
 * a fresh temporary folder that stop() removes.
 *
 * s3rver checks a presigned URL's expiry but not its Signature Version 4 signature
 * ("Signature version 4 calculation is unimplemented" in its authentication middleware),
 * so S3 would refuse what s3rver takes: a PUT whose Content-Length or Content-Type differs
 * from the ones signed. A front in this file recomputes every signature with the same
 * maintained signer IMChannel uses (aws4fetch) and refuses a mismatch with S3's own 403
 * SignatureDoesNotMatch, so the local upload is as strict as S3 there. s3rver also ignores
 * `x-amz-checksum-sha256`; the front hashes such a PUT's body as s3rver stores it and, when
 * the digest differs, deletes the object and answers S3's 400 BadDigest instead. s3rver
 * also answers a PUT before its file is on disk; the front holds that 200 until it is, so
 * the local S3 reads its own writes as S3 does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { refuseForeignHost } from './localHostGuard';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsV4Signer } from 'aws4fetch';
import { INFOBIP_MEDIA_LIMITS, type ObjectStorageConfig } from '../lib/platform/config';
// s3rver ships no types of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  configureBuckets(): Promise<void>;
  store: {
    deleteObject(bucket: string, key: string): Promise<unknown>;
    getResourcePath(bucket: string, key: string, resource: string): string;
  };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
};

export interface LocalS3 {
  /** The endpoint (path-style: `<url>/<bucket>/<key>`). */
  url: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Where s3rver keeps the objects. */
  directory: string;
  /** Requests refused by the signature check, for tests. */
  refused: { method: string; path: string; reason: string }[];
  /** Every request, in order (method and path), for tests. */
  requests: { method: string; path: string }[];
  /** The faults in force, changeable while it runs (the reliability tests). */
  faults: { delayMs: number; refuseAll: boolean };
  close(): Promise<void>;
}

export interface LocalS3Options {
  port?: number;
  bucket?: string;
  /** Answer every request after this many ms (a slow S3), for the reliability tests. */
  delayMs?: number;
  /** Answer every request 503 SlowDown (an S3 refusing), for the reliability tests. */
  refuseAll?: boolean;
}

const REGION = 'us-east-1';

function s3Error(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** The signature S3 would compute for this request, or why it cannot be checked. */
async function expectedSignature(
  req: IncomingMessage,
  secretAccessKey: string,
): Promise<{ given: string; expected: string } | string> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const query = url.searchParams.get('X-Amz-Signature');
  const authorization = req.headers.authorization;
  const fields = query
    ? {
        credential: url.searchParams.get('X-Amz-Credential') ?? '',
        signedHeaders: url.searchParams.get('X-Amz-SignedHeaders') ?? '',
        datetime: url.searchParams.get('X-Amz-Date') ?? '',
        given: query,
      }
    : (() => {
        const parts = Object.fromEntries(
          (authorization ?? '')
            .replace(/^AWS4-HMAC-SHA256\s+/, '')
            .split(/,\s*/)
            .map((part) => part.split('=') as [string, string]),
        );
        return {
          credential: parts.Credential ?? '',
          signedHeaders: parts.SignedHeaders ?? '',
          datetime: String(req.headers['x-amz-date'] ?? ''),
          given: parts.Signature ?? '',
        };
      })();
  const [accessKeyId, , region, service] = fields.credential.split('/');
  if (!accessKeyId || !region || !service) return 'malformed credential';
  const headers: Record<string, string> = {};
  for (const name of fields.signedHeaders.split(';')) {
    if (name === 'host' || name === '') continue;
    const value = req.headers[name];
    if (value === undefined) return `signed header ${name} missing from the request`;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  if (query) url.searchParams.delete('X-Amz-Signature');
  const signed = await new AwsV4Signer({
    method: req.method ?? 'GET',
    url: url.toString(),
    headers,
    accessKeyId,
    secretAccessKey,
    region,
    service,
    datetime: fields.datetime,
    signQuery: Boolean(query),
    allHeaders: true,
  }).sign();
  const expected = query
    ? (signed.url.searchParams.get('X-Amz-Signature') ?? '')
    : (/Signature=([0-9a-f]+)/.exec(signed.headers.get('authorization') ?? '')?.[1] ?? '');
  return { given: fields.given, expected };
}

export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'imchannel-s3-'));
  const bucket = options.bucket ?? 'imchannel-local-media';
  // A key pair of this run only: nothing fixed that a developer might copy elsewhere.
  const accessKeyId = `LOCAL${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket }], vhostBuckets: false });
  await s3rver.configureBuckets();
  const app = s3rver.callback();
  const refused: LocalS3['refused'] = [];
  const requests: LocalS3['requests'] = [];
  const faults = { delayMs: options.delayMs ?? 0, refuseAll: options.refuseAll ?? false };

  /** Hashes the body as s3rver reads it; holds back s3rver's 200 until the digest is known to match. */
  const checkDigestOf = (req: IncomingMessage, res: ServerResponse, declared: string) => {
    const hash = createHash('sha256');
    // Every 'data' listener sees every chunk: s3rver's pipe, added later, resumes the stream.
    req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.pause();
    const [bucketName = '', ...keyParts] = (req.url ?? '').split('?')[0]!.split('/').filter(Boolean);
    const end = res.end.bind(res) as (body?: string) => ServerResponse;
    res.end = ((body?: string) => {
      if (res.statusCode !== 200 || hash.digest('base64') === declared) return end(body);
      void s3rver.store.deleteObject(bucketName, decodeURIComponent(keyParts.join('/'))).finally(() => {
        res.removeHeader('etag');
        res.removeHeader('content-length');
        res.statusCode = 400;
        res.setHeader('content-type', 'application/xml');
        end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>',
        );
      });
      return res;
    }) as typeof res.end;
  };

  /**
   * s3rver answers a PUT once it has read the body, before its file is written out to disk,
   * so a GET or a copy right after may read a shorter file; S3 reads its own writes. Its 200
   * is held here until the file on disk has the body's length (or a few seconds pass).
   */
  const holdUntilWritten = (req: IncomingMessage, res: ServerResponse) => {
    const expected = Number(req.headers['content-length']);
    const [bucketName = '', ...keyParts] = (req.url ?? '').split('?')[0]!.split('/').filter(Boolean);
    if (!Number.isSafeInteger(expected) || keyParts.length === 0) return;
    const file = s3rver.store.getResourcePath(bucketName, decodeURIComponent(keyParts.join('/')), 'object');
    const end = res.end.bind(res) as (body?: string) => ServerResponse;
    res.end = ((body?: string) => {
      if (res.statusCode !== 200) return end(body);
      void (async () => {
        const until = Date.now() + 5_000;
        while (Date.now() < until) {
          const size = await stat(file).then(
            (s) => s.size,
            () => -1,
          );
          if (size >= expected) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })().finally(() => end(body));
      return res;
    }) as typeof res.end;
  };

  const server: Server = createServer((req, res) => {
    if (refuseForeignHost(req, res)) return;
    requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '' });
    void (async () => {
      if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
      if (faults.refuseAll) {
        req.resume();
        return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
      }
      const signedByQuery = (req.url ?? '').includes('X-Amz-Signature=');
      if (signedByQuery || req.headers.authorization !== undefined) {
        const check = await expectedSignature(req, secretAccessKey);
        const reason =
          typeof check === 'string' ? check : check.given === check.expected ? undefined : 'signature does not match';
        if (reason !== undefined) {
          refused.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', reason });
          req.resume();
          return s3Error(
            res,
            403,
            'SignatureDoesNotMatch',
            'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          );
        }
      } else {
        // A private bucket: no anonymous access at all.
        req.resume();
        return s3Error(res, 403, 'AccessDenied', 'Access Denied');
      }
      if (req.method === 'PUT' && typeof req.headers['x-amz-checksum-sha256'] === 'string') {
        checkDigestOf(req, res, req.headers['x-amz-checksum-sha256']);
      }
      if (req.method === 'PUT' && req.headers['x-amz-copy-source'] === undefined) holdUntilWritten(req, res);
      app(req, res);
    })().catch(() => s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    region: REGION,
    directory,
    refused,
    requests,
    faults,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The settings IMChannel's S3 client takes for this server (lib/media/objects.ts), for tests and the bench. */
export function objectStorageConfigOf(
  s3: LocalS3,
  settings: Partial<Pick<ObjectStorageConfig, 'fetchMode' | 'uploadTtlSeconds' | 'streamUrl'>> = {},
): ObjectStorageConfig {
  return {
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.url,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    uploadTtlSeconds: 300,
    fetchMode: 'redirect',
    limits: { ...INFOBIP_MEDIA_LIMITS },
    ...settings,
  };
}
