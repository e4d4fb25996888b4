import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../tools/localCredentials';
import { ROOT } from './paths';

/**
 * The environment a function runs with in the bench: serverless.yml's (JSON logs, INFO),
 * the local stack's credentials, the secrets in the environment (SECRETS_SSM_PATH empty, as
 * the local stack does: no SSM call at init), and what Lambda itself sets. Nothing comes
 * from the developer's environment, so no real Infobip or AWS account is ever in reach.
 */
export interface Services {
  proxyUrl: string;
  proxyToken: string;
  sandboxUrl: string;
  sandboxKey: string;
  sinkUrl: string;
  sinkToken: string;
}

/** For the cold-init processes, which do no I/O while loading: addresses nothing listens on. */
export const UNUSED_SERVICES: Services = {
  proxyUrl: 'http://127.0.0.1:9',
  proxyToken: 'bench-proxy-token',
  sandboxUrl: 'http://127.0.0.1:9',
  sandboxKey: 'bench-sandbox-key',
  sinkUrl: 'http://127.0.0.1:9/events',
  sinkToken: 'bench-sink-token',
};

/** The deployment's business number (INFOBIP_SENDER) in the bench. */
export const BENCH_SENDER = '44123456789';

export type CtliveTargetKind = 'http' | 'lambda';
export const CTLIVE_FUNCTION = 'ctlive-inbound';

export function functionEnv(name: string, services: Services, target: CtliveTargetKind = 'http'): Record<string, string> {
  return {
    // What Lambda sets; NODE_PATH stands for the runtime's own AWS SDK, for anything a
    // bundle leaves external.
    AWS_LAMBDA_FUNCTION_NAME: `imchannel-bench-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_REGION: 'eu-west-1',
    NODE_PATH: join(ROOT, 'node_modules'),
    TZ: 'UTC',
    ...LOCAL_CREDENTIALS,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'INFO',
    IMCHANNEL_PUBLIC_URL: 'http://127.0.0.1:9/imchannel',
    INFOBIP_BASE_URL: services.sandboxUrl,
    INFOBIP_API_KEY: services.sandboxKey,
    INFOBIP_SCENARIO_KEY: 'LOCAL-SCENARIO-KEY',
    INFOBIP_SENDER: BENCH_SENDER,
    INFOBIP_ALLOWED_HOSTS: '*.api.infobip.com,127.0.0.1',
    INFOBIP_TIMEOUT_MS: '10000',
    UPSTASH_REDIS_REST_URL: services.proxyUrl,
    UPSTASH_REDIS_REST_TOKEN: services.proxyToken,
    // Short, so a run that breaks off leaves nothing behind for long in a shared Redis.
    MEDIA_TTL_SECONDS: '900',
    MEDIA_FETCH_TTL_SECONDS: '60',
    MEDIA_MAX_BYTES: '4194304',
    SECRETS_SSM_PATH: '',
    CTLIVE_TIMEOUT_MS: '5000',
    // Large files: a bucket behind an address nothing listens on, as the local
    // stack's is, with a key pair of its own (the role's credentials on Lambda). Presigning
    // is local, so the upload route's warm path never reaches it.
    MEDIA_BUCKET: 'imchannel-bench-media',
    MEDIA_BUCKET_REGION: 'us-east-1',
    MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9',
    MEDIA_S3_ACCESS_KEY_ID: 'BENCHLOCALKEY',
    MEDIA_S3_SECRET_ACCESS_KEY: 'bench-local-s3-key',
    MEDIA_FETCH_MODE: 'stream',
    MEDIA_STREAM_URL: 'http://127.0.0.1:9',
    ...(target === 'http'
      ? { CTLIVE_TARGET: services.sinkUrl, CTLIVE_TARGET_TOKEN: services.sinkToken }
      : { CTLIVE_TARGET: `lambda:${CTLIVE_FUNCTION}` }),
  };
}
