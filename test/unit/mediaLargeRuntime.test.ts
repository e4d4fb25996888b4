import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Cold starts of the large-file functions from their real functions/ files, each
 * in a fresh Node process with an environment of our choosing, as Lambda loads them.
 */
const ROOT = resolve(__dirname, '../..');
const BASE_ENV = {
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
  UPSTASH_REDIS_REST_TOKEN: 'redis-token-0123456789',
  CTLIVE_API_TOKEN: 'ctlive-token-0123456789',
  LOG_FORMAT: 'text',
};
const BUCKET = {
  MEDIA_BUCKET: 'imchannel-media',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'role-key-id',
  AWS_SECRET_ACCESS_KEY: 'role-secret-0123456789',
};
const SEND = {
  ...BASE_ENV,
  IMCHANNEL_PUBLIC_URL: 'https://host/tenant/imchannel',
  INFOBIP_REPORT_TOKEN: 'report-token-0123456789abcdef0123456789',
};

function load(functionName: string, env: Record<string, string>) {
  const script = `require(${JSON.stringify(`./functions/${functionName}`)}); console.log('started');`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout.trim() };
}

const refusal = (name: string, reason: string) =>
  `[IMCHANNEL] [${name}] Configuration error, the function cannot start: ${reason}`;

describe('large-file functions at cold start', () => {
  it('createMediaUpload refuses to start without a bucket, naming MEDIA_BUCKET', () => {
    expect(load('createMediaUpload', BASE_ENV)).toEqual({
      status: 1,
      stdout: refusal('createMediaUpload', 'MEDIA_BUCKET is required by the upload route (the S3 bucket that holds large files)'),
    });
  });

  it('createMediaUpload starts with a bucket and the role credentials', () => {
    expect(load('createMediaUpload', { ...BASE_ENV, ...BUCKET })).toEqual({ status: 0, stdout: 'started' });
  });

  it('a media send in stream mode refuses to start without MEDIA_STREAM_URL, and starts with it', () => {
    expect(load('sendWhatsAppVideoMessage', { ...SEND, ...BUCKET })).toEqual({
      status: 1,
      stdout: refusal(
        'sendWhatsAppVideoMessage',
        "MEDIA_STREAM_URL is required when MEDIA_FETCH_MODE is stream: the base URL of the fetch functions' streaming Function URL",
      ),
    });
    expect(
      load('sendWhatsAppVideoMessage', { ...SEND, ...BUCKET, MEDIA_STREAM_URL: 'https://abc.lambda-url.eu-west-1.on.aws/' }),
    ).toEqual({
      status: 0,
      stdout: 'started',
    });
  });

  it("a menu send in stream mode needs each header kind's streaming URL, naming the first missing one", () => {
    const streams = {
      MEDIA_STREAM_URL_IMAGE: 'https://image.lambda-url.eu-west-1.on.aws/',
      MEDIA_STREAM_URL_VIDEO: 'https://video.lambda-url.eu-west-1.on.aws/',
      MEDIA_STREAM_URL_DOCUMENT: 'https://document.lambda-url.eu-west-1.on.aws/',
    };
    const { MEDIA_STREAM_URL_VIDEO: _video, ...withoutVideo } = streams;
    expect(load('sendWhatsAppButtonsMessage', { ...SEND, ...BUCKET, ...withoutVideo })).toEqual({
      status: 1,
      stdout: refusal(
        'sendWhatsAppButtonsMessage',
        "MEDIA_STREAM_URL_VIDEO is required when MEDIA_FETCH_MODE is stream: the base URL of the fetch functions' streaming Function URL",
      ),
    });
    expect(load('sendWhatsAppUrlButtonMessage', { ...SEND, ...BUCKET, ...streams })).toEqual({ status: 0, stdout: 'started' });
    expect(load('sendWhatsAppButtonsMessage', SEND)).toEqual({ status: 0, stdout: 'started' });
  });

  it('a media send without a bucket starts as before (inline files only)', () => {
    expect(load('sendWhatsAppVideoMessage', SEND)).toEqual({ status: 0, stdout: 'started' });
  });

  it('a fetch function starts with a bucket, outside the Lambda runtime too (the buffered handler)', () => {
    expect(load('onGetDocumentMessage', { ...BASE_ENV, ...BUCKET })).toEqual({ status: 0, stdout: 'started' });
  });
});
