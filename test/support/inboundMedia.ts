/**
 * What the inbound media tests of the sandbox share: one sandbox per file with the WhatsApp
 * tests' key, reset before each test, a photo to register, and readers for what comes back.
 */
import { createHash } from 'node:crypto';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { WA_API_KEY } from './whatsAppSandbox';

export const KEY = { authorization: `App ${WA_API_KEY}` };
export const PHOTO = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(10_000, 7)]);
export const hash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the file's sandbox (in its beforeAll) and hands it out, with the photo registered in it. */
export function inboundMediaSandbox() {
  let sandbox: InfobipSandbox | undefined;
  beforeAll(async () => {
    sandbox = await startInfobipSandbox({ apiKey: WA_API_KEY, fetchMedia: false, deliveryReports: false });
  });
  afterAll(() => sandbox?.close());
  beforeEach(() => sandbox?.reset());
  const current = () => {
    if (sandbox === undefined) throw new Error('the sandbox starts in beforeAll');
    return sandbox;
  };
  return {
    sandbox: current,
    photo: (extra: { via?: 'direct' | 'redirect'; expiresInMs?: number } = {}) =>
      current().addInboundMedia({ bytes: PHOTO, contentType: 'image/png', ...extra }),
  };
}

/** Reads a body to its end or to the connection's cut: the bytes that arrived, and whether it was cut. */
export async function readAll(res: Response): Promise<{ bytes: Buffer; cut: boolean }> {
  const chunks: Buffer[] = [];
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), cut: false };
      chunks.push(Buffer.from(value));
    }
  } catch {
    return { bytes: Buffer.concat(chunks), cut: true };
  }
}

/** Infobip's `ApiException`: `requestError.serviceException`. */
export const serviceException = async (res: Response) =>
  ((await res.json()) as { requestError: { serviceException: { messageId: string; text: string } } }).requestError
    .serviceException;
