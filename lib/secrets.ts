import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, SECRET_VARIABLES } from './config';

/**
 * On AWS the secrets are SSM Parameter Store SecureStrings under one path
 * (`/imchannel/<stage>/CTLIVE_API_TOKEN`, …), read once per cold start, so no secret value
 * is ever in the template, the CloudFormation stack or the function's configuration.
 */
export async function loadSecrets(path: string, client: Pick<SSMClient, 'send'> = new SSMClient({})): Promise<Record<string, string>> {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const found: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetParametersByPathCommand({ Path: prefix, WithDecryption: true, Recursive: false, NextToken: nextToken }),
    );
    for (const parameter of page.Parameters ?? []) {
      const name = parameter.Name?.slice(prefix.length);
      if (name && (SECRET_VARIABLES as readonly string[]).includes(name) && parameter.Value !== undefined) {
        found[name] = parameter.Value;
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

export function secretsLoadError(path: string, error: unknown): ConfigError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ConfigError('SECRETS_SSM_PATH', `could not be read from SSM Parameter Store (${path}): ${reason}`);
}
