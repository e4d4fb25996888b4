import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';
import whatsAppSendResponse from '../fixtures/infobip/infobip-whatsapp-send.response.json';
import whatsAppTemplateResponse from '../fixtures/infobip/infobip-whatsapp-template.response.json';

/**
 * Infobip's 200 for a send to `url`, in the shape of the API the URL names: OMNI's
 * `OmniResponse`, the WhatsApp API's `BulkMessageInfo` for a template, else its
 * `SingleMessageInfo`. For unit tests whose fake fetch answers whichever transport a route chose.
 */
export function acceptedAnswer(url: string): Response {
  const body = url.includes('/whatsapp/1/message/template')
    ? whatsAppTemplateResponse
    : url.includes('/whatsapp/1/message/')
      ? whatsAppSendResponse
      : omniSendResponse;
  return new Response(JSON.stringify(body), { status: 200 });
}
