import { ConfigError, SECRET_VARIABLES, readAwsSettings } from './config';
import { getParametersByPath, type SsmSettings } from './ssm';

/**
 * On AWS the secrets are SSM Parameter Store SecureStrings under one path
 * (`/imchannel/<stage>/CTLIVE_API_TOKEN`, …), read once per cold start, so no secret value
 * is ever in the template, the CloudFormation stack or the function's configuration.
 * Parameters under the path with other names are ignored.
 */
export async function loadSecrets(
  path: string,
  settings: SsmSettings = readAwsSettings(),
  fetchImpl: typeof fetch = fetch,
): Promise<Record<string, string>> {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const found: Record<string, string> = {};
  for (const { name, value } of await getParametersByPath(settings, prefix, fetchImpl)) {
    const variable = name.slice(prefix.length);
    if ((SECRET_VARIABLES as readonly string[]).includes(variable)) found[variable] = value;
  }
  return found;
}

export function secretsLoadError(path: string, error: unknown): ConfigError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ConfigError('SECRETS_SSM_PATH', `could not be read from SSM Parameter Store (${path}): ${reason}`);
}
