import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '../../lib/platform/ssm';

/** node:crypto as the Checksum the SDK's signer expects. */
class Sha256 {
  private hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not needed by the signer for one request');
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * The AWS SDK's own SigV4 signer, set up here on its own (node:crypto hashing written for
 * the test, not lib/'s @smithy/hash-node): the reference every request lib/ sends must match,
 * so a mistake in how lib/ wires the signer (a header left out, the wrong service) shows.
 * `applyChecksum: false`: the x-amz-content-sha256 header is S3's, not part of SigV4 for JSON APIs.
 */
export async function sdkSignature(
  credentials: AwsCredentials,
  region: string,
  request: { url: URL; headers: Record<string, string>; body: string },
  at: Date,
): Promise<string> {
  const signer = new SignatureV4({ credentials, region, service: 'ssm', sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port === '' ? undefined : Number(request.url.port),
      path: request.url.pathname,
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    { signingDate: at },
  );
  return String(signed.headers.authorization ?? signed.headers.Authorization);
}
