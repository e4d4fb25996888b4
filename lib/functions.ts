import { MEDIA_KIND_NAMES, MEDIA_KINDS, type MediaKind } from './media/kinds';
import {
  CATALOGUE_SECRETS,
  COPIER_SECRETS,
  FETCH_SECRETS,
  INBOUND_MEDIA_SECRETS,
  SEND_SECRETS,
  UPLOAD_SECRETS,
  WEBHOOK_SECRETS,
} from './platform/secrets';
import type { SecretVariable } from './platform/config';

/**
 * Every Lambda function of the service, as data: the one list that the template test holds
 * serverless.yml's packaged CloudFormation against (function set, routes, roles, SSM names),
 * and that the logs CLI, the bench and the tests take their lists from. Adding a function is
 * a row here, its `functions/<name>.ts` and its serverless.yml block; a test fails until all
 * three agree. Nothing here is imported by a Lambda bundle.
 */

export type FunctionGroup =
  | 'send'
  | 'mediaSend'
  | 'mediaFetch'
  | 'mediaUpload'
  | 'catalogue'
  | 'webhook'
  | 'inboundMedia'
  | 'copier'
  | 'methodNotAllowed'
  | 'local';

export interface Route {
  /** `ANY`: every method the path has no route of its own for. */
  method: 'GET' | 'HEAD' | 'POST' | 'ANY';
  /** Under the API's base path, as API Gateway declares it (`/imchannel/...`). */
  path: string;
}

export interface FunctionSpec {
  /** Lambda function name, `functions/<name>.ts`, and the tag of every log line (`[name]`). */
  name: string;
  group: FunctionGroup;
  routes: readonly Route[];
  /** The SSM parameters it reads at cold start; its role may read exactly these. */
  secrets: readonly SecretVariable[];
  /** Present for the media rows. */
  kind?: MediaKind;
  /**
   * A send that is no media send but may name uploads of these kinds (a menu's header): its
   * role reads and deletes them in the media bucket as a media send's does, and it gets
   * each kind's streaming URL (`MEDIA_STREAM_URL_<KIND>`).
   */
  uploads?: readonly MediaKind[];
}

const post = (name: string): Route => ({ method: 'POST', path: `/imchannel/${name}` });

const mediaRows = MEDIA_KIND_NAMES.flatMap((kind): FunctionSpec[] => {
  const spec = MEDIA_KINDS[kind];
  const fetchPath = `/imchannel/${spec.route}/{id}`;
  return [
    { name: spec.sendTag, group: 'mediaSend', kind, routes: [post(spec.sendTag)], secrets: SEND_SECRETS },
    {
      name: spec.fetchTag,
      group: 'mediaFetch',
      kind,
      // HTTP API routes match one method each, so Infobip's HEAD is declared beside GET.
      routes: [
        { method: 'GET', path: fetchPath },
        { method: 'HEAD', path: fetchPath },
      ],
      secrets: FETCH_SECRETS,
    },
  ];
});

/** The upload kinds a menu's IMAGE, VIDEO or DOCUMENT header takes. */
const HEADER_UPLOADS: readonly MediaKind[] = ['image', 'video', 'document'];

const SERVING: readonly FunctionSpec[] = [
  { name: 'sendMessage', group: 'send', routes: [post('sendMessage')], secrets: SEND_SECRETS },
  // Locations and contact cards: sends like sendMessage, nothing parked.
  { name: 'sendWhatsAppLocationMessage', group: 'send', routes: [post('sendWhatsAppLocationMessage')], secrets: SEND_SECRETS },
  { name: 'sendWhatsAppContactMessage', group: 'send', routes: [post('sendWhatsAppContactMessage')], secrets: SEND_SECRETS },
  // Menus, only through the WhatsApp API: reply buttons and the link button (their header may
  // park a file, served by the media fetch routes), and a list (nothing parked).
  {
    name: 'sendWhatsAppButtonsMessage',
    group: 'send',
    routes: [post('sendWhatsAppButtonsMessage')],
    secrets: SEND_SECRETS,
    uploads: HEADER_UPLOADS,
  },
  { name: 'sendWhatsAppListMessage', group: 'send', routes: [post('sendWhatsAppListMessage')], secrets: SEND_SECRETS },
  {
    name: 'sendWhatsAppUrlButtonMessage',
    group: 'send',
    routes: [post('sendWhatsAppUrlButtonMessage')],
    secrets: SEND_SECRETS,
    uploads: HEADER_UPLOADS,
  },
  // Read receipts and typing: calls to Infobip that are not messages.
  { name: 'markAsRead', group: 'send', routes: [post('markAsRead')], secrets: SEND_SECRETS },
  { name: 'sendTypingIndicator', group: 'send', routes: [post('sendTypingIndicator')], secrets: SEND_SECRETS },
  // A template (it may park a header's file, served by the media fetch routes) and the catalogue.
  {
    name: 'sendWhatsAppTemplateMessage',
    group: 'send',
    routes: [post('sendWhatsAppTemplateMessage')],
    secrets: SEND_SECRETS,
  },
  {
    name: 'listTemplates',
    group: 'catalogue',
    routes: [{ method: 'GET', path: '/imchannel/templates' }],
    secrets: CATALOGUE_SECRETS,
  },
  // Large files: a presigned S3 PUT, then a media send names the upload by mediaId.
  { name: 'createMediaUpload', group: 'mediaUpload', routes: [post('media')], secrets: UPLOAD_SECRETS },
  ...mediaRows.filter((row) => row.group === 'mediaSend'),
  ...mediaRows.filter((row) => row.group === 'mediaFetch'),
  { name: 'onMessage', group: 'webhook', routes: [post('onMessage')], secrets: WEBHOOK_SECRETS },
  { name: 'onDeliveryReport', group: 'webhook', routes: [post('onDeliveryReport')], secrets: WEBHOOK_SECRETS },
  // Customers' files: ctlive's (and an agent's browser's) way to them, copied on demand if need be.
  {
    name: 'getInboundMedia',
    group: 'inboundMedia',
    routes: [{ method: 'GET', path: '/imchannel/inboundMedia/{id}' }],
    secrets: INBOUND_MEDIA_SECRETS,
  },
  // Copies each customer's file from Infobip into the bucket: invoked asynchronously by onMessage, no route.
  { name: 'copyInboundMedia', group: 'copier', routes: [], secrets: COPIER_SECRETS },
];

export const FUNCTIONS: readonly FunctionSpec[] = [
  ...SERVING,
  // An ANY route on each path above answers a wrong method with 405 and Allow (lib/methodNotAllowed.ts).
  {
    name: 'methodNotAllowed',
    group: 'methodNotAllowed',
    routes: [...new Set(SERVING.flatMap((fn) => fn.routes.map((route) => route.path)))].map((path) => ({ method: 'ANY', path })),
    secrets: [],
  },
  // The local stack's stand-in for ctlive (serverless.local.yml); never deployed.
  { name: 'ctliveSink', group: 'local', routes: [], secrets: [] },
];

/** The functions serverless.yml deploys. */
export const DEPLOYED_FUNCTIONS = FUNCTIONS.filter((fn) => fn.group !== 'local');

export const functionsIn = (...groups: FunctionGroup[]): FunctionSpec[] => FUNCTIONS.filter((fn) => groups.includes(fn.group));

/**
 * API Gateway throttles each route key of the stage on its own (resources/capacity.js), at
 * the limits of its group's budget: a flood on one route is answered 429 there and takes
 * nothing from the others. Three callers, three budgets: ctlive's calls (`send`), Infobip's
 * media fetches (`fetch`) and Infobip's webhooks (`webhook`); a wrong method on a known path
 * takes the stage's `default`. Stage parameters throttle<Budget>RateLimit and
 * throttle<Budget>BurstLimit (`default`: throttleRateLimit, throttleBurstLimit).
 */
export type ThrottleBudget = 'send' | 'fetch' | 'webhook' | 'default';
export const THROTTLE_BUDGETS: Readonly<Record<Exclude<FunctionGroup, 'local'>, ThrottleBudget>> = {
  send: 'send',
  mediaSend: 'send',
  mediaUpload: 'send',
  catalogue: 'send',
  mediaFetch: 'fetch',
  webhook: 'webhook',
  // ctlive's and the agents' browsers' way to customers' files: their calls, like the sends.
  inboundMedia: 'send',
  // No route: invoked by onMessage only.
  copier: 'default',
  methodNotAllowed: 'default',
};

export const DEPLOYED_NAMES = DEPLOYED_FUNCTIONS.map((fn) => fn.name);
