/**
 * The media flow through the whole local stack over HTTP, as ctlive and Infobip see it:
 * serverless-offline (API Gateway HTTP API emulation, esbuild bundles), the Upstash proxy
 * on a real Redis, and the Infobip sandbox fetching each file with HEAD, then GET.
 */
import { createHash, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { startLocalStack, type LocalStack } from '../../tools/stack';
import { waitFor } from '../support/wait';
import { expectMatchesComponent, expectMatchesOpenApi } from '../support/openapi';
import { sampleFile } from '../support/sampleFile';

const KINDS = [
  { kind: 'image', name: 'Image', fileName: 'NFO_resized.png', contentType: 'image/png' },
  { kind: 'document', name: 'Document', fileName: 'Offerta "2025"; définitive.pdf', contentType: 'application/pdf' },
  { kind: 'audio', name: 'Audio', fileName: 'voice.ogg', contentType: 'audio/ogg; codecs=opus' },
  { kind: 'video', name: 'Video', fileName: 'clip.mp4', contentType: 'video/mp4' },
] as const;
type Kind = (typeof KINDS)[number];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/**
 * A file of the kind's type: its real leading bytes, then every byte value, then random ones
 * (a text-only path anywhere would mangle some of them).
 */
const binary = (kind: Kind, size: number) => {
  const bytes = sampleFile(kind.contentType, size);
  for (let i = 0; i < Math.min(256, size - 16); i++) bytes[16 + i] = i;
  return bytes;
};

describe('media through the local stack', () => {
  let stack: LocalStack;
  let direct: IORedis;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: (line) => output.push(line) });
    direct = new IORedis(stack.redisUrl);
  }, 180_000);
  afterAll(async () => {
    direct?.disconnect();
    await stack?.stop();
  }, 30_000);
  beforeEach(() => {
    stack.sandbox.reset();
    output.length = 0;
  });

  const send = async (kind: Kind, bytes: Buffer, extra: Record<string, unknown> = {}) => {
    const res = await fetch(`${stack.apiUrl}/sendWhatsApp${kind.name}Message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        to: '39123456789',
        fileName: kind.fileName,
        contentType: kind.contentType,
        content: bytes.toString('base64'),
        ...extra,
      }),
    });
    const body = (await res.json()) as { mediaId: string; mediaUrl: string; error?: { code: string } };
    // Every answer of a media send in these tests, success or not, is checked against the description.
    expectMatchesOpenApi('POST', res.url, res.status, body);
    return { status: res.status, body };
  };

  it.each(KINDS)('$kind: the file reaches the sandbox byte for byte, HEAD then GET', async (kind) => {
    const bytes = binary(kind, 300_001);

    const sent = await send(kind, bytes);
    const [head, get] = await stack.sandbox.waitForMediaFetches(2, 30_000);

    expect(sent.status).toBe(200);
    expect(sent.body.mediaUrl).toBe(`${stack.apiUrl}/get${kind.name}Message/${sent.body.mediaId}`);
    // `error` is in the comparison so that a failed fetch says why.
    expect({ method: head?.method, status: head?.status, error: head?.error }).toEqual({
      method: 'HEAD',
      status: 200,
      error: undefined,
    });
    expect({
      method: get?.method,
      status: get?.status,
      error: get?.error,
      bodyBytes: get?.bodyBytes,
      bodySha256: get?.bodySha256,
    }).toEqual({
      method: 'GET',
      status: 200,
      error: undefined,
      bodyBytes: bytes.length,
      bodySha256: sha256(bytes),
    });
    for (const fetched of [head, get]) {
      expect(fetched?.headers).toMatchObject({
        'content-type': kind.contentType,
        'content-length': String(bytes.length),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      expect(fetched?.headers['content-disposition']).toMatch(/^inline; filename="[^"\r\n]+"/);
    }
    // The sandbox holds the file to OMNI's rules (type per kind, size, matching HEAD and GET):
    // IMChannel's file passes them, so Infobip reports the message DELIVERED, not a media error.
    const [report] = await stack.sandbox.waitForDeliveryReports(1, 30_000);
    const [result] = (report?.body as { results: { status: { name: string }; error: { name: string } }[] }).results;
    expect([result?.status.name, result?.error.name]).toEqual(['DELIVERED_TO_HANDSET', 'NO_ERROR']);
    const ttl = await direct.ttl(`IMChannel:MultimediaMessage:${sent.body.mediaId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(Number(stack.env.MEDIA_FETCH_TTL_SECONDS));
  });

  it('prints the runbook lines: request and response, then three lines for HEAD and three for GET', async () => {
    const bytes = Buffer.concat([binary(KINDS[0], 2000), Buffer.from('SECRET-FILE-CONTENT-'.repeat(50))]);
    const sent = await send(KINDS[0], bytes);
    await stack.sandbox.waitForMediaFetches(2, 30_000);
    const key = `IMChannel:MultimediaMessage:${sent.body.mediaId}`;
    const linesOf = (tag: string) => output.filter((line) => line.startsWith(`[IMCHANNEL] [${tag}] `));
    await waitFor(
      () => linesOf('sendWhatsAppImageMessage').length >= 2 && linesOf('onGetImageMessage').length >= 6,
      10_000,
      'eight log lines',
    );

    const omniUrl = `${stack.sandbox.url}/omni/1/advanced`;
    // The report token in notifyUrl is a credential: the log line masks it.
    const sentData = JSON.stringify(stack.sandbox.received[0]?.body).replace(/token=[A-Za-z0-9_-]+/, 'token=***');
    const request = `[IMCHANNEL] [sendWhatsAppImageMessage] request to [${omniUrl}] Data [${sentData}] with api key header`;
    expect(linesOf('sendWhatsAppImageMessage')).toEqual([
      request,
      expect.stringMatching(
        new RegExp(
          `^\\[IMCHANNEL\\] \\[sendWhatsAppImageMessage\\] response of \\[${omniUrl.replace(/[.]/g, '\\.')}\\]: \\{"messages":`,
        ),
      ),
    ]);
    const fetchLines = (method: string) => [
      `[IMCHANNEL] [onGetImageMessage] Request received for ID [${sent.body.mediaId}] (${method})`,
      `[IMCHANNEL] [onGetImageMessage] [REDIS] Get message with key [${key}]`,
      `[IMCHANNEL] [onGetImageMessage] Set expire for key [${key}] ${stack.env.MEDIA_FETCH_TTL_SECONDS}`,
    ];
    expect(linesOf('onGetImageMessage')).toEqual([...fetchLines('HEAD'), ...fetchLines('GET')]);
    // Two functions, two processes: the sandbox fetches as soon as it has answered, so the
    // first fetch line may print before the send's response line, but never before its request line.
    expect(output.indexOf(request)).toBeLessThan(output.indexOf(fetchLines('HEAD')[0] ?? ''));
    expect(output.join('\n')).not.toContain('SECRET-FILE-CONTENT');
    expect(output.join('\n')).not.toContain(bytes.toString('base64').slice(0, 60));
  });

  it('takes a file of exactly MEDIA_MAX_BYTES and refuses one byte more with 413', async () => {
    const max = Number(stack.env.MEDIA_MAX_BYTES);
    const bytes = binary(KINDS[1], max);

    const atLimit = await send(KINDS[1], bytes);
    const [, get] = await stack.sandbox.waitForMediaFetches(2, 60_000);
    stack.sandbox.reset();
    const overLimit = await send(KINDS[1], binary(KINDS[1], max + 1));

    expect(atLimit.status).toBe(200);
    expect(get).toMatchObject({ status: 200, bodyBytes: max, bodySha256: sha256(bytes) });
    expect(overLimit.status).toBe(413);
    expect(overLimit.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it('answers HEAD with the headers of GET and no body, through the HTTP API emulation', async () => {
    const bytes = binary(KINDS[2], 12_345);
    const sent = await send(KINDS[2], bytes);
    await stack.sandbox.waitForMediaFetches(2, 30_000);

    const head = await fetch(sent.body.mediaUrl, { method: 'HEAD' });
    const get = await fetch(sent.body.mediaUrl);

    expect(head.status).toBe(200);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expectMatchesOpenApi('HEAD', head.url, head.status, undefined);
    expectMatchesOpenApi('GET', get.url, get.status, undefined);
    expect(get.headers.get('cache-control')).toBe('no-store');
    expect(head.headers.get('content-length')).toBe('12345');
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(head.headers.get('content-disposition')).toBe(get.headers.get('content-disposition'));
    expect(sha256(Buffer.from(await get.arrayBuffer()))).toBe(sha256(bytes));
  });

  it.each([
    ['a path traversal', '..%2F..%2Fetc', true],
    ['a star', '*', true],
    ['a 10 KB string', 'a'.repeat(10 * 1024), true],
    // No route matches an empty segment: the API answers 404 before any function runs.
    ['an empty segment', '', false],
  ])('an id that is %s gets 404 and never reaches Redis', async (_name, id, reachesFunction) => {
    const res = await fetch(`${stack.apiUrl}/getImageMessage/${id}`);
    expect(res.status).toBe(404);
    const body: unknown = await res.json();
    expect(body).toEqual(
      reachesFunction ? { error: { code: 'NOT_FOUND', message: 'No file with this id', retryable: false } } : expect.anything(),
    );
    if (reachesFunction) expectMatchesOpenApi('GET', res.url, res.status, body);
    if (reachesFunction) {
      // The function's own 404 line, so the check below is not done before its lines arrive.
      await waitFor(
        () => output.some((line) => line.startsWith('[IMCHANNEL] [onGetImageMessage] Request failed with 404')),
        10_000,
      );
    }
    expect(output.some((line) => line.startsWith('[IMCHANNEL] [onGetImageMessage] [REDIS]'))).toBe(false);
  });

  it('a document id fetched as an image gets the same 404 as an unknown one', async () => {
    const sent = await send(KINDS[1], binary(KINDS[1], 100));
    await stack.sandbox.waitForMediaFetches(2, 30_000);
    const asImage = await fetch(`${stack.apiUrl}/getImageMessage/${sent.body.mediaId}`);
    const unknown = await fetch(`${stack.apiUrl}/getImageMessage/${randomUUID()}`);
    expect(asImage.status).toBe(404);
    expect(await asImage.text()).toBe(await unknown.text());
  });

  it.each(KINDS)(
    '$kind: a content type the route does not allow gets 415 with the allowed list, and nothing is sent',
    async (kind) => {
      const sent = await send(kind, binary(kind, 100), { contentType: kind.kind === 'image' ? 'video/mp4' : 'image/gif' });
      expect(sent.status).toBe(415);
      expect(sent.body.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(stack.sandbox.received).toHaveLength(0);
    },
  );

  it('a PDF sent as image/png gets 415 CONTENT_MISMATCH naming the document route, and nothing is stored or sent', async () => {
    const keysBefore = await direct.keys('IMChannel:MultimediaMessage:*');
    const sent = await send(KINDS[0], binary(KINDS[1], 2000));
    expect(sent.status).toBe(415);
    expect(sent.body.error).toMatchObject({ code: 'CONTENT_MISMATCH', detected: ['application/pdf'] });
    expect(JSON.stringify(sent.body)).toContain('/imchannel/sendWhatsAppDocumentMessage with contentType application/pdf');
    expect(await direct.keys('IMChannel:MultimediaMessage:*')).toEqual(keysBefore);
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it('a wrong method on a known route gets 405 with Allow, from the ANY route; HEAD still reaches the fetch', async () => {
    const cases = [
      { method: 'GET', path: '/sendWhatsAppImageMessage', allow: 'POST' },
      { method: 'POST', path: `/getImageMessage/${randomUUID()}`, allow: 'GET, HEAD' },
      { method: 'DELETE', path: '/onDeliveryReport', allow: 'POST' },
    ];
    for (const { method, path, allow } of cases) {
      const res = await fetch(`${stack.apiUrl}${path}`, { method });
      const body: unknown = await res.json();
      expect({ status: res.status, allow: res.headers.get('allow') }).toEqual({ status: 405, allow });
      expect(body).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED', allowed: allow.split(', ') } });
      expectMatchesComponent('MethodNotAllowedError', body);
    }
    const head = await fetch(`${stack.apiUrl}/getImageMessage/${randomUUID()}`, { method: 'HEAD' });
    expect(head.status).toBe(404);
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it('refuses content that is not base64 with 400 and a missing bearer token with 401', async () => {
    const notBase64 = await send(KINDS[0], binary(KINDS[0], 10), { content: 'not base64!' });
    expect(notBase64).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const res = await fetch(`${stack.apiUrl}/sendWhatsAppImageMessage`, { method: 'POST', body: '{}' });
    const body: unknown = await res.json();
    expect(res.status).toBe(401);
    expectMatchesOpenApi('POST', res.url, res.status, body);
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it('when the sandbox refuses the message: 502, and the stored file is gone', async () => {
    stack.sandbox.failNext({ status: 400 });
    const sent = await send(KINDS[3], binary(KINDS[3], 1000));
    expect(sent.status).toBe(502);
    const omni = stack.sandbox.received[0]?.body as { whatsApp: { videoUrl: string } };
    const mediaId = omni.whatsApp.videoUrl.split('/').at(-1);
    expect(await direct.exists(`IMChannel:MultimediaMessage:${mediaId}`)).toBe(0);
  });
});
