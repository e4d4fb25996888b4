import { checkContent } from '../../lib/media/magic';
import { MEDIA_KIND_NAMES, MEDIA_KINDS } from '../../lib/media/kinds';
import { sampleFile } from '../support/sampleFile';
import { bodyFor, setupSend as setup } from '../support/mediaSendSetup';

const ALL_TYPES = MEDIA_KIND_NAMES.flatMap((kind) => MEDIA_KINDS[kind].contentTypes);
const hex = (text: string) => Buffer.from(text.replace(/ /g, ''), 'hex');
const fits = (type: string, bytes: Buffer) => checkContent(type, bytes).fits;

describe('checkContent: the leading bytes against the declared type', () => {
  it.each(ALL_TYPES)('accepts real leading bytes of %s', (type) => {
    expect(fits(type, sampleFile(type, 64))).toBe(true);
  });

  it.each(ALL_TYPES.filter((type) => type !== 'text/plain'))('refuses bytes of no known kind declared as %s', (type) => {
    expect(fits(type, Buffer.from('just some bytes, nothing in particular'))).toBe(false);
  });

  it.each([
    ['a PDF as image/jpeg', 'image/jpeg', Buffer.from('%PDF-1.4\n'), ['application/pdf']],
    ['a PNG as image/jpeg', 'image/jpeg', hex('89 50 4E 47 0D 0A 1A 0A 00'), ['image/png']],
    ['a JPEG as application/pdf', 'application/pdf', hex('FF D8 FF E0'), ['image/jpeg']],
    ['a DOCX (ZIP) as application/msword', 'application/msword', hex('50 4B 03 04 14 00'), undefined],
    [
      'an OLE document as a DOCX',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      hex('D0 CF 11 E0 A1 B1 1A E1'),
      undefined,
    ],
    ['an MP3 frame as audio/aac', 'audio/aac', hex('FF FB 90 64'), ['audio/mpeg']],
    ['an ADTS frame as audio/mpeg', 'audio/mpeg', hex('FF F1 50 80'), ['audio/aac']],
    ['an Ogg file as audio/amr', 'audio/amr', Buffer.from('OggS\0\u0002'), ['audio/ogg']],
    ['an MP4 as image/png', 'image/png', hex('00 00 00 18 66 74 79 70 69 73 6F 6D'), ['video/mp4', 'video/3gpp', 'audio/mp4']],
  ])('refuses %s, saying what the bytes look like', (_name, type, bytes, detected) => {
    const verdict = checkContent(type, bytes);
    expect(verdict.fits).toBe(false);
    if (detected !== undefined) expect(verdict.fits || verdict.looksLike?.types).toEqual(detected);
  });

  it('accepts an ID3 tag, an ADTS header (FFF1, FFF9) or ADIF as audio/aac, and ID3 or any MPEG frame as audio/mpeg', () => {
    for (const bytes of [Buffer.from('ID3\u0004'), hex('FF F1'), hex('FF F9'), Buffer.from('ADIF')]) {
      expect(fits('audio/aac', bytes)).toBe(true);
    }
    for (const bytes of [Buffer.from('ID3\u0003'), hex('FF FB'), hex('FF F3'), hex('FF E3')])
      expect(fits('audio/mpeg', bytes)).toBe(true);
  });

  it('accepts any ftyp box for video/mp4, video/3gpp and audio/mp4, whatever its brand', () => {
    for (const brand of ['isom', '3gp4', 'M4A ', 'mp42']) {
      const bytes = Buffer.concat([hex('00 00 00 18'), Buffer.from(`ftyp${brand}`)]);
      for (const type of ['video/mp4', 'video/3gpp', 'audio/mp4']) expect(fits(type, bytes)).toBe(true);
    }
  });

  it('takes text/plain unless it is clearly binary: a NUL in the first KiB, or a binary signature', () => {
    expect(fits('text/plain', Buffer.from('Offerta valida fino al 31/12 – è così.\n'))).toBe(true);
    // Words a text may start with, which are also signatures: not proof of a binary file.
    expect(fits('text/plain', Buffer.from('ID3 tags and %PDF- files are explained below'))).toBe(true);
    expect(fits('text/plain', Buffer.from('\ufeffwith a UTF-8 BOM'))).toBe(true);
    expect(fits('text/plain', Buffer.concat([hex('FF FE'), Buffer.from('hi', 'utf16le')]))).toBe(true);
    expect(fits('text/plain', Buffer.concat([Buffer.from('a'.repeat(1023)), hex('00')]))).toBe(false);
    expect(fits('text/plain', Buffer.concat([Buffer.from('a'.repeat(1024)), hex('00')]))).toBe(true);
    expect(checkContent('text/plain', sampleFile('image/png', 64))).toMatchObject({
      fits: false,
      looksLike: { types: ['image/png'] },
    });
  });

  it('leaves a type without a signature alone', () => {
    expect(fits('image/gif', Buffer.from('GIF89a'))).toBe(true);
  });
});

describe('send: content that contradicts its contentType', () => {
  it('415 CONTENT_MISMATCH for a PDF sent as image/jpeg: names what it looks like and where to send it; nothing stored or sent', async () => {
    const { calls, infobipCalls, send } = setup('image');
    const pdf = sampleFile('application/pdf', 300).toString('base64');

    const res = await send(bodyFor('image', { contentType: 'image/jpeg', content: pdf }));

    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      code: 'CONTENT_MISMATCH',
      retryable: false,
      message:
        'The content looks like a PDF (starts with %PDF-), not image/jpeg: send it to /imchannel/sendWhatsAppDocumentMessage with contentType application/pdf',
      detected: ['application/pdf'],
    });
    expect(calls).toEqual([]);
    expect(infobipCalls).toEqual([]);
  });

  it('names every route and type an MP4 container fits', async () => {
    const res = await setup('image').send(bodyFor('image', { content: sampleFile('video/mp4', 300).toString('base64') }));
    expect(res.body.error.message).toBe(
      'The content looks like an MP4/3GPP file (ftyp at byte 4), not image/png: send it to /imchannel/sendWhatsAppVideoMessage with contentType video/mp4 or video/3gpp, or to /imchannel/sendWhatsAppAudioMessage with contentType audio/mp4',
    );
  });

  it('says what was expected when the bytes look like nothing known, and reads the type without its parameters', async () => {
    const { calls, send } = setup('audio');
    const res = await send(bodyFor('audio', { content: Buffer.from('RIFF\0\0\0\0WAVEfmt ').toString('base64') }));
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      code: 'CONTENT_MISMATCH',
      retryable: false,
      message:
        "The content does not look like audio/ogg (expected an Ogg file (starts with OggS)): check that contentType is the file's real type and content the whole file in base64",
    });
    expect(calls).toEqual([]);
  });

  it('refuses binary content declared as text/plain', async () => {
    const res = await setup('document').send(
      bodyFor('document', { contentType: 'text/plain', content: Buffer.from('a\0b').toString('base64') }),
    );
    expect(res.status).toBe(415);
    expect(res.body.error.message).toMatch(/^The content does not look like text\/plain \(expected text, with no NUL byte/);
  });
});
