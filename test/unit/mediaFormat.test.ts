import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { MEDIA_KINDS, allowedContentType } from '../../lib/media/kinds';
import {
  base64DecodedBytes,
  contentDisposition,
  decodeEntry,
  encodeEntry,
  fileHeaders,
  isCanonicalBase64,
} from '../../lib/media/format';
import { mediaMaxBodyBytes } from '../../lib/media/send';
import { redisFailureReason } from '../../lib/media/store';

describe('isCanonicalBase64', () => {
  it.each([0, 1, 2, 3, 4, 5, 1000])('accepts what Buffer writes for %i random bytes (but not the empty string)', (n) => {
    const base64 = randomBytes(n).toString('base64');
    expect(isCanonicalBase64(base64)).toBe(n > 0);
    if (n > 0) expect(base64DecodedBytes(base64)).toBe(n);
  });

  it.each([
    ['a character outside the alphabet', 'aGVsbG8*'],
    ['the URL-safe alphabet', 'a-_b'],
    ['missing padding', 'aGVsbG8'],
    ['too much padding', 'aGVsbA==='],
    ['padding in the middle', 'aA==aGVs'],
    ['a line break', 'aGVs\nbG8='],
    ['a space', 'aGVs bG8='],
    ['leading whitespace', ' aGVsbG8='],
    ['non-zero bits after the data', 'aGVsbG9='],
    ['a data URL prefix', 'data:image/png;base64,aGVsbG8='],
    ['non-ASCII', 'aGVsbG8é'],
  ])('rejects %s', (_name, value) => {
    expect(isCanonicalBase64(value)).toBe(false);
  });

  it('agrees with a round trip for any string', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const ok = isCanonicalBase64(s);
        if (ok) expect(Buffer.from(s, 'base64').toString('base64')).toBe(s);
        return true;
      }),
    );
  });
});

describe('allowedContentType', () => {
  const { image, audio, document, video } = MEDIA_KINDS;

  it.each([
    [image, 'image/jpeg', 'image/jpeg'],
    [image, 'IMAGE/PNG', 'image/png'],
    [audio, 'audio/ogg; codecs=opus', 'audio/ogg; codecs=opus'],
    [audio, ' audio/mpeg ', 'audio/mpeg'],
    [document, 'text/plain;charset="utf-8"', 'text/plain;charset="utf-8"'],
    [
      document,
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    [video, 'video/3gpp', 'video/3gpp'],
  ])('%#: allows %s', (spec, given, stored) => {
    expect(allowedContentType(spec, given)).toBe(stored);
  });

  it.each([
    [image, 'image/gif'],
    [image, 'image/jpg'],
    [image, 'application/pdf'],
    [audio, 'video/mp4'],
    [video, 'audio/mp4'],
    [document, 'text/html'],
    [image, 'image/png\r\nx-evil: 1'],
    [image, 'image/png; name="a\r\nb"'],
    [image, 'image/png;'],
    [image, 'image/'],
    [image, 'image/png; q=é'],
    [image, ''],
  ])('%#: refuses %j', (spec, given) => {
    expect(allowedContentType(spec, given)).toBeUndefined();
  });
});

describe('contentDisposition', () => {
  /** Splits the header the way a strict RFC 6266 parser would, failing on anything else. */
  function parse(header: string) {
    const match =
      /^inline; filename="([\x20\x21\x23-\x5b\x5d-\x7e]*)"(?:; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+))?$/.exec(header);
    expect(match).not.toBeNull();
    return { fallback: match?.[1] ?? '', extended: match?.[2] === undefined ? undefined : decodeURIComponent(match[2]) };
  }

  it('keeps a plain name as it is, with no extended parameter', () => {
    expect(contentDisposition('NFO_resized.jpg')).toBe('inline; filename="NFO_resized.jpg"');
  });

  it.each([
    ['quotes', 'my "best" photo.jpg', 'my _best_ photo.jpg'],
    ['a semicolon', 'a;filename=evil.exe', 'a_filename=evil.exe'],
    ['CR and LF', 'a\r\nSet-Cookie: x=1.png', 'a__Set-Cookie: x=1.png'],
    ['a backslash', 'C:\\temp\\x.pdf', 'C:_temp_x.pdf'],
    ['a percent sign', '100%.pdf', '100_.pdf'],
    ['non-ASCII', 'résumé 日本.pdf', 'r_sum_ __.pdf'],
    ['an emoji (one character, two UTF-16 units)', '🌍.png', '_.png'],
  ])('quotes a name with %s safely and keeps it exactly in filename*', (_name, fileName, fallback) => {
    const header = contentDisposition(fileName);
    expect(header).not.toMatch(/[\r\n]/);
    expect(parse(header)).toEqual({ fallback, extended: fileName });
  });

  it('turns a lone surrogate into U+FFFD instead of throwing', () => {
    expect(parse(contentDisposition('a\ud800b')).extended).toBe('a\ufffdb');
  });

  it('never yields a header that a strict parser rejects, whatever the name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 240 }), (fileName) => {
        const { extended } = parse(contentDisposition(fileName));
        // What UTF-8 can carry: lone surrogates become U+FFFD.
        expect(extended ?? fileName).toBe(Buffer.from(fileName, 'utf8').toString('utf8'));
      }),
    );
  });
});

describe('stored entries', () => {
  const entry = { kind: 'document' as const, contentType: 'application/pdf', fileName: 'a.pdf', content: 'JVBERi0=' };

  it('round-trip through one value', () => {
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
  });

  it.each(['', 'not json', 'null', '{"v":2}', JSON.stringify({ ...entry, v: 1, kind: 'gif' })])(
    'a value this service did not write (%j) decodes to undefined',
    (value) => expect(decodeEntry(value)).toBeUndefined(),
  );

  it('are served with the headers of CONTRACT section 4', () => {
    expect(fileHeaders(entry)).toEqual({
      'content-type': 'application/pdf',
      'content-length': '5',
      'content-disposition': 'inline; filename="a.pdf"',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });
});

describe('mediaMaxBodyBytes', () => {
  it('fits a 4 MiB file as base64 with the largest valid envelope, and stays under the 6 MB Lambda limit', () => {
    const limit = mediaMaxBodyBytes(4 * 1024 * 1024);
    expect(limit).toBeGreaterThan(4 * Math.ceil((4 * 1024 * 1024) / 3) + 12_000);
    expect(limit).toBeLessThan(4 * Math.ceil((4 * 1024 * 1024) / 3) + 100 * 1024);
    expect(limit).toBeLessThan(6 * 1024 * 1024);
  });
});

describe('redisFailureReason', () => {
  it('drops the command @upstash/redis appends to its errors, which for a SET is the file', () => {
    const error = new Error('redis unavailable, command was: ["set","k","SECRET-FILE-CONTENT"]');
    expect(redisFailureReason(error)).toBe('Error: redis unavailable');
  });

  it('names the cause of a failed fetch', () => {
    const error = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    expect(redisFailureReason(error)).toBe('TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:1)');
  });
});
