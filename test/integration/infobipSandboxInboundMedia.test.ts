/**
 * The files customers send, served by the sandbox over real HTTP as Infobip's published
 * OpenAPI specification (v3.210.0), infobip-whatsapp-openapi.json, download-whatsapp-inbound-media
 * and get-whatsapp-media-metadata describe them: only with the App key, sometimes through a
 * 302 to a CDN host that takes no key, 404 once expired, 429 above 15 requests a second; and
 * the faults the reliability tests inject, and the local helper `simulate` registers files with.
 */
import { createHash } from 'node:crypto';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { SENDER, WA_API_KEY } from '../support/whatsAppSandbox';

const KEY = { authorization: `App ${WA_API_KEY}` };
const PHOTO = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(10_000, 7)]);
const hash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sandbox: InfobipSandbox;
beforeAll(async () => {
  sandbox = await startInfobipSandbox({ apiKey: WA_API_KEY, fetchMedia: false, deliveryReports: false });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const photo = (extra: { via?: 'direct' | 'redirect'; expiresInMs?: number } = {}) =>
  sandbox.addInboundMedia({ bytes: PHOTO, contentType: 'image/png', ...extra });

/** Reads a body to its end or to the connection's cut: the bytes that arrived, and whether it was cut. */
async function readAll(res: Response): Promise<{ bytes: Buffer; cut: boolean }> {
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

const serviceException = async (res: Response) =>
  ((await res.json()) as { requestError: { serviceException: { messageId: string; text: string } } }).requestError
    .serviceException;

describe('inbound media at Infobip’s path', () => {
  it('serves the bytes, type and length only with the App key, and answers 401 in Infobip’s error shape otherwise', async () => {
    const { url, sha256, mediaId } = photo();

    const none = await fetch(url);
    const wrong = await fetch(url, { headers: { authorization: 'App not-the-key' } });
    const right = await fetch(url, { headers: KEY });

    expect([none.status, wrong.status, right.status]).toEqual([401, 401, 200]);
    expect(await serviceException(none)).toEqual({ messageId: 'UNAUTHORIZED', text: 'Invalid login details' });
    expect(right.headers.get('content-type')).toBe('image/png');
    expect(right.headers.get('content-length')).toBe(String(PHOTO.length));
    expect(hash(Buffer.from(await right.arrayBuffer()))).toBe(sha256);
    expect(url).toBe(`${sandbox.url}/whatsapp/1/senders/${SENDER}/media/${mediaId}`);
    expect(sandbox.inboundMediaRequests).toEqual([
      { method: 'GET', mediaId, host: 'api', at: expect.any(Number), withKey: false, status: 401 },
      { method: 'GET', mediaId, host: 'api', at: expect.any(Number), withKey: true, status: 401 },
      { method: 'GET', mediaId, host: 'api', at: expect.any(Number), withKey: true, status: 200 },
    ]);
  });

  it('answers HEAD with Content-Type and Content-Length and no body, itself even for a file the CDN serves', async () => {
    for (const via of ['direct', 'redirect'] as const) {
      const res = await fetch(photo({ via }).url, { method: 'HEAD', headers: KEY, redirect: 'manual' });

      expect([res.status, res.headers.get('content-type'), res.headers.get('content-length')]).toEqual([
        200,
        'image/png',
        String(PHOTO.length),
      ]);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it('sends a redirected file by a 302 to another host, whose unguessable path serves it with no key, and records that none came', async () => {
    const { url, sha256, mediaId } = photo({ via: 'redirect' });

    const redirect = await fetch(url, { headers: KEY, redirect: 'manual' });
    const location = redirect.headers.get('location') ?? '';
    const fromCdn = await fetch(location);
    const withKey = await fetch(location, { headers: KEY });

    expect(redirect.status).toBe(302);
    expect(new URL(location).origin).not.toBe(new URL(sandbox.url).origin);
    expect(new URL(location).pathname).toMatch(/^\/cdn\/[A-Za-z0-9_-]{43}$/);
    expect(location).not.toContain(mediaId);
    expect(fromCdn.status).toBe(200);
    expect(fromCdn.headers.get('content-type')).toBe('image/png');
    expect(hash(Buffer.from(await fromCdn.arrayBuffer()))).toBe(sha256);
    await withKey.arrayBuffer();
    expect(sandbox.inboundMediaRequests.map((r) => [r.host, r.status, r.withKey])).toEqual([
      ['api', 302, true],
      ['cdn', 200, false],
      ['cdn', 200, true],
    ]);
  });

  it('answers 404 "Media not found or expired" for an unknown id, another sender’s path, and a CDN path it never gave', async () => {
    const { mediaId } = photo();
    const cdn = new URL(
      (await fetch(photo({ via: 'redirect' }).url, { headers: KEY, redirect: 'manual' })).headers.get('location')!,
    );

    const unknown = await fetch(`${sandbox.url}/whatsapp/1/senders/${SENDER}/media/no-such-id`, { headers: KEY });
    const otherSender = await fetch(`${sandbox.url}/whatsapp/1/senders/441134960000/media/${mediaId}`, { headers: KEY });
    const madeUp = await fetch(`${cdn.origin}/cdn/${'A'.repeat(43)}`);

    expect([unknown.status, otherSender.status, madeUp.status]).toEqual([404, 404, 404]);
    expect(await serviceException(unknown)).toEqual({ messageId: 'NOT_FOUND', text: 'Media not found or expired' });
  });

  it('answers 404 at the path and at its CDN copy once the file has expired', async () => {
    const direct = photo({ expiresInMs: 300 });
    const redirected = photo({ via: 'redirect', expiresInMs: 300 });
    const location = (await fetch(redirected.url, { headers: KEY, redirect: 'manual' })).headers.get('location')!;
    const before = await fetch(direct.url, { headers: KEY });
    await before.arrayBuffer();

    await sleep(350);
    const after = [
      await fetch(direct.url, { headers: KEY }),
      await fetch(redirected.url, { headers: KEY, redirect: 'manual' }),
      await fetch(location),
    ];

    expect(before.status).toBe(200);
    expect(after.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(await serviceException(after[0]!)).toEqual({ messageId: 'NOT_FOUND', text: 'Media not found or expired' });
  });

  it('answers the 16th request within one second, GET and HEAD together, 429 with Retry-After, then admits again after it', async () => {
    const { url } = photo();
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      const res = await fetch(url, { method: i % 2 === 0 ? 'GET' : 'HEAD', headers: KEY });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    const refused = await fetch(url, { headers: KEY });
    const elapsed = Date.now() - started;
    const retryAfter = Number(refused.headers.get('retry-after'));

    await sleep(retryAfter * 1000);
    const later = await fetch(url, { method: 'HEAD', headers: KEY });

    expect(elapsed).toBeLessThan(1000); // else the window had slid and the test proved nothing
    expect(statuses).toEqual(Array(15).fill(200));
    expect(refused.status).toBe(429);
    expect(retryAfter).toBe(1);
    expect(await serviceException(refused)).toEqual({ messageId: 'TOO_MANY_REQUESTS', text: 'Too many requests' });
    expect(later.status).toBe(200);
    expect(sandbox.inboundMediaPeakRate()).toBe(16);
  });

  it('counts no CDN request in the peak rate, and measures a one-second window, not the whole run', async () => {
    const { url } = photo({ via: 'redirect' });
    for (let i = 0; i < 3; i += 1) await (await fetch(url, { headers: KEY })).arrayBuffer();
    await sleep(1_050);
    for (let i = 0; i < 2; i += 1) await (await fetch(url, { headers: KEY })).arrayBuffer();

    expect(sandbox.inboundMediaRequests.filter((r) => r.host === 'cdn')).toHaveLength(5);
    expect(sandbox.inboundMediaPeakRate()).toBe(3);
  });
});

describe('inbound media faults', () => {
  it.each([404, 429, 500, 503] as const)(
    'answers the next `times` keyed requests %i in Infobip’s error shape, then serves again',
    async (status) => {
      const { url } = photo();
      sandbox.inboundMediaFaults({ status, times: 2 });

      const unauthorised = await fetch(url);
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push(await fetch(url, { method: 'HEAD', headers: KEY }));

      expect(unauthorised.status).toBe(401);
      expect(answers.map((r) => r.status)).toEqual([status, status, 200]);
      expect(answers[0]!.headers.get('retry-after')).toBe(status === 429 ? '1' : null);
    },
  );

  it('slowMs holds the headers back that long', async () => {
    const { url } = photo();
    sandbox.inboundMediaFaults({ slowMs: 400 });

    const started = Date.now();
    const res = await fetch(url, { headers: KEY });
    const headersAfter = Date.now() - started;

    expect(res.status).toBe(200);
    expect(headersAfter).toBeGreaterThanOrEqual(390);
    expect(hash(Buffer.from(await res.arrayBuffer()))).toBe(hash(PHOTO));
  });

  it('bytesPerSecond trickles the whole body at that rate', async () => {
    const { url } = photo();
    sandbox.inboundMediaFaults({ bytesPerSecond: 20_000 });

    const res = await fetch(url, { headers: KEY });
    const started = Date.now();
    const { bytes, cut } = await readAll(res);

    expect(cut).toBe(false);
    expect(hash(bytes)).toBe(hash(PHOTO));
    // 10,008 bytes at 20,000 a second: about half a second, where an unthrottled body takes a few ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('resetAfterBytes cuts the connection after that many bytes of a body whose length promised all', async () => {
    const { url } = photo();
    sandbox.inboundMediaFaults({ resetAfterBytes: 1_000 });

    const res = await fetch(url, { headers: KEY });
    const { bytes, cut } = await readAll(res);

    expect(res.headers.get('content-length')).toBe(String(PHOTO.length));
    expect(cut).toBe(true);
    expect(bytes).toEqual(PHOTO.subarray(0, 1_000));
  });

  it('a body fault on a redirected file acts at the CDN, after an ordinary 302', async () => {
    const { url } = photo({ via: 'redirect' });
    sandbox.inboundMediaFaults({ resetAfterBytes: 500 });

    const redirect = await fetch(url, { headers: KEY, redirect: 'manual' });
    const { bytes, cut } = await readAll(await fetch(redirect.headers.get('location')!));

    expect(redirect.status).toBe(302);
    expect([cut, bytes.length]).toEqual([true, 500]);
  });

  it('cdnFails breaks the 302’s target: true answers 500, reset destroys the connection', async () => {
    const { url } = photo({ via: 'redirect' });
    sandbox.inboundMediaFaults({ cdnFails: true });
    sandbox.inboundMediaFaults({ cdnFails: 'reset' });

    const failing = await fetch(url, { headers: KEY });
    const reset = await fetch(url, { headers: KEY }).then(
      (res) => res.status,
      (e: unknown) => String(e),
    );
    const healthy = await fetch(url, { headers: KEY });

    expect(failing.status).toBe(500);
    expect(reset).toMatch(/fetch failed/);
    expect(healthy.status).toBe(200);
    const requests = await sandbox.waitForInboundMediaRequests(6);
    expect(requests.map((r) => `${r.host} ${r.status}`)).toEqual([
      'api 302',
      'cdn 500',
      'api 302',
      'cdn 0',
      'api 302',
      'cdn 200',
    ]);
  });

  it('reset() clears the faults not yet used', async () => {
    const { url } = photo();
    sandbox.inboundMediaFaults({ status: 503, times: 5 });

    sandbox.reset();
    const res = await fetch(url, { method: 'HEAD', headers: KEY });

    expect(res.status).toBe(200);
  });
});

describe('POST /sandbox/inboundMedia, the local helper simulate registers files with', () => {
  const register = (body: Buffer, query = '', headers: Record<string, string> = { 'content-type': 'application/pdf' }) =>
    fetch(`${sandbox.url}/sandbox/inboundMedia${query}`, { method: 'POST', headers, body });

  it('keeps the body’s exact bytes, with no key, and answers 201 with what the webhook needs', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([0, 255, 128, 10, 13])]);

    const res = await register(pdf, '?sender=441134960000');
    const added = (await res.json()) as Record<string, unknown>;
    const served = await fetch(String(added.url), { headers: KEY });

    expect(res.status).toBe(201);
    expect(added).toEqual({
      mediaId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      url: `${sandbox.url}/whatsapp/1/senders/441134960000/media/${String(added.mediaId)}`,
      sha256: hash(pdf),
      contentType: 'application/pdf',
      size: pdf.length,
    });
    expect(served.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(pdf);
  });

  it('?via=redirect serves the file through the CDN', async () => {
    const { url } = (await (await register(PHOTO, '?via=redirect')).json()) as { url: string };

    const res = await fetch(url, { headers: KEY, redirect: 'manual' });

    expect(res.status).toBe(302);
  });

  it('refuses an empty body, a missing Content-Type and an unknown via with 400', async () => {
    const answers = await Promise.all([
      register(Buffer.alloc(0)),
      register(PHOTO, '', {}),
      register(PHOTO, '?via=carrier-pigeon'),
    ]);

    expect(answers.map((r) => r.status)).toEqual([400, 400, 400]);
    expect(await answers[2]!.json()).toEqual({ error: 'via must be direct or redirect, not carrier-pigeon' });
  });
});
