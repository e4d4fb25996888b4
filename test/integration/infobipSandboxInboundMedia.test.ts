/**
 * The files customers send, served by the sandbox over real HTTP as Infobip's published
 * OpenAPI specification (v3.210.0), infobip-whatsapp-openapi.json, download-whatsapp-inbound-media
 * and get-whatsapp-media-metadata describe them: only with the App key, sometimes through a
 * 302 to a CDN host that takes no key, 404 once expired, 429 above 15 requests a second; and
 * the local helper `simulate` registers files with. Faults: ./infobipSandboxInboundMediaFaults.test.ts.
 */
import { SENDER } from '../support/whatsAppSandbox';
import { hash, inboundMediaSandbox, KEY, PHOTO, serviceException, sleep } from '../support/inboundMedia';

const { sandbox, photo } = inboundMediaSandbox();

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
    expect(url).toBe(`${sandbox().url}/whatsapp/1/senders/${SENDER}/media/${mediaId}`);
    expect(sandbox().inboundMediaRequests).toEqual([
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
    expect(new URL(location).origin).not.toBe(new URL(sandbox().url).origin);
    expect(new URL(location).pathname).toMatch(/^\/cdn\/[A-Za-z0-9_-]{43}$/);
    expect(location).not.toContain(mediaId);
    expect(fromCdn.status).toBe(200);
    expect(fromCdn.headers.get('content-type')).toBe('image/png');
    expect(hash(Buffer.from(await fromCdn.arrayBuffer()))).toBe(sha256);
    await withKey.arrayBuffer();
    expect(sandbox().inboundMediaRequests.map((r) => [r.host, r.status, r.withKey])).toEqual([
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

    const unknown = await fetch(`${sandbox().url}/whatsapp/1/senders/${SENDER}/media/no-such-id`, { headers: KEY });
    const otherSender = await fetch(`${sandbox().url}/whatsapp/1/senders/441134960000/media/${mediaId}`, { headers: KEY });
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
    expect(sandbox().inboundMediaPeakRate()).toBe(16);
  });

  it('counts no CDN request in the peak rate, and measures a one-second window, not the whole run', async () => {
    const { url } = photo({ via: 'redirect' });
    for (let i = 0; i < 3; i += 1) await (await fetch(url, { headers: KEY })).arrayBuffer();
    await sleep(1_050);
    for (let i = 0; i < 2; i += 1) await (await fetch(url, { headers: KEY })).arrayBuffer();

    expect(sandbox().inboundMediaRequests.filter((r) => r.host === 'cdn')).toHaveLength(5);
    expect(sandbox().inboundMediaPeakRate()).toBe(3);
  });
});

describe('POST /sandbox/inboundMedia, the local helper simulate registers files with', () => {
  const register = (body: Buffer, query = '', headers: Record<string, string> = { 'content-type': 'application/pdf' }) =>
    fetch(`${sandbox().url}/sandbox/inboundMedia${query}`, { method: 'POST', headers, body });

  it('keeps the body’s exact bytes, with no key, and answers 201 with what the webhook needs', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([0, 255, 128, 10, 13])]);

    const res = await register(pdf, '?sender=441134960000');
    const added = (await res.json()) as Record<string, unknown>;
    const served = await fetch(String(added.url), { headers: KEY });

    expect(res.status).toBe(201);
    expect(added).toEqual({
      mediaId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      url: `${sandbox().url}/whatsapp/1/senders/441134960000/media/${String(added.mediaId)}`,
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
