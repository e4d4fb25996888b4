/**
 * The sandbox's inbound media faults, for the copier's reliability tests: an Infobip status
 * for the next requests, headers held back, a body trickled or cut, a CDN that fails after
 * the 302; each used up by its requests and cleared by reset().
 */
import { hash, inboundMediaSandbox, KEY, PHOTO, readAll } from '../support/inboundMedia';

const { sandbox, photo } = inboundMediaSandbox();

describe('inbound media faults', () => {
  it.each([404, 429, 500, 503] as const)(
    'answers the next `times` keyed requests %i in Infobip’s error shape, then serves again',
    async (status) => {
      const { url } = photo();
      sandbox().inboundMediaFaults({ status, times: 2 });

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
    sandbox().inboundMediaFaults({ slowMs: 400 });

    const started = Date.now();
    const res = await fetch(url, { headers: KEY });
    const headersAfter = Date.now() - started;

    expect(res.status).toBe(200);
    expect(headersAfter).toBeGreaterThanOrEqual(390);
    expect(hash(Buffer.from(await res.arrayBuffer()))).toBe(hash(PHOTO));
  });

  it('bytesPerSecond trickles the whole body at that rate', async () => {
    const { url } = photo();
    sandbox().inboundMediaFaults({ bytesPerSecond: 20_000 });

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
    sandbox().inboundMediaFaults({ resetAfterBytes: 1_000 });

    const res = await fetch(url, { headers: KEY });
    const { bytes, cut } = await readAll(res);

    expect(res.headers.get('content-length')).toBe(String(PHOTO.length));
    expect(cut).toBe(true);
    expect(bytes).toEqual(PHOTO.subarray(0, 1_000));
  });

  it('a body fault on a redirected file acts at the CDN, after an ordinary 302', async () => {
    const { url } = photo({ via: 'redirect' });
    sandbox().inboundMediaFaults({ resetAfterBytes: 500 });

    const redirect = await fetch(url, { headers: KEY, redirect: 'manual' });
    const location = redirect.headers.get('location')!;
    const { bytes, cut } = await readAll(await fetch(location));
    const again = await readAll(await fetch(location));

    expect(redirect.status).toBe(302);
    expect([cut, bytes.length]).toEqual([true, 500]);
    // The fault was for one request: the same CDN path then serves the whole file.
    expect([again.cut, hash(again.bytes)]).toEqual([false, hash(PHOTO)]);
  });

  it('cdnFails breaks the 302’s target: true answers 500, reset destroys the connection', async () => {
    const { url } = photo({ via: 'redirect' });
    sandbox().inboundMediaFaults({ cdnFails: true });
    sandbox().inboundMediaFaults({ cdnFails: 'reset' });

    const failing = await fetch(url, { headers: KEY });
    const reset = await fetch(url, { headers: KEY }).then(
      (res) => res.status,
      (e: unknown) => String(e),
    );
    const healthy = await fetch(url, { headers: KEY });

    expect(failing.status).toBe(500);
    expect(reset).toMatch(/fetch failed/);
    expect(healthy.status).toBe(200);
    const requests = await sandbox().waitForInboundMediaRequests(6);
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
    sandbox().inboundMediaFaults({ status: 503, times: 5 });

    sandbox().reset();
    const res = await fetch(url, { method: 'HEAD', headers: KEY });

    expect(res.status).toBe(200);
  });
});
