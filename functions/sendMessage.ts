import { readCtliveApiToken, readInfobipConfig, readPublicUrl } from '../lib/config';
import { createInfobipClient } from '../lib/infobip';
import { coldStart } from '../lib/runtime';
import { SEND_SECRETS } from '../lib/secrets';
import { makeSendMessageHandler } from '../lib/sendMessage';

export const handler = coldStart(
  'sendMessage',
  ({ log }) => {
    const infobipConfig = readInfobipConfig();
    return makeSendMessageHandler({
      log,
      infobipConfig,
      infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
      publicUrl: readPublicUrl(),
      ctliveApiToken: readCtliveApiToken(),
    });
  },
  { secrets: SEND_SECRETS },
);
