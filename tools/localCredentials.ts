import { randomBytes } from 'node:crypto';

/**
 * The local stack's fixed credentials, printed at start and used as written in the
 * README's examples. Environment variables override them, in the stack and in simulate;
 * the banner then names an overridden one (`$CTLIVE_API_TOKEN (from your environment)`)
 * instead of printing the developer's own secret.
 */
export const LOCAL_CREDENTIALS = {
  CTLIVE_API_TOKEN: 'imchannel-local-token',
  INFOBIP_WEBHOOK_USERNAME: 'infobip',
  INFOBIP_WEBHOOK_PASSWORD: 'imchannel-local-webhook-password',
  INFOBIP_WEBHOOK_HEADER: '',
  // In every notifyUrl (`…/onDeliveryReport?token=…`): the sandbox, like Infobip, posts reports there without credentials.
  INFOBIP_REPORT_TOKEN: 'imchannel-local-report-token-0123456789',
  // Signs the downloadUrl of a customer's file (a browser opens it without credentials).
  INBOUND_MEDIA_LINK_SECRET: 'imchannel-local-link-secret-0123456789',
};

/** Each default, unless the environment sets it (an empty value switches one off). */
export function withOverrides(env: Record<string, string | undefined>, defaults: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(defaults)) out[name] = env[name] ?? fallback;
  return out;
}

export const localCredentials = (env: Record<string, string | undefined>) => withOverrides(env, LOCAL_CREDENTIALS);

/**
 * The secrets between the stack's own pieces, new at every start unless the environment
 * sets them: the Upstash proxy's token, the Infobip sandbox's API key and the ctlive sink's
 * token. `npm run env:local` prints the ones a running stack uses.
 */
export function localSecrets(env: Record<string, string | undefined>) {
  const random = () => randomBytes(16).toString('hex');
  return {
    UPSTASH_PROXY_TOKEN: env.UPSTASH_PROXY_TOKEN ?? random(),
    SANDBOX_API_KEY: env.SANDBOX_API_KEY ?? `sandbox-${random()}`,
    CTLIVE_SINK_TOKEN: env.CTLIVE_SINK_TOKEN ?? random(),
  };
}
