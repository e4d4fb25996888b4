import type { Redis } from '@upstash/redis';
import * as z from '../platform/schema';
import { InfobipError, InfobipRateLimitedError, InfobipTimeoutError, reasonOf } from '../platform/errors';
import { deadline } from '../platform/deadline';
import { runbook, type TaggedLogger } from '../platform/log';
import { redisKeys } from '../platform/redis';
import { retryAfterSeconds } from '../outbound/infobip';

/**
 * A sender's WhatsApp templates, as ctlive's agents need them to fill in a form: per template
 * its name, language, category and status, and per component how many placeholders it takes
 * and which buttons it has. Read from Infobip's WhatsApp API
 * (`GET /whatsapp/2/senders/{sender}/templates`, TemplatesApiResponse and its
 * DefaultTemplateStructureApiData, HeaderApiData, BodyApiData and ButtonApiData schemas:
 * api-evangelist/infobip openapi/infobip-whatsapp-openapi.json v3.210.0), and cached in Redis.
 */

export interface TemplateSummary {
  name: string;
  language: string;
  category: string;
  status: string;
  /** TEXT, IMAGE, VIDEO, GIF, DOCUMENT or LOCATION; a TEXT header may take one placeholder. */
  header?: { format: string; placeholders: number };
  body: { placeholders: number };
  /** In the template's order; a URL button with a dynamic URL takes one placeholder. */
  buttons: { type: string; placeholders: number }[];
}

export interface Catalogue {
  sender: string;
  templates: TemplateSummary[];
  /** When IMChannel read it from Infobip (ISO 8601). */
  fetchedAt: string;
}

export const catalogueSchema = z.object({
  sender: z.string(),
  templates: z.array(
    z.object({
      name: z.string(),
      language: z.string(),
      category: z.string(),
      status: z.string(),
      header: z.optional(z.object({ format: z.string(), placeholders: z.number() })),
      body: z.object({ placeholders: z.number() }),
      buttons: z.array(z.object({ type: z.string(), placeholders: z.number() })),
    }),
  ),
  fetchedAt: z.string(),
});

/**
 * The placeholders of a component's text: `{{1}}`, `{{2}}`… (or named `{{name}}`), each
 * counted once however often it appears.
 */
export function countPlaceholders(text: string | undefined): number {
  if (text === undefined) return 0;
  const names = new Set<string>();
  // The name is trimmed here rather than by \s* around a lazy group, which backtracks quadratically.
  for (const match of text.matchAll(/\{\{([^{}]*)\}\}/g)) {
    const name = (match[1] as string).trim();
    if (name !== '') names.add(name);
  }
  return names.size;
}

// Loose: Infobip adds fields over time (quality, platform, carousel, …) and IMChannel reads only these.
const infobipTemplatesSchema = z.looseObject({
  templates: z.array(
    z.looseObject({
      name: z.string(),
      language: z.string(),
      status: z.optional(z.string()),
      category: z.optional(z.string()),
      structure: z.optional(
        z.looseObject({
          header: z.optional(z.looseObject({ format: z.optional(z.string()), text: z.optional(z.string()) })),
          body: z.optional(z.looseObject({ text: z.optional(z.string()) })),
          buttons: z.optional(
            z.array(z.looseObject({ type: z.optional(z.string()), url: z.optional(z.string()), text: z.optional(z.string()) })),
          ),
        }),
      ),
    }),
  ),
});

type InfobipTemplates = z.infer<typeof infobipTemplatesSchema>;

export function summarise(sender: string, response: InfobipTemplates, fetchedAt: Date): Catalogue {
  return {
    sender,
    fetchedAt: fetchedAt.toISOString(),
    templates: response.templates.map((template): TemplateSummary => {
      const structure = template.structure ?? {};
      const header = structure.header;
      return {
        name: template.name,
        language: template.language,
        category: template.category ?? 'UNKNOWN',
        status: template.status ?? 'UNKNOWN',
        ...(header === undefined
          ? {}
          : {
              header: {
                format: header.format ?? 'UNKNOWN',
                placeholders: header.format === 'TEXT' ? countPlaceholders(header.text) : 0,
              },
            }),
        body: { placeholders: countPlaceholders(structure.body?.text) },
        buttons: (structure.buttons ?? []).map((button) => ({
          type: button.type ?? 'UNKNOWN',
          placeholders: button.type === 'URL' ? countPlaceholders(button.url) : 0,
        })),
      };
    }),
  };
}

export interface CatalogueSettings {
  baseUrl: string;
  apiKey: string;
}

export interface TemplatesClient {
  /** The sender's templates, from Infobip (one GET), summarised. */
  fetch(settings: CatalogueSettings, sender: string, log: TaggedLogger): Promise<Catalogue>;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const errorTextSchema = z.object({
  requestError: z.object({ serviceException: z.looseObject({ text: z.optional(z.string()) }) }),
});

export function createTemplatesClient(options: { timeoutMs: number; fetch?: typeof fetch; now?: () => Date }): TemplatesClient {
  const doFetch = options.fetch ?? fetch;
  return {
    async fetch(settings, sender, log) {
      const url = `${settings.baseUrl}/whatsapp/2/senders/${encodeURIComponent(sender)}/templates`;
      log.addSecret(settings.apiKey);
      log.info(runbook.infobipQuery(url));
      const timeout = deadline(options.timeoutMs);
      const started = Date.now();
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const response = await doFetch(url, {
          headers: { authorization: `App ${settings.apiKey}`, accept: 'application/json' },
          signal: timeout.signal,
          redirect: 'error', // a redirect would carry the key to a host nobody checked
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch (error: unknown) {
        const name = (error as { name?: unknown } | null)?.name;
        if (name === 'TimeoutError' || name === 'AbortError') throw new InfobipTimeoutError(options.timeoutMs);
        const cause = error instanceof Error && error.cause ? reasonOf(error.cause) : reasonOf(error);
        throw new InfobipError(`Could not reach Infobip: ${cause}`);
      } finally {
        timeout.clear();
        log.metrics.record('InfobipDuration', Date.now() - started);
      }
      log.info(runbook.infobipResponse(url, text));
      const body = parseJsonOrUndefined(text);
      if (status === 429) throw new InfobipRateLimitedError(retryAfterSeconds(retryAfter));
      if (status !== 200) {
        const refusal = errorTextSchema.safeParse(body);
        const why = refusal.success && refusal.data.requestError.serviceException.text;
        throw new InfobipError(
          `Infobip refused the template list of sender ${sender}: ${why || `HTTP ${status}`}`,
          status,
          refusal.success ? refusal.data.requestError.serviceException : undefined,
        );
      }
      const parsed = infobipTemplatesSchema.safeParse(body);
      if (!parsed.success) throw new InfobipError('Infobip answered with a body that is not a template list', status);
      return summarise(sender, parsed.data, (options.now ?? (() => new Date()))());
    },
  };
}

/** The catalogue's Redis key: one per sender and Infobip account (its base URL). */
export const catalogueKey = (sender: string, baseUrl: string) => redisKeys.templates(sender, baseUrl);

/** A cached catalogue, or undefined for no key or a value this service did not write. */
export function decodeCatalogue(value: string | null | undefined): Catalogue | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = catalogueSchema.safeParse(parseJsonOrUndefined(value));
  return parsed.success ? parsed.data : undefined;
}

export interface CatalogueCache {
  /** GET: one round trip. */
  get(sender: string, baseUrl: string): Promise<Catalogue | undefined>;
  /** SET … EX: one round trip. */
  put(baseUrl: string, catalogue: Catalogue, ttlSeconds: number): Promise<void>;
}

export function createCatalogueCache(redis: Redis): CatalogueCache {
  return {
    async get(sender, baseUrl) {
      return decodeCatalogue(await redis.get<string>(catalogueKey(sender, baseUrl)));
    },
    async put(baseUrl, catalogue, ttlSeconds) {
      await redis.set(catalogueKey(catalogue.sender, baseUrl), JSON.stringify(catalogue), { ex: ttlSeconds });
    },
  };
}
