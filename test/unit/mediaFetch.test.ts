import { randomBytes, randomUUID } from 'node:crypto';
import { createLogger } from '../../lib/platform/log';
import { MEDIA_KINDS, MEDIA_KIND_NAMES, type MediaKind } from '../../lib/media/kinds';
import { makeFetchMediaHandler } from '../../lib/media/fetch';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { fakeMediaStore } from '../support/mediaStoreFake';

const FETCH_TTL = 60;

function setup(kind: MediaKind, format: 'text' | 'json' = 'text') {
  const fake = fakeMediaStore();
  const { lines, sink } = captureLines();
  const tag = MEDIA_KINDS[kind].fetchTag;
  const log = createLogger(tag, { format, level: 'INFO', sink });
  const handler = makeFetchMediaHandler(MEDIA_KINDS[kind], {
    log,
    store: fake.store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: FETCH_TTL, maxBytes: 4 * 1024 * 1024 },
  });
  const fetchFile = (id: string | undefined, method = 'GET') =>
    handler(
      apiEvent({
        method,
        path: `/imchannel/${MEDIA_KINDS[kind].route}/${id ?? ''}`,
        pathParameters: id === undefined ? undefined : { id },
      }),
      lambdaContext(tag),
    );
  const park = (entryKind: MediaKind, bytes: Buffer, fileName = 'photo.png', contentType = 'image/png') => {
    const id = randomUUID();
    void fake.store.put(id, { kind: entryKind, contentType, fileName, content: bytes.toString('base64') }, 86_400);
    fake.calls.length = 0;
    return id;
  };
  return { ...fake, lines, fetchFile, park };
}

const NOT_FOUND = { error: { code: 'NOT_FOUND', message: 'No file with this id', retryable: false } };

describe.each(MEDIA_KIND_NAMES)('fetch %s', (kind) => {
  const { fetchTag } = MEDIA_KINDS[kind];

  it('GET answers the exact bytes as base64 with the contract headers, after one Redis call, logging the three runbook lines', async () => {
    const { calls, lines, fetchFile, park } = setup(kind);
    const bytes = randomBytes(1001);
    const id = park(kind, bytes, 'NFO_resized.jpg', 'image/jpeg');

    const res = await fetchFile(id);

    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(Buffer.from(String(res.body), 'base64').equals(bytes)).toBe(true);
    expect(res.headers).toEqual({
      'content-type': 'image/jpeg',
      'content-length': '1001',
      'content-disposition': 'inline; filename="NFO_resized.jpg"',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(calls).toEqual([`take ${id} ${FETCH_TTL}`]);
    expect(lines).toEqual([
      `[IMCHANNEL] [${fetchTag}] Request received for ID [${id}] (GET)`,
      `[IMCHANNEL] [${fetchTag}] [REDIS] Get message with key [IMChannel:MultimediaMessage:${id}]`,
      `[IMCHANNEL] [${fetchTag}] Set expire for key [IMChannel:MultimediaMessage:${id}] ${FETCH_TTL}`,
    ]);
  });

  it('HEAD answers the same headers and no body, and shortens the key the same way', async () => {
    const { calls, lines, fetchFile, park, values } = setup(kind);
    const id = park(kind, randomBytes(77));

    const head = await fetchFile(id, 'HEAD');
    const get = await fetchFile(id, 'GET');

    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.isBase64Encoded).toBeFalsy();
    expect(head.headers).toEqual(get.headers);
    expect(calls).toEqual([`take ${id} ${FETCH_TTL}`, `take ${id} ${FETCH_TTL}`]);
    expect(values.get(id)?.ttlSeconds).toBe(FETCH_TTL);
    expect(lines).toHaveLength(6);
  });
});

describe('fetch: every miss is the same 404', () => {
  it.each([
    ['a path traversal', '../'],
    ['a star', '*'],
    ['a 10 KB string', 'a'.repeat(10 * 1024)],
    ['an empty id', ''],
    ['no id at all', undefined],
    ['a UUID in upper case', randomUUID().toUpperCase()],
    ['a UUID with a suffix', `${randomUUID()}/x`],
    ['a UUID that is not v4', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
    ['a Redis pattern', 'IMChannel:MultimediaMessage:*'],
  ])('%s never reaches Redis', async (_name, id) => {
    const { calls, fetchFile } = setup('image');
    const get = await fetchFile(id);
    const head = await fetchFile(id, 'HEAD');
    expect(get.statusCode).toBe(404);
    expect(JSON.parse(String(get.body))).toEqual(NOT_FOUND);
    expect(head.statusCode).toBe(404);
    expect(calls).toEqual([]);
  });

  it('an unknown or expired id, a file of another kind and a foreign value answer alike', async () => {
    const { fetchFile, park, setRaw, lines } = setup('image');
    const documentId = park('document', randomBytes(10), 'a.pdf', 'application/pdf');
    const foreignId = randomUUID();
    setRaw(foreignId, 'some other value');

    const answers = await Promise.all([fetchFile(randomUUID()), fetchFile(documentId), fetchFile(foreignId)]);

    for (const res of answers) {
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(String(res.body))).toEqual(NOT_FOUND);
    }
    const errors = lines.filter((line) => line.includes('Request failed with 404'));
    expect(errors).toEqual([
      expect.stringContaining('no such key'),
      expect.stringContaining('stored as document, not image'),
      expect.stringContaining('not a stored file'),
    ]);
  });

  it('logs a hostile id escaped and cut short, on one line', async () => {
    const { lines, fetchFile } = setup('image');
    await fetchFile(`x\r\n[IMCHANNEL] [sendMessage] forged${'y'.repeat(500)}`);
    expect(lines[0]).toMatch(
      /^\[IMCHANNEL\] \[onGetImageMessage\] Request received for ID \[x\\r\\n\[IMCHANNEL\] \[sendMessage\] forgedy+…\[\d+ more chars\]\] \((GET|HEAD)\)$/,
    );
    expect(lines.every((line) => !/[\r\n]/.test(line))).toBe(true);
    expect(lines.join('').length).toBeLessThan(600);
  });
});

describe('fetch: failures', () => {
  it('answers 503 when Redis is unreachable', async () => {
    const { setDown, fetchFile } = setup('audio');
    setDown(true);
    const res = await fetchFile(randomUUID());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(res.body)).error.code).toBe('REDIS_UNAVAILABLE');
  });

  it('never logs the file content', async () => {
    const { lines, fetchFile, park } = setup('image');
    const bytes = Buffer.from('SECRET-FILE-CONTENT-'.repeat(10));
    const id = park('image', bytes);
    await fetchFile(id);
    await fetchFile(id, 'HEAD');
    const all = lines.join('\n');
    expect(all).not.toContain(bytes.toString('base64').slice(0, 40));
    expect(all).not.toContain('SECRET-FILE-CONTENT');
  });
});

describe("fetch lines tell Infobip's HEAD and GET from anyone else's request", () => {
  it.each(['HEAD', 'GET'])(
    "%s: the method on every line, the caller's address and user agent on the first (JSON)",
    async (method) => {
      const t = setup('image', 'json');
      const id = t.park('image', randomBytes(10));

      await t.fetchFile(id, method);

      const entries = t.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries).toHaveLength(3);
      expect(entries[0]).toMatchObject({ method, sourceIp: '127.0.0.1', userAgent: 'jest' });
      expect(String(entries[0]?.message)).toBe(`[IMCHANNEL] [onGetImageMessage] Request received for ID [${id}] (${method})`);
      for (const entry of entries) expect(entry.method).toBe(method);
    },
  );
});
