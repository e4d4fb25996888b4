import { ConfigError, readAwsSettings, type SecretVariable } from './config';
import { getParameters, type SsmSettings } from './ssm';

/**
 * On AWS the secrets are SSM Parameter Store SecureStrings named after their variable under
 * one path (`/imchannel/<stage>/CTLIVE_API_TOKEN`, …), read once per cold start, so no
 * secret value is ever in the template, the CloudFormation stack or the function's
 * configuration. Each function asks for the ones it uses, and its role may read only those.
 */

/** sendMessage and the four sendWhatsApp*Message functions (the report token goes into notifyUrl). */
export const SEND_SECRETS = ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY', 'INFOBIP_REPORT_TOKEN'] as const;
/** listTemplates: it reads Infobip's template list, and sends nothing that reports could follow. */
export const CATALOGUE_SECRETS = ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY'] as const;
/** createMediaUpload: the caller's bearer token and Redis; S3 is signed with the role's credentials. */
export const UPLOAD_SECRETS = ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN'] as const;
/** The four onGet*Message functions. */
export const FETCH_SECRETS = ['UPSTASH_REDIS_REST_TOKEN'] as const;
/** onMessage and onDeliveryReport; all but the first are optional, by the auth and target chosen. */
export const WEBHOOK_SECRETS = [
  'UPSTASH_REDIS_REST_TOKEN',
  'CTLIVE_TARGET_TOKEN',
  'INFOBIP_WEBHOOK_PASSWORD',
  'INFOBIP_WEBHOOK_HEADER',
  'INFOBIP_REPORT_TOKEN',
  'INFOBIP_REPORT_TOKEN_PREVIOUS',
  // onMessage signs the downloadUrl of each customer's file.
  'INBOUND_MEDIA_LINK_SECRET',
] as const;

/** copyInboundMedia: Redis, Infobip's key for the download, ctlive's for the announcement, the link secret. */
export const COPIER_SECRETS = [
  'UPSTASH_REDIS_REST_TOKEN',
  'INFOBIP_API_KEY',
  'CTLIVE_TARGET_TOKEN',
  'INBOUND_MEDIA_LINK_SECRET',
] as const;
/** getInboundMedia: ctlive's bearer or a signed link, and Infobip's key to copy a file on demand. */
export const INBOUND_MEDIA_SECRETS = [
  'CTLIVE_API_TOKEN',
  'UPSTASH_REDIS_REST_TOKEN',
  'INFOBIP_API_KEY',
  'INBOUND_MEDIA_LINK_SECRET',
] as const;

export interface SecretsRead {
  values: Partial<Record<SecretVariable, string>>;
  /** Variables whose parameter does not exist under the path. */
  missing: SecretVariable[];
}

export const secretParameterName = (path: string, variable: string) => `${path.endsWith('/') ? path : `${path}/`}${variable}`;

export async function loadSecrets(
  path: string,
  variables: readonly SecretVariable[],
  settings: SsmSettings = readAwsSettings(),
  fetchImpl: typeof fetch = fetch,
): Promise<SecretsRead> {
  const byName = new Map(variables.map((variable) => [secretParameterName(path, variable), variable]));
  const { found, missing } = await getParameters(settings, [...byName.keys()], fetchImpl);
  const values: Partial<Record<SecretVariable, string>> = {};
  for (const { name, value } of found) {
    const variable = byName.get(name);
    if (variable !== undefined) values[variable] = value;
  }
  return {
    values,
    missing: missing.map((name) => byName.get(name)).filter((v): v is SecretVariable => v !== undefined),
  };
}

export function secretsLoadError(path: string, error: unknown): ConfigError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ConfigError('SECRETS_SSM_PATH', `could not be read from SSM Parameter Store (${path}): ${reason}`);
}
