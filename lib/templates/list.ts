import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import { readCtliveApiToken, readInfobipConfig, readTemplatesConfig, type InfobipConfig } from '../platform/config';
import { BadRequestError, ValidationError, reasonOf } from '../platform/errors';
import { httpStack, jsonResponse, type HttpEvent } from '../platform/http';
import { createRedis } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { CATALOGUE_SECRETS } from '../platform/secrets';
import type { TaggedLogger } from '../platform/log';
import { checkBaseUrl } from '../outbound/infobip';
import {
  catalogueSchema,
  createCatalogueCache,
  createTemplatesClient,
  type CatalogueCache,
  type CatalogueSettings,
  type TemplatesClient,
} from './catalogue';

/** The header a per-request Infobip API key comes in: never the query string, which proxies and access logs keep. */
export const API_KEY_HEADER = 'infobip-api-key';
const QUERY_PARAMETERS = ['sender', 'baseUrl', 'refresh'] as const;

/** The 200 body of GET /imchannel/templates, for the OpenAPI description. */
export const templatesBodySchema = z.object({
  ...catalogueSchema.shape,
  /** Whether it came from Redis rather than from Infobip just now. */
  cached: z.boolean(),
});
export type TemplatesBody = z.infer<typeof templatesBodySchema>;

export interface ListTemplatesDeps {
  ctliveApiToken: string;
  infobipConfig: InfobipConfig;
  templates: TemplatesClient;
  cache: CatalogueCache;
  cacheTtlSeconds: number;
  log: TaggedLogger;
}

const SENDER = /^(?:\+|00)?[1-9]\d{6,14}$/;

/** The sender and Infobip settings: query parameters, the key's header, else the deployment's defaults. */
function settingsOf(event: HttpEvent, config: InfobipConfig): { sender: string; settings: CatalogueSettings; refresh: boolean } {
  const query = event.queryStringParameters ?? {};
  if (query.apiKey !== undefined) {
    throw new BadRequestError(
      'API_KEY_IN_QUERY',
      `Do not put an API key in a URL (access logs and proxies keep URLs): send it in the ${API_KEY_HEADER} header, or leave it to the deployment's INFOBIP_API_KEY`,
    );
  }
  const unknown = Object.keys(query).filter((name) => !(QUERY_PARAMETERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ValidationError(
      'Unknown query parameter',
      unknown.map((name) => ({ path: `query.${name}`, message: `not one of ${QUERY_PARAMETERS.join(', ')}` })),
    );
  }
  const rawSender = query.sender?.trim() || config.defaults.sender;
  const baseUrl = query.baseUrl?.trim() || config.defaults.baseUrl;
  const apiKey = event.headers[API_KEY_HEADER]?.trim() || config.defaults.apiKey;
  const issues = [
    ...(rawSender === undefined
      ? [{ path: 'query.sender', message: 'required: the business number, as the deployment has no INFOBIP_SENDER' }]
      : SENDER.test(rawSender)
        ? []
        : [{ path: 'query.sender', message: 'must be the business number with its country code, 7 to 15 digits' }]),
    ...(baseUrl === undefined ? [{ path: 'query.baseUrl', message: 'required: the deployment has no INFOBIP_BASE_URL' }] : []),
    ...(apiKey === undefined
      ? [{ path: `header.${API_KEY_HEADER}`, message: 'required: the deployment has no INFOBIP_API_KEY' }]
      : []),
  ];
  if (issues.length > 0) throw new ValidationError('Template catalogue settings missing or malformed', issues);
  const refresh = query.refresh;
  if (refresh !== undefined && refresh !== 'true' && refresh !== 'false') {
    throw new ValidationError('Request query failed validation', [{ path: 'query.refresh', message: 'must be true or false' }]);
  }
  return {
    sender: (rawSender as string).replace(/^(?:\+|00)/, ''),
    settings: { baseUrl: checkBaseUrl(baseUrl as string, config.allowedHosts), apiKey: apiKey as string },
    refresh: refresh === 'true',
  };
}

/**
 * `GET /imchannel/templates`: the sender's WhatsApp templates for ctlive's agents,
 * from Redis when read from Infobip less than TEMPLATES_CACHE_TTL_SECONDS ago (one GET),
 * else from Infobip (one GET there and one SET EX here). `refresh=true` skips the cache.
 */
export function makeListTemplatesHandler(deps: ListTemplatesDeps) {
  const { log } = deps;
  return httpStack({ log, authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken) }, async (event) => {
    const { sender, settings, refresh } = settingsOf(event, deps.infobipConfig);
    log.addSecret(settings.apiKey);
    if (!refresh) {
      const cached = await deps.cache.get(sender, settings.baseUrl).catch((error: unknown) => {
        log.warn('Could not read the cached template catalogue, asking Infobip', { reason: reasonOf(error) });
        return undefined;
      });
      if (cached !== undefined) {
        log.info(`Template catalogue of sender [${sender}] from the cache (read from Infobip at ${cached.fetchedAt})`);
        return jsonResponse(200, { ...cached, cached: true } satisfies TemplatesBody);
      }
    }
    const catalogue = await deps.templates.fetch(settings, sender, log);
    await deps.cache.put(settings.baseUrl, catalogue, deps.cacheTtlSeconds).catch((error: unknown) => {
      log.warn('Could not cache the template catalogue', { reason: reasonOf(error) });
    });
    return jsonResponse(200, { ...catalogue, cached: false } satisfies TemplatesBody);
  });
}

/** Production wiring of listTemplates, once per cold start. */
export function startListTemplates() {
  return startFunction(
    'listTemplates',
    ({ log, redisConfig }) => {
      const infobipConfig = readInfobipConfig();
      return makeListTemplatesHandler({
        log,
        infobipConfig,
        ctliveApiToken: readCtliveApiToken(),
        templates: createTemplatesClient({ timeoutMs: infobipConfig.timeoutMs }),
        cache: createCatalogueCache(createRedis(redisConfig)),
        cacheTtlSeconds: readTemplatesConfig().cacheTtlSeconds,
      });
    },
    { secrets: CATALOGUE_SECRETS },
  );
}
