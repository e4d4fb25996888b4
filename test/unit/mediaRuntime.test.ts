import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { functionsIn } from '../../lib/functions';

/**
 * Cold starts of the real functions/ files, each in a fresh Node process with an
 * environment of our choosing, as Lambda loads them. No request is made.
 */
const ROOT = resolve(__dirname, '../..');
const BASE_ENV = {
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
  UPSTASH_REDIS_REST_TOKEN: 'redis-token-0123456789',
  CTLIVE_API_TOKEN: 'ctlive-token-0123456789',
  LOG_FORMAT: 'text',
};

function load(functionName: string, env: Record<string, string>) {
  const script = `require(${JSON.stringify(`./functions/${functionName}`)}); console.log('started');`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout };
}

const SENDS = functionsIn('mediaSend').map((fn) => fn.name);
const FETCHES = functionsIn('mediaFetch').map((fn) => fn.name);

describe('media functions at cold start', () => {
  // The report token comes with it: every media send has a public URL, so it needs the token too.
  it.each(SENDS)('%s refuses to start without IMCHANNEL_PUBLIC_URL, with one line naming it and the token it needs', (name) => {
    const { status, stdout } = load(name, BASE_ENV);
    expect(status).not.toBe(0);
    expect(stdout.trim()).toBe(
      `[IMCHANNEL] [${name}] Configuration error, the function cannot start: IMCHANNEL_PUBLIC_URL is required but not set; ` +
        'INFOBIP_REPORT_TOKEN is required when IMCHANNEL_PUBLIC_URL is set: Infobip sends delivery reports to notifyUrl without credentials, so the URL carries a token made from it',
    );
  });

  it('a media send with nothing configured names every problem in its one line', () => {
    const { status, stdout } = load('sendWhatsAppImageMessage', { LOG_FORMAT: 'text', MEDIA_MAX_BYTES: 'big' });
    expect(status).not.toBe(0);
    expect(stdout.trim()).toBe(
      '[IMCHANNEL] [sendWhatsAppImageMessage] Configuration error, the function cannot start: ' +
        'UPSTASH_REDIS_REST_URL is required but not set; UPSTASH_REDIS_REST_TOKEN is required but not set; ' +
        'IMCHANNEL_PUBLIC_URL is required but not set; ' +
        'INFOBIP_REPORT_TOKEN is required when IMCHANNEL_PUBLIC_URL is set: Infobip sends delivery reports to notifyUrl without credentials, so the URL carries a token made from it; ' +
        'CTLIVE_API_TOKEN is required but not set; ' +
        'MEDIA_MAX_BYTES must be a positive whole number, got "big"',
    );
  });

  const PUBLIC = { IMCHANNEL_PUBLIC_URL: 'https://host/tenant/imchannel' };
  const REPORT_TOKEN = 'report-token-0123456789abcdef0123456789';

  it.each(SENDS)('%s starts with IMCHANNEL_PUBLIC_URL and INFOBIP_REPORT_TOKEN set', (name) => {
    const { status, stdout } = load(name, { ...BASE_ENV, ...PUBLIC, INFOBIP_REPORT_TOKEN: REPORT_TOKEN });
    expect({ status, stdout: stdout.trim() }).toEqual({ status: 0, stdout: 'started' });
  });

  // Infobip would post every report of its sends to a notifyUrl without credentials: all 401.
  it.each(SENDS)('%s refuses to start without INFOBIP_REPORT_TOKEN, unless the webhooks run open', (name) => {
    const refused = load(name, { ...BASE_ENV, ...PUBLIC });
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toContain('INFOBIP_REPORT_TOKEN is required when IMCHANNEL_PUBLIC_URL is set');
    const open = load(name, { ...BASE_ENV, ...PUBLIC, INFOBIP_WEBHOOK_AUTH: 'none' });
    expect({ status: open.status, stdout: open.stdout.trim() }).toEqual({ status: 0, stdout: 'started' });
  });

  // The fetch functions never build a URL, so they have no reason to need it.
  it.each(FETCHES)('%s starts without IMCHANNEL_PUBLIC_URL', (name) => {
    const { status, stdout } = load(name, BASE_ENV);
    expect({ status, stdout: stdout.trim() }).toEqual({ status: 0, stdout: 'started' });
  });

  it.each(FETCHES)('%s refuses to start with a malformed MEDIA_FETCH_TTL_SECONDS, naming it', (name) => {
    const { status, stdout } = load(name, { ...BASE_ENV, MEDIA_FETCH_TTL_SECONDS: 'soon' });
    expect(status).not.toBe(0);
    expect(stdout).toContain('MEDIA_FETCH_TTL_SECONDS must be a positive whole number');
  });
});
