import type { Redis } from '@upstash/redis';
import * as z from '../platform/schema';
import { checkBearer } from '../platform/auth';
import { readCtliveApiToken, readInfobipConfig, type InfobipConfig } from '../platform/config';
import { UnavailableError, reasonOf } from '../platform/errors';
import { httpStack, jsonResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { accountKeys, createRedis } from '../platform/redis';
import { accountScope } from '../platform/account';
import { startFunction } from '../platform/runtime';
import { SEND_SECRETS } from '../platform/secrets';
import { createInfobipClient, infobipSettingsSchema, resolveSettings, type InfobipClient } from '../outbound/infobip';
import { validate } from '../outbound/send';

export const MARK_AS_READ_TAG = 'markAsRead';

/**
 * `POST /imchannel/markAsRead`: the blue ticks on a customer's message, through Infobip's
 * `POST /whatsapp/1/senders/{sender}/message/{messageId}/read` (mark-whatsapp-message-as-read
 * of its published specification v3.210.0: no body, 204; `MarkAsReadErrorResponse` on a 400;
 * 10 requests a second). The message id goes into the path percent-encoded: WhatsApp ids
 * hold `=`, `+` and `/`. A message marked once is remembered for READ_MARK_SECONDS, so that
 * an agent's client opening it again costs Infobip no call; a mark Infobip did not take is
 * forgotten again, so that a retry goes out.
 */
export const READ_MARK_SECONDS = 7 * 24 * 3600;
const MESSAGE_ID_MAX = 512;

export const markAsReadSchema = z.object({
  messageId: z
    .string("required: the customer's message id, as the inbound event gave it in messageId")
    .check(
      z.minLength(1, "must not be empty: the customer's message id, as the inbound event gave it"),
      z.maxLength(MESSAGE_ID_MAX, `must be at most ${MESSAGE_ID_MAX} characters`),
      z.regex(/^[\x21-\x7e]+$/, "must be the customer's message id as the inbound event gave it: printable ASCII without spaces"),
    ),
  infobip: z.optional(infobipSettingsSchema),
});

export const markedBodySchema = z.object({
  messageId: z.string(),
  read: z.literal(true),
  /** True when this business number had marked it already: Infobip was not called again. */
  alreadyMarked: z.boolean(),
});

export interface ReadMarks {
  /** SET NX EX: true when this call took the mark, false when it was there. */
  take(key: string, seconds: number): Promise<boolean>;
  forget(key: string): Promise<void>;
}

export function createReadMarks(redis: Redis): ReadMarks {
  return {
    take: async (key, seconds) => (await redis.set(key, '1', { nx: true, ex: seconds })) === 'OK',
    forget: async (key) => {
      await redis.del(key);
    },
  };
}

export interface MarkAsReadDeps {
  log: TaggedLogger;
  infobip: InfobipClient;
  infobipConfig: InfobipConfig;
  marks: ReadMarks;
  ctliveApiToken: string;
}

/**
 * The mark, or a 503 without calling Infobip: unmarked, a retry must still go out. A SET NX
 * whose answer was lost may yet land (a slow Redis runs it late) and would answer that retry
 * as marked, so it is deleted again, best effort: sent after it, the DEL lands after it.
 */
async function takeMark(deps: MarkAsReadDeps, key: string, messageId: string): Promise<boolean> {
  try {
    return await deps.marks.take(key, READ_MARK_SECONDS);
  } catch (error: unknown) {
    deps.log.error(`[REDIS] SET NX failed for key [${key}]`, { messageId, reason: reasonOf(error) });
    await deps.marks.forget(key).catch(() => undefined);
    throw new UnavailableError(
      'REDIS_UNAVAILABLE',
      'The read marks (Redis) are unavailable; Infobip was not called, retry later',
    );
  }
}

export function makeMarkAsReadHandler(deps: MarkAsReadDeps) {
  const { log } = deps;
  return httpStack(
    {
      log,
      json: true,
      maxBodyBytes: 16 * 1024,
      authorize: (event) => checkBearer(event.headers, deps.ctliveApiToken),
    },
    async (event) => {
      const body = validate(markAsReadSchema, event.jsonBody);
      const settings = resolveSettings(body.infobip, deps.infobipConfig, 'whatsapp');
      const sender = settings.sender as string;
      // The customer's message id is unique only within its Infobip account.
      const account = accountScope(settings.baseUrl, deps.infobipConfig.defaults.baseUrl);
      const key = accountKeys(account).readMark(sender, body.messageId);
      if (!(await takeMark(deps, key, body.messageId))) {
        log.info(`Message [${body.messageId}] was marked as read already: Infobip not called again`, {
          messageId: body.messageId,
        });
        return jsonResponse(200, { messageId: body.messageId, read: true, alreadyMarked: true });
      }
      const path = `/whatsapp/1/senders/${encodeURIComponent(sender)}/message/${encodeURIComponent(body.messageId)}/read`;
      try {
        await deps.infobip.post(settings, path, undefined, log);
      } catch (error: unknown) {
        // Not marked: the next call must try again.
        await deps.marks.forget(key).catch((redisError: unknown) =>
          log.error('Could not forget the read mark of a message Infobip did not mark', {
            messageId: body.messageId,
            reason: reasonOf(redisError),
          }),
        );
        throw error;
      }
      return jsonResponse(200, { messageId: body.messageId, read: true, alreadyMarked: false });
    },
  );
}

/** Production wiring, once per cold start. */
export function startMarkAsRead() {
  return startFunction(
    MARK_AS_READ_TAG,
    ({ log, redisConfig }) => {
      const infobipConfig = readInfobipConfig();
      return makeMarkAsReadHandler({
        log,
        infobipConfig,
        infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
        marks: createReadMarks(createRedis(redisConfig)),
        ctliveApiToken: readCtliveApiToken(),
      });
    },
    { secrets: SEND_SECRETS },
  );
}
