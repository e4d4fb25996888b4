import { readCtliveApiToken, readInfobipConfig, readMediaConfig, readRequiredPublicUrl } from './config';
import { createInfobipClient } from './infobip';
import { MEDIA_KINDS, type MediaKind } from './media';
import { makeSendMediaHandler } from './mediaSend';
import { createMediaStore } from './mediaStore';
import { createRedis } from './redis';
import { coldStart } from './runtime';
import { SEND_SECRETS } from './secrets';

/**
 * The production wiring of the four sendWhatsApp*Message functions, once per cold start.
 * It lives here, not in each functions/ file, because it is the same for every kind.
 */
export function startMediaSend(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return coldStart(
    spec.sendTag,
    ({ log, redisConfig }) => {
      const infobipConfig = readInfobipConfig();
      return makeSendMediaHandler(spec, {
        log,
        // Without it no file could ever be fetched: refuse to start rather than fail every send.
        publicUrl: readRequiredPublicUrl(),
        ctliveApiToken: readCtliveApiToken(),
        media: readMediaConfig(),
        infobipConfig,
        infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
        store: createMediaStore(createRedis(redisConfig), log),
      });
    },
    { secrets: SEND_SECRETS },
  );
}
