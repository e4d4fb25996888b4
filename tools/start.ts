/**
 * `npm start`: the whole local stack in one command, until Ctrl-C.
 */
import { localStatePath, removeLocalState, writeLocalState } from './localEnv';
import { INSTALL_HINT, LOCAL_STACK_REDIS_DB, redisDatabaseOf } from './localRedis';
import { localLogPath } from './logs/local';
import { startLocalStack, type LocalStack } from './stack';

/** What the banner reads of a running stack. */
export type BannerStack = Pick<LocalStack, 'apiUrl' | 'token' | 'env' | 'fromEnvironment' | 'redisUrl' | 'sinkFunctionName'> & {
  /** Absent in older callers. */
  redisDatabase?: number;
  sandbox: { url: string };
  proxy: { url: string };
  sink: { url: string };
  docs: { url: string };
  /** Large files: the local S3 and the streaming fetch route; absent in older callers. */
  s3?: { url: string; bucket: string };
  streamUrl?: string;
};

/**
 * The banner prints only what the stack generated: a value the developer's own
 * environment gave (a token, a webhook password, a URL with a password in it) is named,
 * `$NAME (from your environment)`, never printed, and the curl example uses `$NAME` as is.
 */
export function banner(stack: BannerStack): string {
  const { env } = stack;
  const given = new Set(stack.fromEnvironment);
  const FROM_ENV = ' (from your environment)';
  const ref = (name: string, value: string | undefined) => (given.has(name) ? `$${name}` : (value ?? ''));
  const named = (name: string, value: string | undefined) => `${ref(name, value)}${given.has(name) ? FROM_ENV : ''}`;
  const hasPassword = (url: string) => URL.canParse(url) && new URL(url).password !== '';
  const url = (name: string, value: string) => (given.has(name) && hasPassword(value) ? named(name, value) : value);
  const basicGiven = given.has('INFOBIP_WEBHOOK_USERNAME') || given.has('INFOBIP_WEBHOOK_PASSWORD');
  const webhookAuth = [
    env.INFOBIP_WEBHOOK_USERNAME
      ? `Basic ${ref('INFOBIP_WEBHOOK_USERNAME', env.INFOBIP_WEBHOOK_USERNAME)}:${ref('INFOBIP_WEBHOOK_PASSWORD', env.INFOBIP_WEBHOOK_PASSWORD)}${basicGiven ? FROM_ENV : ''}`
      : '',
    env.INFOBIP_WEBHOOK_HEADER
      ? `header ${given.has('INFOBIP_WEBHOOK_HEADER') ? `$INFOBIP_WEBHOOK_HEADER${FROM_ENV}` : `"${env.INFOBIP_WEBHOOK_HEADER}"`}`
      : '',
    env.INFOBIP_REPORT_TOKEN
      ? `reports by notifyUrl's ?token= (an HMAC of the messageId under ${named('INFOBIP_REPORT_TOKEN', env.INFOBIP_REPORT_TOKEN)})`
      : '',
  ].filter(Boolean);
  const target = env.CTLIVE_TARGET ?? '';
  return [
    '',
    'IMChannel local stack is up (Ctrl-C stops everything it started)',
    `  API              ${stack.apiUrl}`,
    `  ctlive token     ${named('CTLIVE_API_TOKEN', stack.token)}   (Authorization: Bearer …)`,
    `  webhook auth     ${webhookAuth.join(' and ') || 'none'}`,
    `  Infobip sandbox  ${stack.sandbox.url}`,
    `  API reference    ${stack.docs.url}/   (open it in a browser; the description: ${stack.docs.url}/openapi.json)`,
    `  Upstash proxy    ${stack.proxy.url}   (Redis at ${url('REDIS_URL', stack.redisUrl)})`,
    ...(stack.redisDatabase === undefined ? [] : [`  Redis database   ${redisDatabaseText(stack.redisDatabase)}`]),
    ...(stack.s3
      ? [
          `  S3 (s3rver)      ${stack.s3.url}   (bucket ${stack.s3.bucket}; uploads: POST ${stack.apiUrl}/media)`,
          `  streaming fetch  ${stack.streamUrl ?? ''}   (MEDIA_FETCH_MODE=${env.MEDIA_FETCH_MODE ?? 'stream'}: where large files' URLs point)`,
        ]
      : []),
    `  function logs    ${localLogPath()}   (npm run logs -- --local --message-id …)`,
    `  invoke local     eval "$(npm run -s env:local)"   (its environment, secrets included, for serverless invoke local)`,
    `  ctlive target    ${url('CTLIVE_TARGET', target)}${target === stack.sink.url ? '   (the local ctlive sink)' : ''}`,
    `                   or CTLIVE_TARGET=lambda:${stack.sinkFunctionName} npm start for the Lambda path`,
    '',
    'Try:',
    `  curl -s ${stack.apiUrl}/sendMessage -H "Authorization: Bearer ${ref('CTLIVE_API_TOKEN', stack.token)}" \\`,
    `    -H "Content-Type: application/json" -d '{"to":"39123456789","text":"Hello from IMChannel"}'`,
    '  npm run simulate -- inbound "Oh well"',
    '',
  ].join('\n');
}

const namedDatabase = (url: string | undefined) => (url ? (redisDatabaseOf(url) ?? LOCAL_STACK_REDIS_DB) : LOCAL_STACK_REDIS_DB);

function redisDatabaseText(database: number): string {
  if (database === LOCAL_STACK_REDIS_DB)
    return `${database}   (the local stack's own: the tests and the bench use 0 and delete their keys)`;
  return `${database}   (from REDIS_URL; the local stack's own is ${LOCAL_STACK_REDIS_DB})`;
}

async function main() {
  let stack: LocalStack | undefined;
  const statePath = localStatePath();
  const stopAll = async () => {
    await stack?.stop();
    removeLocalState(statePath);
  };
  try {
    stack = await startLocalStack({
      logFile: localLogPath(),
      // Its own database, kept from one start to the next; REDIS_URL=redis://…/<n> picks another.
      redisDatabase: LOCAL_STACK_REDIS_DB,
      // On another database (the tests' 0, say), it deletes what it wrote when it stops.
      keepRedisKeys: namedDatabase(process.env.REDIS_URL) === LOCAL_STACK_REDIS_DB,
      // A stack whose API died is not up: say so, stop the rest, exit non-zero.
      onDied: (why) => {
        process.stderr.write(`\nThe local stack is broken: ${why}. Stopping everything.\n`);
        void stopAll().finally(() => process.exit(1));
      },
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\nCould not start the local stack: ${message}\n`);
    if (message === INSTALL_HINT) process.stderr.write('\n');
    process.exit(1);
  }
  writeLocalState(statePath, stack);
  process.stdout.write(`${banner(stack)}\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the local stack…\n');
    await stopAll();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown());
  // The npm script `exec`s this process, so npm's parent is ours and the SIGINT and SIGTERM
  // that npm passes on reach us; npm passes no SIGHUP and simply ends, as does a killed npm:
  // when the process that started us goes away, stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown();
  }, 1_000).unref();
}

// Only when run (`npm start`): the tests import banner() alone.
if (require.main === module) void main();
