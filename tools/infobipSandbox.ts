/**
 * Local stand-in for Infobip's OMNI API (`POST /omni/1/advanced`) and its webhooks,
 * used by the tests and by the local stack (`npm start`). It answers, fetches media and
 * posts delivery reports the way Infobip does, as far as IMChannel can tell, and serves the
 * files customers send at Infobip's inbound media path (`addInboundMedia`).
 */
export { startInfobipSandbox } from './infobipSandbox/server';
export {
  deliveryResult,
  inboundMessagePayload,
  interactiveReplyPayload,
  seenReportPayload,
  infobipTime,
} from './infobipSandbox/payloads';
export { DELIVERED, ERROR, STATUS, undelivered } from './infobipSandbox/codes';
export type { InboundMessageOptions, TappedChoice } from './infobipSandbox/payloads';
export { postWebhook, webhookAuthHeaders } from './infobipSandbox/webhook';
export { defaultTemplates } from './infobipSandbox/templates';
export type {
  AcceptedMessage,
  AddedInboundMedia,
  DeliveryReportPost,
  FailureMode,
  InboundMediaFaults,
  InboundMediaFile,
  InboundMediaRequest,
  InfobipSandbox,
  MediaFetch,
  ReceivedRequest,
  SandboxOptions,
  SandboxTemplate,
  WebhookAuth,
} from './infobipSandbox/types';
