import { checkBearer } from '../platform/auth';
import { type MediaConfig } from '../platform/config';
import { ValidationError, reasonOf } from '../platform/errors';
import { httpStack, jsonResponse } from '../platform/http';
import { createRedis } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import { isInfobipRefusal } from '../outbound/infobip';
import { routeOf } from '../outbound/transports';
import { omniTemplateMessage } from '../outbound/transports/omni';
import { outcomeUnknown } from '../outbound/idempotency';
import * as z from '../platform/schema';
import { sendOnce, sendToInfobip, sentBody, sentBodySchema, validate, type OutboundDeps } from '../outbound/send';
import { MEDIA_KINDS } from '../media/kinds';
import type { MediaStore } from '../media/store';
import { checkFileUrlLength, mediaMaxBodyBytes, parkingSendDeps } from '../media/send';
import { checkHeaderFile, dropParked, headerFileLimit, headerFileOf, parkHeaderFile, type Parked } from '../media/headerFile';
import { catalogueKey, createCatalogueCache, decodeCatalogue, type Catalogue, type CatalogueCache } from './catalogue';
import { TEMPLATE_ENVELOPE_CHARS, checkAgainstCatalogue, templateMessage, templateSendSchema } from './request';

/** The 200 body: a send's, plus the parked header file's id and URL when the header carried one. */
export const templateSentBodySchema = z.object({
  ...sentBodySchema.shape,
  mediaId: z.optional(z.string()),
  mediaUrl: z.optional(z.string()),
});

/**
 * The body limit: a media send's (the largest file as base64 and its envelope), plus the
 * template's own fields at their limits written as six-byte `\uXXXX` escapes.
 */
export const templateMaxBodyBytes = (maxFileBytes: number) => mediaMaxBodyBytes(maxFileBytes) + 6 * TEMPLATE_ENVELOPE_CHARS;

export interface TemplateSendDeps extends OutboundDeps {
  ctliveApiToken: string;
  /** Where Infobip fetches a header's parked file from. */
  publicUrl: string;
  store: MediaStore;
  media: MediaConfig;
  /** Read only for sends without an Idempotency-Key: a keyed send reads it in its claim. */
  catalogue: CatalogueCache;
}

/**
 * A template's document header takes fewer types than a document send: "PDF, DOC(X),
 * PPT(X), XLS(X)" (MediaTemplateHeaderContent.documentUrl, Infobip's published OMNI
 * specification), so no text/plain.
 */
const HEADER_DOCUMENT_TYPES = MEDIA_KINDS.document.contentTypes.filter((type) => type !== 'text/plain');

/**
 * `POST /imchannel/sendWhatsAppTemplateMessage`: an approved WhatsApp template,
 * the one message that reaches a customer whose 24-hour window has closed. A header's file
 * is parked under the claim like a media send's, and served by the kind's fetch route.
 */
export function makeSendTemplateHandler(deps: TemplateSendDeps) {
  const { log, media } = deps;
  const fileLimit = headerFileLimit(media.maxBytes);
  for (const kind of ['image', 'video', 'document'] as const) {
    checkFileUrlLength('IMCHANNEL_PUBLIC_URL', deps.publicUrl, MEDIA_KINDS[kind].route);
  }
  return httpStack(
    {
      log,
      json: true,
      maxBodyBytes: templateMaxBodyBytes(media.maxBytes),
      tooLargeHint: fileLimit,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      refuseQuote(event.jsonBody);
      const body = validate(templateSendSchema, event.jsonBody);
      const file = headerFileOf(body.header, { nameRequired: true });
      const contentType =
        file === undefined
          ? undefined
          : checkHeaderFile(file, media, fileLimit, file.kind === 'document' ? HEADER_DOCUMENT_TYPES : undefined);
      // Checked before anything is claimed or parked, so a request that cannot be sent leaves nothing behind.
      const { settings } = routeOf(body, deps.infobipConfig, 'template', omniTemplateMessage);
      // Without a known business number there is no catalogue to check against: Infobip judges alone.
      const cacheKey = settings.sender === undefined ? undefined : catalogueKey(settings.sender, settings.baseUrl);

      return sendOnce(
        deps,
        event,
        body,
        async ({ messageId, attach, also }) => {
          const catalogue = cacheKey === undefined ? undefined : await cachedCatalogue(deps, also, settings);
          if (catalogue !== undefined) checkAgainstCatalogue(catalogue, body);
          else if (settings.sender !== undefined) {
            log.info(`No cached catalogue for sender [${settings.sender}]: the template goes to Infobip unchecked`, {
              messageId,
            });
          }

          let parked: Parked | undefined;
          if (file !== undefined && contentType !== undefined) {
            parked = await parkHeaderFile(deps, file, contentType);
            attach(parked);
          }
          try {
            const sent = await sendToInfobip(
              deps,
              { ...body, messageId },
              templateMessage(body, parked?.mediaUrl),
              omniTemplateMessage,
            );
            const answer: z.infer<typeof templateSentBodySchema> = { ...sentBody(sent), ...parked };
            return jsonResponse(200, answer);
          } catch (error: unknown) {
            // Refused for certain: nobody will fetch the file. An unknown outcome keeps it.
            if (parked !== undefined && isInfobipRefusal(error) && !outcomeUnknown(error)) {
              await dropParked(deps, parked, messageId);
            }
            throw error;
          }
        },
        // Never refused by the 24-hour window: a template is how a closed one is reopened.
        {
          messageType: 'template',
          sends: { kind: 'template', toOmni: omniTemplateMessage },
          alsoRead: cacheKey === undefined ? undefined : [cacheKey],
        },
      );
    },
  );
}

/** A template cannot quote: WhatsApp shows no quote bubble on one (`MessageContext`), so a `replyTo` is refused rather than dropped. */
function refuseQuote(body: unknown): void {
  if (typeof body === 'object' && body !== null && 'replyTo' in body) {
    throw new ValidationError('Request body failed validation', [
      {
        path: 'replyTo',
        message: 'a template cannot quote a message (WhatsApp shows no quote on a template): leave replyTo out',
      },
    ]);
  }
}

/**
 * The catalogue as the claim read it, or (a send without a key makes no claim) one GET of
 * its own. A Redis failure here does not stop the send: the check is a courtesy, Infobip
 * judges the template anyway.
 */
async function cachedCatalogue(
  deps: TemplateSendDeps,
  also: (string | null)[] | undefined,
  settings: { sender?: string; baseUrl: string },
): Promise<Catalogue | undefined> {
  if (also !== undefined) return decodeCatalogue(also[0]);
  try {
    return await deps.catalogue.get(settings.sender as string, settings.baseUrl);
  } catch (error: unknown) {
    deps.log.warn('Could not read the cached template catalogue, sending unchecked', { reason: reasonOf(error) });
    return undefined;
  }
}

/** Production wiring of sendWhatsAppTemplateMessage, once per cold start. */
export function startSendTemplate() {
  return startFunction(
    'sendWhatsAppTemplateMessage',
    ({ log, redisConfig }) => {
      const redis = createRedis(redisConfig);
      // A header's parked file is fetched from IMCHANNEL_PUBLIC_URL: like the media sends, it cannot start without it.
      return makeSendTemplateHandler({ ...parkingSendDeps(log, redis), catalogue: createCatalogueCache(redis) });
    },
    { secrets: SEND_SECRETS },
  );
}
