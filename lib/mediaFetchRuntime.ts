import { readMediaConfig } from './config';
import { MEDIA_KINDS, type MediaKind } from './media';
import { makeFetchMediaHandler } from './mediaFetch';
import { createMediaStore } from './mediaStore';
import { createRedis } from './redis';
import { coldStart } from './runtime';
import { FETCH_SECRETS } from './secrets';

/**
 * The production wiring of the four onGet functions, once per cold start. Apart from the
 * send wiring (mediaSendRuntime.ts) so that a fetch bundle carries no Infobip client and no
 * request schemas.
 */
export function startMediaFetch(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return coldStart(
    spec.fetchTag,
    ({ log, redisConfig }) =>
      makeFetchMediaHandler(spec, {
        log,
        media: readMediaConfig(),
        store: createMediaStore(createRedis(redisConfig), log),
      }),
    { secrets: FETCH_SECRETS },
  );
}
