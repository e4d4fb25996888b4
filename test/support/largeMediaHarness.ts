import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createIdempotencyStore } from '../../lib/outbound/idempotency';
import { createLogger } from '../../lib/platform/log';
import type { MediaFetchMode, ObjectStorageConfig } from '../../lib/platform/config';
import { INFOBIP_MEDIA_LIMITS } from '../../lib/platform/config';
import { MEDIA_KINDS, MEDIA_KIND_NAMES } from '../../lib/media/kinds';
import { makeFetchMediaHandler, makeStreamingFetch, type MediaFetchDeps } from '../../lib/media/fetch';
import { makeSendMediaHandler } from '../../lib/media/send';
import { BUTTONS_TAG, URL_BUTTON_TAG, makeSendButtonsHandler, makeSendUrlButtonHandler } from '../../lib/interactive/send';
import { makeCreateMediaUploadHandler } from '../../lib/media/upload';
import { createMediaStore } from '../../lib/media/store';
import { createObjectStorage, type ObjectStorage } from '../../lib/media/objects';
import { createObjectEntryStore } from '../../lib/media/objectStore';
import { createRedis } from '../../lib/platform/redis';
import type { WindowPolicy } from '../../lib/conversation/window';
import { createConversationReader } from '../../lib/outbound/windowGuard';
import { functionUrlEvent } from '../../tools/functionUrlEvent';
import type { LocalS3 } from '../../tools/localS3';
import { startLambdaHttp, type LambdaRoute } from './lambdaHttp';

/**
 * The upload route, the media sends, the menus whose header may name an upload, and the
 * fetches, wired as in production on a real
 * Redis (through the Upstash proxy), a real S3-compatible server (tools/localS3.ts) and the
 * Infobip sandbox, with the streaming fetch served by the same code as the local stack's
 * streaming route (a Function URL on AWS).
 */
export interface LargeMediaHarnessOptions {
  redis: { url: string; token: string };
  s3: LocalS3;
  infobip: { baseUrl: string; apiKey: string };
  ctliveApiToken: string;
  fetchMode: MediaFetchMode;
  fetchTtlSeconds?: number;
  uploadTtlSeconds?: number;
  /** CONVERSATION_WINDOW_POLICY of the sends (none read without it), with `sender` as the business number. */
  window?: { policy: WindowPolicy; sender: string };
  sink: (line: string) => void;
}

export interface LargeMediaHarness {
  publicUrl: string;
  streamUrl: string;
  storage: ObjectStorage;
  config: ObjectStorageConfig;
  close(): Promise<void>;
}

export async function startLargeMediaHarness(options: LargeMediaHarnessOptions): Promise<LargeMediaHarness> {
  const media = { ttlSeconds: 86_400, fetchTtlSeconds: options.fetchTtlSeconds ?? 60, maxBytes: 4 * 1024 * 1024 };
  const logger = (tag: string) =>
    createLogger(tag, {
      format: 'text',
      level: 'INFO',
      sink: options.sink,
      secrets: [options.ctliveApiToken, options.s3.secretAccessKey],
    });
  const redis = createRedis(options.redis);
  const infobipConfig = {
    defaults: {
      baseUrl: options.infobip.baseUrl,
      apiKey: options.infobip.apiKey,
      scenarioKey: 'TEST-SCENARIO',
      ...(options.window === undefined ? {} : { sender: options.window.sender }),
    },
    allowedHosts: ['127.0.0.1'],
    timeoutMs: 5_000,
  };
  const idempotencyConfig = { ttlSeconds: 86_400, lookupGraceSeconds: 600 };
  const idempotency = { store: createIdempotencyStore(redis, idempotencyConfig), config: idempotencyConfig };

  // The streaming route first: the sends must know its URL.
  const fetchDeps = (tag: string): MediaFetchDeps => {
    const log = logger(tag);
    return { log, media, store: createMediaStore(redis, log), objects: createObjectStorage(configFor(''), log) };
  };
  const configFor = (streamUrl: string): ObjectStorageConfig => ({
    bucket: options.s3.bucket,
    region: options.s3.region,
    endpoint: options.s3.url,
    credentials: { accessKeyId: options.s3.accessKeyId, secretAccessKey: options.s3.secretAccessKey },
    uploadTtlSeconds: options.uploadTtlSeconds ?? 300,
    fetchMode: options.fetchMode,
    streamUrl,
    limits: { ...INFOBIP_MEDIA_LIMITS },
  });
  const streaming = new Map(
    MEDIA_KIND_NAMES.map((kind) => [
      MEDIA_KINDS[kind].route,
      makeStreamingFetch(MEDIA_KINDS[kind], fetchDeps(MEDIA_KINDS[kind].fetchTag)),
    ]),
  );
  const streamServer: Server = createServer((req, res) => {
    const segments = (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean);
    const run = segments.length === 2 ? streaming.get(segments[0]!) : undefined;
    if (run === undefined) return void res.writeHead(404).end();
    void run(functionUrlEvent(req, req.headers.host ?? ''), (status, headers) => {
      res.writeHead(status, headers);
      return res;
    });
  });
  await new Promise<void>((resolve) => streamServer.listen(0, '127.0.0.1', resolve));
  const streamUrl = `http://127.0.0.1:${(streamServer.address() as AddressInfo).port}`;
  const config = configFor(streamUrl);
  const uploadLog = logger('createMediaUpload');
  const storage = createObjectStorage(config, uploadLog);

  /** What every send route of the harness shares, logging under `tag`: a media send's, and a menu's. */
  const sendDeps = (tag: string, publicUrl: string) => {
    const log = logger(tag);
    return {
      idempotency,
      log,
      infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
      infobipConfig,
      publicUrl,
      ctliveApiToken: options.ctliveApiToken,
      store: createMediaStore(redis, log),
      media,
      objects: { config, storage: createObjectStorage(config, log), entries: createObjectEntryStore(redis, log) },
      ...(options.window === undefined
        ? {}
        : { conversationWindow: { policy: options.window.policy, read: createConversationReader(redis) } }),
    };
  };

  const http = await startLambdaHttp((baseUrl) => [
    // Menus whose header may name an upload (lib/interactive/send.ts).
    {
      methods: ['POST'],
      path: `/imchannel/${BUTTONS_TAG}`,
      handler: makeSendButtonsHandler(sendDeps(BUTTONS_TAG, `${baseUrl}/imchannel`)),
    },
    {
      methods: ['POST'],
      path: `/imchannel/${URL_BUTTON_TAG}`,
      handler: makeSendUrlButtonHandler(sendDeps(URL_BUTTON_TAG, `${baseUrl}/imchannel`)),
    },
    {
      methods: ['POST'],
      path: '/imchannel/media',
      handler: makeCreateMediaUploadHandler({
        log: uploadLog,
        ctliveApiToken: options.ctliveApiToken,
        storage,
        entries: createObjectEntryStore(redis, uploadLog),
        objects: config,
        media,
      }),
    },
    ...MEDIA_KIND_NAMES.flatMap((kind): LambdaRoute[] => {
      const spec = MEDIA_KINDS[kind];
      return [
        {
          methods: ['POST'],
          path: `/imchannel/${spec.sendTag}`,
          handler: makeSendMediaHandler(spec, sendDeps(spec.sendTag, `${baseUrl}/imchannel`)),
        },
        {
          methods: ['GET', 'HEAD'],
          path: `/imchannel/${spec.route}/{id}`,
          handler: makeFetchMediaHandler(spec, fetchDeps(spec.fetchTag)),
        },
      ];
    }),
  ]);
  return {
    publicUrl: `${http.url}/imchannel`,
    streamUrl,
    storage,
    config,
    async close() {
      await http.close();
      streamServer.closeAllConnections();
      await new Promise<void>((resolve) => streamServer.close(() => resolve()));
    },
  };
}
