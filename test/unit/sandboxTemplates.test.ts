import { validateOmniAdvanced } from '../../tools/infobipSandbox/validate';
import { defaultTemplates, judgeTemplate } from '../../tools/infobipSandbox/templates';

/** The sandbox holds OMNI template requests to the documented shapes, and judges them as WhatsApp does. */
const request = (whatsApp: unknown) => ({ scenarioKey: 'S', destinations: [{ to: { phoneNumber: '39123456789' } }], whatsApp });
const errorsOf = (whatsApp: unknown) => {
  const result = validateOmniAdvanced(request(whatsApp));
  return result.ok ? {} : result.errors;
};

describe('the sandbox: OMNI template shapes', () => {
  it.each([
    ['a plain template', { templateName: 'order_update', templateData: ['a', 'b'], language: 'en' }],
    ['a plain template without placeholders', { templateName: 'hello', language: 'en', templateNamespace: 'ns' }],
    [
      'a media template with every part',
      {
        templateName: 'welcome_offer',
        mediaTemplateData: {
          header: { imageUrl: 'https://a.example/x.png' },
          body: { placeholders: ['Ada'] },
          buttons: [{ urlPlaceholder: 'x' }, { quickReplyPayload: '' }],
        },
        language: 'en',
      },
    ],
    [
      'a location header',
      {
        templateName: 't',
        mediaTemplateData: { header: { latitude: 1, longitude: 2 }, body: { placeholders: [] } },
        language: 'en',
      },
    ],
    [
      'a document header',
      {
        templateName: 't',
        mediaTemplateData: {
          header: { documentUrl: 'https://a.example/x.pdf', documentFilename: 'x.pdf' },
          body: { placeholders: [] },
        },
        language: 'en',
      },
    ],
  ])('takes %s', (_why, whatsApp) => {
    expect(errorsOf(whatsApp)).toEqual({});
  });

  it.each([
    ['a template with text beside it', { templateName: 't', language: 'en', text: 'hi' }, 'whatsApp.text'],
    ['no language', { templateName: 't', templateData: [] }, 'whatsApp.language'],
    ['a language without a name', { language: 'en' }, 'whatsApp.templateName'],
    [
      'templateData and mediaTemplateData',
      { templateName: 't', language: 'en', templateData: [], mediaTemplateData: { body: { placeholders: [] } } },
      'whatsApp',
    ],
    ['an empty placeholder', { templateName: 't', language: 'en', templateData: ['a', ''] }, 'whatsApp.templateData[1]'],
    [
      'a media template without a body',
      { templateName: 't', language: 'en', mediaTemplateData: {} },
      'whatsApp.mediaTemplateData.body',
    ],
    [
      'an unknown field in mediaTemplateData',
      { templateName: 't', language: 'en', mediaTemplateData: { body: { placeholders: [] }, footer: {} } },
      'whatsApp.mediaTemplateData.footer',
    ],
    [
      'two header kinds',
      {
        templateName: 't',
        language: 'en',
        mediaTemplateData: {
          header: { imageUrl: 'https://a.example/x', videoUrl: 'https://a.example/y' },
          body: { placeholders: [] },
        },
      },
      'whatsApp.mediaTemplateData.header',
    ],
    [
      'a document without its file name',
      {
        templateName: 't',
        language: 'en',
        mediaTemplateData: { header: { documentUrl: 'https://a.example/x.pdf' }, body: { placeholders: [] } },
      },
      'whatsApp.mediaTemplateData.header',
    ],
    [
      'a latitude out of range',
      {
        templateName: 't',
        language: 'en',
        mediaTemplateData: { header: { latitude: 91, longitude: 0 }, body: { placeholders: [] } },
      },
      'whatsApp.mediaTemplateData.header.latitude',
    ],
    [
      'a button with both fields',
      {
        templateName: 't',
        language: 'en',
        mediaTemplateData: { body: { placeholders: [] }, buttons: [{ urlPlaceholder: 'a', quickReplyPayload: 'b' }] },
      },
      'whatsApp.mediaTemplateData.buttons[0]',
    ],
    [
      'a quick reply payload over 128',
      {
        templateName: 't',
        language: 'en',
        mediaTemplateData: { body: { placeholders: [] }, buttons: [{ quickReplyPayload: 'x'.repeat(129) }] },
      },
      'whatsApp.mediaTemplateData.buttons[0].quickReplyPayload',
    ],
    ['an unknown whatsApp field', { templateName: 't', language: 'en', templateParams: [] }, 'whatsApp.templateParams'],
  ])('refuses %s', (_why, whatsApp, field) => {
    expect(Object.keys(errorsOf(whatsApp))).toContain(field);
  });
});

describe('the sandbox: WhatsApp judging a template by the catalogue', () => {
  const catalogue = defaultTemplates();
  it.each([
    ['a plain template that fits', { templateName: 'order_update', language: 'es', templateData: ['a', 'b'] }, undefined],
    ['an unknown name', { templateName: 'nope', language: 'en', templateData: [] }, 'EC_INVALID_TEMPLATE'],
    ['a language it lacks', { templateName: 'order_update', language: 'de', templateData: ['a', 'b'] }, 'EC_INVALID_TEMPLATE'],
    ['one placeholder short', { templateName: 'order_update', language: 'en', templateData: ['a'] }, 'EC_INVALID_TEMPLATE_ARGS'],
    [
      'its image header left out',
      { templateName: 'welcome_offer', language: 'en', templateData: ['a'] },
      'EC_INVALID_TEMPLATE_ARGS',
    ],
    [
      'its dynamic URL button left out',
      {
        templateName: 'welcome_offer',
        language: 'en',
        mediaTemplateData: { header: { imageUrl: 'https://a.example/x.png' }, body: { placeholders: ['a'] } },
      },
      'EC_INVALID_TEMPLATE_ARGS',
    ],
    [
      'a media template that fits',
      {
        templateName: 'welcome_offer',
        language: 'en',
        mediaTemplateData: {
          header: { imageUrl: 'https://a.example/x.png' },
          body: { placeholders: ['a'] },
          buttons: [{ urlPlaceholder: 'x' }],
        },
      },
      undefined,
    ],
    [
      'a video header for a document template',
      {
        templateName: 'invoice_ready',
        language: 'en',
        mediaTemplateData: { header: { videoUrl: 'https://a.example/x.mp4' }, body: { placeholders: ['a'] } },
      },
      'EC_INVALID_TEMPLATE_ARGS',
    ],
  ])('%s', (_why, whatsApp, error) => {
    expect(judgeTemplate(catalogue, whatsApp)?.error.name).toBe(error);
  });

  it('a template that is not APPROVED fails as unknown', () => {
    const paused = catalogue.map((t) => (t.name === 'order_update' ? { ...t, status: 'PAUSED' } : t));
    expect(judgeTemplate(paused, { templateName: 'order_update', language: 'en', templateData: ['a', 'b'] })?.error.id).toBe(
      7009,
    );
  });
});
