/**
 * `simulate inbound --file`: the WhatsApp message type and content type a file is sent as,
 * from its leading bytes (test/support/sampleFile.ts has real ones), else its extension.
 */
import { guessInboundFile } from '../../tools/simulateFile';
import { sampleFile } from '../support/sampleFile';

describe('guessInboundFile', () => {
  it.each([
    ['photo.jpg', 'image/jpeg', 'IMAGE'],
    ['photo.png', 'image/png', 'IMAGE'],
    ['clip.mp4', 'video/mp4', 'VIDEO'],
    ['voice.ogg', 'audio/ogg', 'AUDIO'],
    ['song.mp3', 'audio/mpeg', 'AUDIO'],
    ['note.aac', 'audio/aac', 'AUDIO'],
    ['note.amr', 'audio/amr', 'AUDIO'],
    ['note.m4a', 'audio/mp4', 'AUDIO'],
    ['sticker.webp', 'image/webp', 'STICKER'],
    ['offer.pdf', 'application/pdf', 'DOCUMENT'],
  ])('sends %s (%s) as %s', (name, contentType, type) => {
    expect(guessInboundFile(name, sampleFile(contentType, 64))).toEqual({ type, contentType });
  });

  it('believes the leading bytes over the name: a PNG named .pdf is an image/png IMAGE', () => {
    expect(guessInboundFile('scan.pdf', sampleFile('image/png', 64))).toEqual({ type: 'IMAGE', contentType: 'image/png' });
  });

  it('falls back on the extension when the bytes say nothing, and on a DOCUMENT when neither does', () => {
    const plain = Buffer.from('nothing in particular');

    expect(guessInboundFile('PHOTO.JPG', plain)).toEqual({ type: 'IMAGE', contentType: 'image/jpeg' });
    expect(guessInboundFile('notes.txt', plain)).toEqual({ type: 'DOCUMENT', contentType: 'text/plain' });
    expect(guessInboundFile('data.bin', plain)).toEqual({ type: 'DOCUMENT', contentType: 'application/octet-stream' });
    expect(guessInboundFile('empty', Buffer.alloc(0))).toEqual({ type: 'DOCUMENT', contentType: 'application/octet-stream' });
  });
});
