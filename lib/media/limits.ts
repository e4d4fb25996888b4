/** Field limits shared by the media send and the upload route (CONTRACT section 3). */
export const FILE_NAME_MAX = 240;
export const CONTENT_TYPE_MAX = 255;
/**
 * Infobip's WhatsApp API caps an image, video or document caption at 3000 characters
 * (openapi/infobip-whatsapp-openapi.json v3.210.0, ImageContent/VideoContent/DocumentContent
 * `caption`); OMNI's WhatsAppData documents no limit of its own and passes it on, so the
 * stricter documented one is checked here rather than left for Infobip or WhatsApp to refuse.
 */
export const CAPTION_MAX = 3000;
