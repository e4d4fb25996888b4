import type { Context } from 'aws-lambda';
import * as z from '../platform/schema';
import {
  readConversationRecordTtl,
  readCtliveApiToken,
  readCtliveTarget,
  readInboundMediaConfig,
  readRequiredInfobipApiKey,
  readRequiredObjectStorageConfig,
} from '../platform/config';
import { createDedupe } from '../inbound/dedupe';
import { createForwarder } from '../inbound/forwarder';
import { createObjectStorage } from '../media/objects';
import { createRedis } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { COPIER_SECRETS, INBOUND_MEDIA_SECRETS } from '../platform/secrets';
import { copyInboundMedia, type CopierDeps, type CopyOutcome } from './copy';
import { createDownloadLimiter } from './rate';
import { makeServeInboundMediaHandler } from './serve';
import type { CopyRequest } from './step';

/** What the webhook invokes the copier with (lib/inboundMedia/step.ts, CopyRequest). */
const copyRequestSchema = z.object({
  id: z.optional(z.string().check(z.maxLength(1000))),
  sourceUrl: z.string().check(z.minLength(1), z.maxLength(4096)),
  type: z.string().check(z.maxLength(64)),
  messageId: z.string().check(z.minLength(1), z.maxLength(1000)),
  account: z.optional(z.string().check(z.maxLength(300))),
  from: z.optional(z.string().check(z.maxLength(200))),
  to: z.optional(z.string().check(z.maxLength(200))),
  requestedAt: z.string().check(z.maxLength(64)),
});

/** The copier's handler: an asynchronous invoke's payload in, nothing out; a throw is Lambda's retry. */
export function makeCopyInboundMediaHandler(deps: CopierDeps) {
  return async (event: unknown, _context?: Context): Promise<CopyOutcome | 'refused'> => {
    const parsed = copyRequestSchema.safeParse(event);
    if (!parsed.success) {
      // Only onMessage invokes it: a payload of another shape is a bug, and no retry mends it.
      deps.log.error('copyInboundMedia was invoked with a payload that is no copy request; dropped', {
        reason: parsed.error.issues
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ')
          .slice(0, 300),
      });
      return 'refused';
    }
    return copyInboundMedia(parsed.data as CopyRequest, deps);
  };
}

export function startCopyInboundMedia() {
  return startFunction(
    'copyInboundMedia',
    ({ log, redisConfig }) => {
      const redis = createRedis(redisConfig);
      return makeCopyInboundMediaHandler({
        log,
        config: readInboundMediaConfig(),
        apiKey: readRequiredInfobipApiKey(),
        storage: createObjectStorage(readRequiredObjectStorageConfig(), log),
        limiter: createDownloadLimiter(redis),
        redis,
        dedupe: createDedupe(redis, { conversationTtlSeconds: readConversationRecordTtl() }),
        forwarder: createForwarder(readCtliveTarget()),
      });
    },
    { secrets: COPIER_SECRETS },
  );
}

export function startServeInboundMedia() {
  return startFunction(
    'getInboundMedia',
    ({ log, redisConfig }) =>
      makeServeInboundMediaHandler({
        log,
        config: readInboundMediaConfig(),
        ctliveApiToken: readCtliveApiToken(),
        apiKey: readRequiredInfobipApiKey(),
        storage: createObjectStorage(readRequiredObjectStorageConfig(), log),
        limiter: createDownloadLimiter(createRedis(redisConfig)),
      }),
    { secrets: INBOUND_MEDIA_SECRETS },
  );
}
