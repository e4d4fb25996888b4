import { LOCAL_CREDENTIALS } from '../../tools/localCredentials';

/** What the local stack gives its functions (tools/stack.ts), with stand-in addresses: nothing is called. */
export const LOCAL_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  ...LOCAL_CREDENTIALS,
  CTLIVE_TARGET: 'http://127.0.0.1:9/events',
  CTLIVE_TARGET_TOKEN: 'local-sink-token-0123456789',
  IMCHANNEL_PUBLIC_URL: 'http://127.0.0.1:3000/imchannel',
  INFOBIP_BASE_URL: 'http://127.0.0.1:8078',
  INFOBIP_API_KEY: 'local-sandbox-key-0123456789',
  INFOBIP_SCENARIO_KEY: 'LOCAL-SCENARIO-KEY',
  INFOBIP_ALLOWED_HOSTS: '*.api.infobip.com,127.0.0.1,localhost',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
  UPSTASH_REDIS_REST_TOKEN: 'local-proxy-token-0123456789',
  MEDIA_BUCKET: 'imchannel-local',
  MEDIA_BUCKET_REGION: 'eu-west-1',
  MEDIA_S3_ENDPOINT: 'http://127.0.0.1:8075',
  MEDIA_S3_ACCESS_KEY_ID: 'S3RVER',
  MEDIA_S3_SECRET_ACCESS_KEY: 'S3RVER',
  MEDIA_FETCH_MODE: 'stream',
  MEDIA_STREAM_URL: 'http://127.0.0.1:8074',
  LOG_FORMAT: 'text',
  SECRETS_SSM_PATH: '',
};
