import type { NotifyUrl } from '../../lib/platform/config';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createIdempotencyStore } from '../../lib/outbound/idempotency';
import { createLogger } from '../../lib/platform/log';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import { makeFetchMediaHandler } from '../../lib/media/fetch';
import { createMediaStore } from '../../lib/media/store';
import { createRedis } from '../../lib/platform/redis';
import { createCatalogueCache, createTemplatesClient } from '../../lib/templates/catalogue';
import { makeListTemplatesHandler } from '../../lib/templates/list';
import { makeSendTemplateHandler } from '../../lib/templates/send';
import { startLambdaHttp, type LambdaHttp, type LambdaRoute } from './lambdaHttp';

/**
 * sendWhatsAppTemplateMessage, listTemplates and the three fetch routes a header's file is
 * served by, wired as in production (real @upstash/redis client, real Infobip clients over
 * HTTP) behind the test HTTP adapter, so that the Infobip sandbox can fetch from them.
 */
export interface TemplateHarnessOptions {
  redis: { url: string; token: string };
  infobip: { baseUrl: string; apiKey: string; sender?: string };
  ctliveApiToken: string;
  /** Where the sandbox posts this harness's reports (notifyUrl). */
  notifyUrl?: NotifyUrl;
  cacheTtlSeconds?: number;
  sink: (line: string) => void;
}

export interface TemplateHarness extends LambdaHttp {
  publicUrl: string;
}

export async function startTemplateHarness(options: TemplateHarnessOptions): Promise<TemplateHarness> {
  const media = { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * 1024 * 1024 };
  const { sender, ...credentials } = options.infobip;
  const infobipConfig = {
    defaults: { ...credentials, scenarioKey: 'TEST-SCENARIO', ...(sender === undefined ? {} : { sender }) },
    allowedHosts: ['127.0.0.1'],
    timeoutMs: 5_000,
  };
  const redis = createRedis(options.redis);
  const idempotencyConfig = { ttlSeconds: 86_400, lookupGraceSeconds: 600 };
  const logger = (tag: string) =>
    createLogger(tag, { format: 'text', level: 'INFO', sink: options.sink, secrets: [options.ctliveApiToken] });
  const sendLog = logger('sendWhatsAppTemplateMessage');
  const http = await startLambdaHttp((baseUrl) => [
    {
      methods: ['POST'],
      path: '/imchannel/sendWhatsAppTemplateMessage',
      handler: makeSendTemplateHandler({
        idempotency: { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig },
        log: sendLog,
        infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
        infobipConfig,
        publicUrl: `${baseUrl}/imchannel`,
        ...(options.notifyUrl === undefined ? {} : { notifyUrl: options.notifyUrl }),
        ctliveApiToken: options.ctliveApiToken,
        store: createMediaStore(redis, sendLog),
        media,
        catalogue: createCatalogueCache(redis),
      }),
    },
    {
      methods: ['GET'],
      path: '/imchannel/templates',
      handler: makeListTemplatesHandler({
        log: logger('listTemplates'),
        infobipConfig,
        ctliveApiToken: options.ctliveApiToken,
        templates: createTemplatesClient({ timeoutMs: infobipConfig.timeoutMs }),
        cache: createCatalogueCache(redis),
        cacheTtlSeconds: options.cacheTtlSeconds ?? 300,
      }),
    },
    ...(['image', 'video', 'document'] as const).map((kind): LambdaRoute => {
      const spec = MEDIA_KINDS[kind];
      const log = logger(spec.fetchTag);
      return {
        methods: ['GET', 'HEAD'],
        path: `/imchannel/${spec.route}/{id}`,
        handler: makeFetchMediaHandler(spec, { log, store: createMediaStore(redis, log), media }),
      };
    }),
  ]);
  return { ...http, publicUrl: `${http.url}/imchannel` };
}
