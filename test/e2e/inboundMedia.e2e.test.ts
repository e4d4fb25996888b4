import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { inboundMessagePayload, postWebhook } from '../../tools/infobipSandbox';
import { startLocalStack, webhookAuthOf, type LocalStack } from '../../tools/stack';
import { waitFor } from '../support/wait';
import { leadingBytes } from '../support/sampleFile';
import { expectCtliveEvent } from '../support/openapi';

interface SinkEvent {
  event: string;
  messageId: string;
  media?: { url?: string; downloadUrl?: string; sourceUrl?: string; sha256?: string; size?: number; contentType?: string };
  reason?: string;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A customer's file through the whole local stack: the sandbox serves it at Infobip's path,
 * onMessage names IMChannel's links and hands it to copyInboundMedia (an asynchronous invoke
 * through serverless-offline), which stores it in the local S3 and tells the sink once.
 */
describe("customers' files through the local stack", () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: () => undefined });
  }, 120_000);
  afterAll(() => stack?.stop(), 30_000);
  afterEach(() => stack.sink.received.forEach(expectCtliveEvent));

  const eventsOf = (messageId: string) => (stack.sink.received as SinkEvent[]).filter((e) => e.messageId === messageId);
  const photoMessage = (url: string) => {
    const messageId = `wamid.E2E${randomUUID()}`;
    const payload = inboundMessagePayload({ messageId, type: 'IMAGE', extra: { message: { url } } });
    return { messageId, payload };
  };
  const post = (payload: unknown) => postWebhook(`${stack.apiUrl}/onMessage`, payload, webhookAuthOf(stack.env));

  it('delivers the message with links a browser opens, then one mediaStored with the bytes the customer sent', async () => {
    const bytes = Buffer.concat([leadingBytes('image/jpeg'), randomBytes(50_000)]);
    const added = stack.sandbox.addInboundMedia({ bytes, contentType: 'image/jpeg', via: 'redirect' });
    const { messageId, payload } = photoMessage(added.url);

    expect((await post(payload)).status).toBe(200);

    const stored = await waitFor(() => eventsOf(messageId).find((e) => e.event === 'mediaStored'), 30_000, 'mediaStored');
    const [message] = eventsOf(messageId);
    expect(message?.event).toBe('message'); // ctlive learns of the message before its file
    expect(message?.media).toMatchObject({ sourceUrl: added.url, url: stored.media?.url, downloadUrl: expect.any(String) });
    expect(stored.media).toMatchObject({ sha256: added.sha256, size: bytes.length, contentType: 'image/jpeg' });

    // A browser: no credentials, the signed link, redirects followed.
    const viaLink = await fetch(message?.media?.downloadUrl as string);
    expect(viaLink.status).toBe(200);
    expect(sha256(Buffer.from(await viaLink.arrayBuffer()))).toBe(added.sha256);
    // ctlive: the plain url with its bearer token, and nothing without it.
    const viaToken = await fetch(stored.media?.url as string, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(sha256(Buffer.from(await viaToken.arrayBuffer()))).toBe(added.sha256);
    expect((await fetch(stored.media?.url as string)).status).toBe(401);

    // The key went to Infobip's path only, never to the CDN the 302 named.
    const requests = stack.sandbox.inboundMediaRequests.filter((r) => r.mediaId === added.mediaId);
    expect(requests.filter((r) => r.host === 'api').every((r) => r.withKey)).toBe(true);
    expect(requests.filter((r) => r.host === 'cdn').map((r) => r.withKey)).toEqual([false]);
    // One announcement, however the copy went.
    expect(eventsOf(messageId).filter((e) => e.event.startsWith('media'))).toHaveLength(1);
  }, 60_000);

  it('never sends the key to a host off the allowlist: the file is announced as failed', async () => {
    const before = stack.sandbox.inboundMediaRequests.length;
    const { messageId, payload } = photoMessage('https://collector.example.com/whatsapp/1/senders/44123456789/media/abc');

    expect((await post(payload)).status).toBe(200);

    const failed = await waitFor(() => eventsOf(messageId).find((e) => e.event === 'mediaFailed'), 30_000, 'mediaFailed');
    expect(failed.reason).toBe('HOST_NOT_ALLOWED');
    expect(stack.sandbox.inboundMediaRequests).toHaveLength(before);
  }, 60_000);

  it('announces a file Infobip no longer has as EXPIRED', async () => {
    const added = stack.sandbox.addInboundMedia({ bytes: leadingBytes('image/png'), contentType: 'image/png', expiresInMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const { messageId, payload } = photoMessage(added.url);

    expect((await post(payload)).status).toBe(200);

    const failed = await waitFor(() => eventsOf(messageId).find((e) => e.event === 'mediaFailed'), 30_000, 'mediaFailed');
    expect(failed.reason).toBe('EXPIRED');
  }, 60_000);
});
