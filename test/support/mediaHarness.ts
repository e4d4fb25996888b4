import { SENDER } from './whatsAppSandbox';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createIdempotencyStore } from '../../lib/outbound/idempotency';
import { createLogger } from '../../lib/platform/log';
import { MEDIA_KINDS, MEDIA_KIND_NAMES } from '../../lib/media/kinds';
import { makeFetchMediaHandler } from '../../lib/media/fetch';
import { makeSendMediaHandler } from '../../lib/media/send';
import { createMediaStore } from '../../lib/media/store';
import { createRedis } from '../../lib/platform/redis';
import { startLambdaHttp, type LambdaHttp, type LambdaRoute } from './lambdaHttp';

/**
 * The eight media handlers, wired as in production (real @upstash/redis client, real
 * Infobip client over HTTP), behind the test HTTP adapter, so that the Infobip sandbox
 * can fetch files from them over the network.
 */
export interface MediaHarnessOptions {
  redis: { url: string; token: string };
  infobip: { baseUrl: string; apiKey: string };
  ctliveApiToken: string;
  fetchTtlSeconds?: number;
  ttlSeconds?: number;
  maxBytes?: number;
  /** Every log line of every handler, in order. */
  sink: (line: string) => void;
}

export interface MediaHarness extends LambdaHttp {
  /** What IMCHANNEL_PUBLIC_URL would be: `<url>/imchannel`. */
  publicUrl: string;
}

export async function startMediaHarness(options: MediaHarnessOptions): Promise<MediaHarness> {
  const media = {
    ttlSeconds: options.ttlSeconds ?? 86_400,
    fetchTtlSeconds: options.fetchTtlSeconds ?? 60,
    maxBytes: options.maxBytes ?? 4 * 1024 * 1024,
  };
  const infobipConfig = {
    // The sandbox's business number: a sticker goes through the WhatsApp API, which needs it as `from`.
    defaults: { baseUrl: options.infobip.baseUrl, apiKey: options.infobip.apiKey, scenarioKey: 'TEST-SCENARIO', sender: SENDER },
    allowedHosts: ['127.0.0.1'],
    timeoutMs: 5_000,
  };
  const infobip = createInfobipClient({ timeoutMs: infobipConfig.timeoutMs });
  const redis = createRedis(options.redis);
  const idempotencyConfig = { ttlSeconds: 86_400, lookupGraceSeconds: 600 };
  const realIdempotency = { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig };
  const logger = (tag: string) =>
    createLogger(tag, { format: 'text', level: 'INFO', sink: options.sink, secrets: [options.ctliveApiToken] });

  const http = await startLambdaHttp((baseUrl) =>
    MEDIA_KIND_NAMES.flatMap((kind): LambdaRoute[] => {
      const spec = MEDIA_KINDS[kind];
      const sendLog = logger(spec.sendTag);
      const fetchLog = logger(spec.fetchTag);
      return [
        {
          methods: ['POST'],
          path: `/imchannel/${spec.sendTag}`,
          handler: makeSendMediaHandler(spec, {
            idempotency: realIdempotency,
            log: sendLog,
            infobip,
            infobipConfig,
            publicUrl: `${baseUrl}/imchannel`,
            ctliveApiToken: options.ctliveApiToken,
            store: createMediaStore(redis, sendLog),
            media,
          }),
        },
        {
          methods: ['GET', 'HEAD'],
          path: `/imchannel/${spec.route}/{id}`,
          handler: makeFetchMediaHandler(spec, { log: fetchLog, store: createMediaStore(redis, fetchLog), media }),
        },
      ];
    }),
  );
  return { ...http, publicUrl: `${http.url}/imchannel` };
}
