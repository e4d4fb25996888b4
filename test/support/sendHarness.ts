import { createInfobipClient } from '../../lib/outbound/infobip';
import type { InfobipConfig } from '../../lib/platform/config';
import { createLogger } from '../../lib/platform/log';
import type { HttpEvent, HttpResponse } from '../../lib/platform/http';
import type { Context } from 'aws-lambda';
import { memoryIdempotency } from './idempotencyFake';
import { fakeMediaStore } from './mediaStoreFake';
import { acceptedAnswer } from './infobipAnswers';
import { apiEvent, captureLines, lambdaContext } from './lambda';

/**
 * A send route's real handler with Infobip faked at fetch (every call recorded with its URL
 * and JSON body) and everything else in memory: for the unit tests of which API a request
 * reaches and what it carries. `answer` gives Infobip's reply by URL (by default the
 * accepted answer of the API the URL names).
 */
export const TOKEN = 'ctlive-token-0123456789';
export const API_KEY = 'infobip-key-abcdef0123456789';
export const BASE_URL = 'https://xxxx.api.infobip.com';
export const SENDER = '447860099299';
export const PUBLIC_URL = 'https://imchannel.example.com/imchannel';
export const NOTIFY_URL = `${PUBLIC_URL}/onDeliveryReport?token=report-token-0123456789abcdef0123456789`;
export const QUOTED = 'wamid.HBgLMzkxMjM0NTY3ODkVAgASGBQzQUY2QjYzRDM0RjVCMzM4QTFBRQA=';

export interface Call {
  url: string;
  body: Record<string, unknown>;
}

export type Handler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

/** The deployment the handler runs in: its INFOBIP_TRANSPORT and INFOBIP_SENDER, and the bearer token it takes. */
export interface HarnessConfig {
  transport?: 'omni' | 'whatsapp';
  sender?: string;
  token?: string;
}

export function harness(
  make: (deps: ReturnType<typeof baseDeps>) => Handler,
  config: HarnessConfig = {},
  answer: (url: string) => Response = acceptedAnswer,
) {
  const calls: Call[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    // A call without a body (a read receipt) records `body` undefined.
    calls.push({
      url,
      body: init.body === undefined ? (undefined as never) : (JSON.parse(String(init.body)) as Record<string, unknown>),
    });
    return answer(url);
  }) as unknown as typeof fetch;
  const { lines, sink } = captureLines();
  const deps = baseDeps(fakeFetch, sink, config);
  const handler = make(deps);
  let lastHeaders: Record<string, unknown> = {};
  const send = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({ body, headers: { authorization: `Bearer ${config.token ?? TOKEN}`, ...headers } }),
      lambdaContext('test'),
    );
    lastHeaders = res.headers ?? {};
    return { status: res.statusCode, body: JSON.parse(String(res.body)) as Record<string, unknown> };
  };
  /** The headers of the last answer. */
  const headers = () => lastHeaders;
  return { calls, lines, send, handler, headers };
}

export function baseDeps(fakeFetch: typeof fetch, sink: (line: string) => void, config: HarnessConfig) {
  const infobipConfig: InfobipConfig = {
    defaults: {
      baseUrl: BASE_URL,
      apiKey: API_KEY,
      scenarioKey: 'SCENARIO-KEY',
      ...(config.sender === undefined ? {} : { sender: config.sender }),
    },
    allowedHosts: ['*.api.infobip.com'],
    timeoutMs: 200,
    ...(config.transport === undefined ? {} : { transport: config.transport }),
  };
  const fake = fakeMediaStore();
  return {
    idempotency: memoryIdempotency(),
    log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink, secrets: [TOKEN, API_KEY] }),
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig,
    // Bound to each message in production (notifyUrlFor); one URL here, so that a test can name it.
    notifyUrl: () => NOTIFY_URL,
    ctliveApiToken: config.token ?? TOKEN,
    publicUrl: PUBLIC_URL,
    store: fake.store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 1024 * 1024 },
    catalogue: { get: async () => undefined, put: async () => undefined },
  };
}
