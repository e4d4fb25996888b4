/**
 * The conformance checker's logic (tools/checkInfobip/), on a small specification written
 * here in the published one's shapes (hash-prefixed schema names, discriminators, the known
 * defects), so the test needs no copy of Infobip's files.
 */
import { checkRecording } from '../../tools/checkInfobip/check';
import { makeChecker, relax, type SpecDocument } from '../../tools/checkInfobip/spec';

const H = `${'a'.repeat(64)}.`;
const ref = (name: string) => ({ $ref: `#/components/schemas/${H}${name}` });
const body = (name: string) => ({ requestBody: { content: { 'application/json': { schema: ref(name) } } } });

const SPEC: SpecDocument = {
  openapi: '3.1.0',
  paths: {
    '/whatsapp/1/message/text': { post: { operationId: 'send-text', ...body('TextMessage') } },
    '/whatsapp/1/message/template': { post: { operationId: 'send-template', ...body('TemplateMessage') } },
    '/whatsapp/1/message/{kind}': { post: { operationId: 'send-any', ...body('AnyMessage') } },
    '/whatsapp/1/senders/{sender}/message/{messageId}/read': { post: { operationId: 'mark-read' } },
    '/omni/1/advanced': { post: { operationId: 'omni', ...body('OmniRequest') } },
  },
  components: {
    schemas: {
      [`${H}TextMessage`]: {
        title: 'TextMessage',
        type: 'object',
        properties: { from: { type: 'string', minLength: 1, maxLength: 24 }, content: ref('TextContent') },
        required: ['from', 'content'],
      },
      [`${H}TextContent`]: {
        title: 'TextContent',
        type: 'object',
        properties: { text: { type: 'string', minLength: 1, maxLength: 4096 }, count: { type: 'integer', format: 'int32' } },
        required: ['text'],
      },
      [`${H}TemplateMessage`]: { type: 'object', properties: { header: ref('Header') }, required: ['header'] },
      [`${H}Header`]: {
        title: 'Header',
        type: 'object',
        discriminator: { propertyName: 'type', mapping: { IMAGE: `#/components/schemas/${H}ImageHeader` } },
        properties: { type: { type: 'string' } },
        required: ['type'],
      },
      [`${H}ImageHeader`]: {
        title: 'ImageHeader',
        type: 'object',
        allOf: [ref('Header'), { type: 'object', properties: { mediaUrl: { type: 'string', maxLength: 10 } } }],
        required: ['mediaUrl'],
      },
      [`${H}AnyMessage`]: { oneOf: [{ type: 'object' }, { type: 'object', properties: { a: { type: 'string' } } }] },
      [`${H}OmniRequest`]: { type: 'object', properties: { whatsApp: ref('WhatsAppData') } },
      [`${H}WhatsAppData`]: {
        type: 'object',
        properties: {
          text: { type: 'string' },
          mediaTemplateData: { type: 'object' },
          data: { type: 'object', additionalProperties: { type: 'object' } },
        },
        required: ['mediaTemplateData', 'text'],
      },
    },
  },
};

const checker = makeChecker({ 'spec.json': SPEC });
const errorsFor = (method: string, path: string, value: unknown) => {
  const operation = checker.operation(method, path);
  if (!operation) throw new Error(`no operation for ${method} ${path}`);
  return checker.validate(operation, value);
};

describe('check:infobip: the checker', () => {
  it('resolves an operation by method and path, a literal path before a templated one, ignoring the query', () => {
    expect(checker.operation('POST', '/whatsapp/1/message/template')?.operationId).toBe('send-template');
    expect(checker.operation('POST', '/whatsapp/1/message/image')?.operationId).toBe('send-any');
    expect(checker.operation('POST', '/whatsapp/1/senders/4412/message/wamid.A%2FB%3D/read?x=1')?.operationId).toBe('mark-read');
    expect(checker.operation('GET', '/whatsapp/1/message/text')).toBeUndefined();
    expect(checker.operation('POST', '/whatsapp/1/message/text/extra')).toBeUndefined();
  });

  it('passes a valid body, and names the field, the fault and the failing schema path of an invalid one', () => {
    expect(errorsFor('POST', '/whatsapp/1/message/text', { from: '4412', content: { text: 'hi', count: 3 } })).toEqual([]);
    expect(errorsFor('POST', '/whatsapp/1/message/text', { from: '4412', content: { text: '' } })).toEqual([
      '/content/text: must NOT have fewer than 1 characters (#/components/schemas/TextContent/properties/text/minLength)',
    ]);
  });

  it('applies a discriminator: the mapped schema’s fields are checked, and an unmapped value is refused', () => {
    expect(errorsFor('POST', '/whatsapp/1/message/template', { header: { type: 'IMAGE', mediaUrl: 'https://x' } })).toEqual([]);
    expect(errorsFor('POST', '/whatsapp/1/message/template', { header: { type: 'IMAGE' } })).toEqual([
      expect.stringMatching(/^\/header: must have required property 'mediaUrl' \(ImageHeader /),
    ]);
    expect(errorsFor('POST', '/whatsapp/1/message/template', { header: { type: 'VIDEO' } })).toEqual([
      expect.stringMatching(/^\/header\/type: must be equal to one of the allowed values/),
    ]);
  });

  it('relaxes exactly the known defects: overlapping oneOf, WhatsAppData’s required, free-value maps', () => {
    expect(errorsFor('POST', '/whatsapp/1/message/image', { a: 'matches both oneOf members' })).toEqual([]);
    expect(errorsFor('POST', '/omni/1/advanced', { whatsApp: { text: 'no mediaTemplateData' } })).toEqual([]);
    expect(errorsFor('POST', '/omni/1/advanced', { whatsApp: { data: { key: 'a string' } } })).toEqual([]);
    expect(errorsFor('POST', '/omni/1/advanced', { whatsApp: { text: 5 } })).toEqual([
      expect.stringMatching(/^\/whatsApp\/text: must be string/),
    ]);
  });

  it('never changes the document it is given', () => {
    const before = JSON.stringify(SPEC);
    relax(SPEC);
    expect(JSON.stringify(SPEC)).toBe(before);
  });
});

describe('check:infobip: a recording', () => {
  it('checks each request, skips body-less operations and declared ones, and reports unknown paths by line', () => {
    const result = checkRecording(checker, [
      { method: 'POST', path: '/whatsapp/1/message/text', body: { from: '4412', content: { text: 'hi' } } },
      { method: 'POST', path: '/whatsapp/1/message/text', body: { from: '', content: { text: 'hi' } } },
      { method: 'POST', path: '/whatsapp/1/senders/4412/message/x/read', body: null },
      { method: 'POST', path: '/whatsapp/1/message/text', body: {}, expected: true },
      { method: 'POST', path: '/sms/2/text/advanced', body: {} },
    ]);

    expect(result).toEqual({
      checked: 2,
      skipped: 1,
      declared: 1,
      invalid: [
        {
          line: 2,
          method: 'POST',
          path: '/whatsapp/1/message/text',
          operation: 'send-text',
          errors: ['/from: must NOT have fewer than 1 characters (#/properties/from/minLength)'],
        },
        {
          line: 5,
          method: 'POST',
          path: '/sms/2/text/advanced',
          operation: 'no such operation',
          errors: ['not in the specification'],
        },
      ],
    });
  });
});
