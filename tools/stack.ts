/**
 * The whole local stack, for `npm start` and the end-to-end tests: a real Redis, the
 * Upstash REST proxy in front of it, the Infobip sandbox, and serverless-offline serving
 * the API. Every CONTRACT variable already set in the environment wins over the local
 * defaults, so the stack can be pointed at another Infobip or Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { checkFunctionConfigs, configProblemsText } from './configCheck';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startInfobipSandbox, type InfobipSandbox } from './infobipSandbox';
import { startCtliveSink, type CtliveSink } from './ctliveSink';
import { startDocsServer, type DocsServer } from './openapi/serve';
import { LOCAL_CREDENTIALS, localCredentials, localSecrets, withOverrides } from './localCredentials';
import { TESTS_REDIS_DB, findRedis, redisDatabaseOf, withRedisDatabase } from './localRedis';
import { localLogWriter } from './logs/local';
import { assertPortFree, freePort } from './ports';
import { startUpstashProxy, type UpstashProxy } from './upstashProxy';
import { startLocalS3, type LocalS3 } from './localS3';

export interface LocalStackOptions {
  /** The API's port; 0 or unset with `freePorts` picks one. Default: PORT or 3000. */
  port?: number;
  /** Pick free ports for everything (tests run beside a developer's `npm start`). */
  freePorts?: boolean;
  /** Environment to read overrides from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Where the stack's own lines and serverless-offline's output go (default: stdout). */
  output?: (line: string) => void;
  /** Also append every function log line, time-stamped, to this file, for `npm run logs -- --local`. */
  logFile?: string;
  /** Called once if serverless-offline dies while the stack is up (not when stop() ends it). */
  onDied?: (why: string) => void;
  /**
   * The Redis database, unless REDIS_URL names one. Default: the tests' (0), whose keys the
   * stack deletes again when it stops; `npm start` passes its own (LOCAL_STACK_REDIS_DB).
   */
  redisDatabase?: number;
  /** Keep the keys the functions wrote when the stack stops (`npm start` on its own database). */
  keepRedisKeys?: boolean;
}

export interface LocalStack {
  apiUrl: string;
  token: string;
  env: Record<string, string>;
  /** The names in `env` (and REDIS_URL) whose value came from the caller's environment, not from the stack. */
  fromEnvironment: string[];
  /** The Redis the functions use, database included (`redis://127.0.0.1:6379/1`). */
  redisUrl: string;
  /** Its database number. */
  redisDatabase: number;
  proxy: UpstashProxy;
  sandbox: InfobipSandbox;
  /** ctlive's stand-in for `CTLIVE_TARGET=http…` (the default target). */
  sink: CtliveSink;
  /** The local-only sink function, for `CTLIVE_TARGET=lambda:…`. */
  sinkFunctionName: string;
  /** Serves docs/openapi.json and docs/ctlive-events.schema.json. */
  docs: DocsServer;
  /** The media bucket's S3-compatible server. */
  s3: LocalS3;
  /** The streaming fetch route, the local stand-in for the fetch functions' Function URLs. */
  streamUrl: string;
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '..');
/** serverless-offline's invoke endpoint knows functions by their full name only. */
const SINK_FUNCTION_NAME = 'imchannel-local-ctliveSink';
const COPIER_FUNCTION_NAME = 'imchannel-local-copyInboundMedia';
const SERVERLESS_BIN = resolve(ROOT, 'node_modules/osls/bin/serverless.js');
const STREAM_SERVER = resolve(ROOT, 'tools/streamServer.ts');

/** Variables the stack sets for the functions when the environment leaves them unset. */
function localDefaults(
  apiUrl: string,
  lambdaPort: number,
  proxy: UpstashProxy,
  sandbox: InfobipSandbox,
  sandboxKey: string,
  sink: { url: string; token: string },
  s3: LocalS3,
  streamUrl: string,
) {
  return {
    ...LOCAL_CREDENTIALS,
    CTLIVE_TARGET: sink.url,
    CTLIVE_TARGET_TOKEN: sink.token,
    CTLIVE_LAMBDA_ENDPOINT: `http://127.0.0.1:${lambdaPort}`,
    IMCHANNEL_PUBLIC_URL: apiUrl,
    INFOBIP_BASE_URL: sandbox.url,
    INFOBIP_API_KEY: sandboxKey,
    INFOBIP_SCENARIO_KEY: 'LOCAL-SCENARIO-KEY',
    // The business number the sandbox's inbound messages are addressed to (tools/infobipSandbox/payloads.ts).
    INFOBIP_SENDER: '44123456789',
    // OMNI, as a deployment's default; INFOBIP_TRANSPORT=whatsapp npm start sends every route through the WhatsApp API.
    INFOBIP_TRANSPORT: 'omni',
    INFOBIP_ALLOWED_HOSTS: '*.api.infobip.com,127.0.0.1,localhost',
    INFOBIP_TIMEOUT_MS: '10000',
    UPSTASH_REDIS_REST_URL: proxy.url,
    UPSTASH_REDIS_REST_TOKEN: proxy.token,
    MEDIA_TTL_SECONDS: '86400',
    MEDIA_FETCH_TTL_SECONDS: '60',
    MEDIA_MAX_BYTES: '4194304',
    // Large files: the local S3 and the streaming fetch route.
    MEDIA_BUCKET: s3.bucket,
    MEDIA_BUCKET_REGION: s3.region,
    MEDIA_S3_ENDPOINT: s3.url,
    MEDIA_S3_ACCESS_KEY_ID: s3.accessKeyId,
    MEDIA_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    MEDIA_UPLOAD_TTL_SECONDS: '300',
    MEDIA_FETCH_MODE: 'stream',
    MEDIA_STREAM_URL: streamUrl,
    CONVERSATION_WINDOW_POLICY: 'warn',
    // Customers' files are copied into the local S3 by the copier, invoked through serverless-offline.
    INBOUND_MEDIA_COPIER: COPIER_FUNCTION_NAME,
    LOG_FORMAT: 'text',
    // serverless-offline's functions get it from the local stage's parameter (serverless.yml);
    // the streaming fetch route runs outside serverless-offline, so it is said here too.
    POWERTOOLS_METRICS_DISABLED: 'true',
    // Secrets come from this environment (passed through by --localEnvironment), not SSM.
    SECRETS_SSM_PATH: '',
    LOG_LEVEL: 'INFO',
  };
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`the streaming fetch route exited (${exitText(child)})`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the streaming fetch route did not answer at ${url} within ${timeoutMs / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (hasExited(child)) return resolveStop();
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

async function waitForApi(apiUrl: string, child: ChildProcess, timeoutMs: number, recent: () => string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Its last lines say why, wherever the caller sends its output.
    if (hasExited(child)) throw new Error(`serverless-offline exited (${exitText(child)}):\n${recent().join('\n')}`);
    try {
      // Any HTTP answer means the server is up; an unknown route invokes no function.
      await fetch(`${apiUrl}/__ready`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`serverless-offline did not serve ${apiUrl} within ${timeoutMs / 1000} s`);
}

function lines(stream: NodeJS.ReadableStream | null, output: (line: string) => void) {
  let buffered = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) output(part);
  });
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const print = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  const toFile = options.logFile ? localLogWriter(options.logFile) : undefined;
  const output = toFile
    ? (line: string) => {
        print(line);
        toFile(line);
      }
    : print;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => output(`[stack] while stopping: ${String(error)}`));
    }
    cleanups.length = 0;
  };
  let stopping = false;
  try {
    const port = options.freePorts ? await freePort() : (options.port ?? Number(env.PORT ?? 3000));
    const lambdaPort = options.freePorts ? await freePort() : Number(env.LAMBDA_PORT ?? 3002);
    const apiUrl = `http://127.0.0.1:${port}/imchannel`;
    // Something already answering there (an earlier stack that did not stop) would pass the
    // readiness probe below and make this one look up: refuse, naming the port.
    await assertPortFree(port, 'PORT (the API)');
    await assertPortFree(lambdaPort, "LAMBDA_PORT (serverless-offline's Lambda endpoint)");

    const secrets = localSecrets(env);
    const redis = await findRedis(env.REDIS_URL);
    cleanups.push(() => redis.stop());
    if (redis.started) output(`[stack] started redis-server at ${redis.url}`);
    const redisUrl = withRedisDatabase(redis.url, options.redisDatabase ?? TESTS_REDIS_DB);

    const proxy = await startUpstashProxy({
      redisUrl,
      keepWrittenKeys: options.keepRedisKeys === true,
      token: secrets.UPSTASH_PROXY_TOKEN,
      port: options.freePorts ? 0 : Number(env.UPSTASH_PROXY_PORT ?? 8079),
    });
    cleanups.push(() => proxy.close());

    const sandboxKey = secrets.SANDBOX_API_KEY;
    const sandbox = await startInfobipSandbox({
      apiKey: env.INFOBIP_API_KEY ?? sandboxKey,
      port: options.freePorts ? 0 : Number(env.SANDBOX_PORT ?? 8078),
      webhookAuth: webhookAuthOf(localCredentials(env)),
      deliveryReports: sandboxReportsOn(env.SANDBOX_DELIVERY_REPORTS),
      // Its template catalogue belongs to the number the functions send from.
      ...(env.INFOBIP_SENDER ? { scenarioSender: env.INFOBIP_SENDER.trim().replace(/^(?:\+|00)/, '') } : {}),
      log: output,
    });
    cleanups.push(() => sandbox.close());

    const sinkToken = secrets.CTLIVE_SINK_TOKEN;
    const sink = await startCtliveSink({
      token: sinkToken,
      port: options.freePorts ? 0 : Number(env.CTLIVE_SINK_PORT ?? 8077),
      log: output,
    });
    cleanups.push(() => sink.close());

    const docs = await startDocsServer({ port: options.freePorts ? 0 : Number(env.DOCS_PORT ?? 8076) });
    cleanups.push(() => docs.close());

    const s3 = await startLocalS3({ port: options.freePorts ? 0 : Number(env.S3_PORT ?? 8075) });
    cleanups.push(() => s3.close());
    const streamPort = options.freePorts ? await freePort() : Number(env.STREAM_PORT ?? 8074);
    await assertPortFree(streamPort, 'STREAM_PORT (the streaming fetch route)');
    const streamUrl = `http://127.0.0.1:${streamPort}`;

    const functionsEnv = withOverrides(
      env,
      localDefaults(apiUrl, lambdaPort, proxy, sandbox, sandboxKey, { url: sink.url, token: sinkToken }, s3, streamUrl),
    );
    // Every function's configuration, before anything answers: a value a function refuses
    // (a short INFOBIP_REPORT_TOKEN…) stops the stack here, named, instead of failing each request.
    const problems = await checkFunctionConfigs({ ...process.env, ...functionsEnv });
    if (problems.length > 0) throw new Error(configProblemsText(problems));
    const streamChild = spawn(process.execPath, ['--import', 'tsx', STREAM_SERVER, String(streamPort)], {
      cwd: ROOT,
      env: { ...process.env, ...functionsEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lines(streamChild.stdout, output);
    lines(streamChild.stderr, output);
    cleanups.push(() => stopChild(streamChild));
    await waitForHttp(`${streamUrl}/__ready`, streamChild, 30_000);
    const buildDir = `.esbuild-stack-${randomBytes(4).toString('hex')}`;
    cleanups.push(() => rm(resolve(ROOT, buildDir), { recursive: true, force: true }));
    const args = [
      SERVERLESS_BIN,
      'offline',
      'start',
      '--config',
      'serverless.local.yml',
      '--stage',
      'local',
      '--host',
      '127.0.0.1',
      '--httpPort',
      String(port),
      '--lambdaPort',
      String(lambdaPort),
      '--noPrependStageInUrl',
      '--localEnvironment',
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...functionsEnv, SLS_TELEMETRY_DISABLED: '1', IMCHANNEL_BUILD_DIR: buildDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so stop() ends its workers too
    });
    const lastLines: string[] = [];
    const keep = (line: string) => {
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
      output(line);
    };
    lines(child.stdout, keep);
    lines(child.stderr, keep);
    cleanups.push(() => {
      stopping = true;
      return stopProcessGroup(child);
    });
    child.once('exit', () => {
      if (!stopping) options.onDied?.(`serverless-offline stopped on its own (${exitText(child)})`);
    });
    await waitForApi(apiUrl, child, 120_000, () => lastLines);

    return {
      apiUrl,
      token: functionsEnv.CTLIVE_API_TOKEN as string,
      env: functionsEnv,
      fromEnvironment: [...Object.keys(functionsEnv), 'REDIS_URL'].filter((name) => env[name] !== undefined),
      redisUrl,
      redisDatabase: redisDatabaseOf(redisUrl) ?? 0,
      proxy,
      sandbox,
      sink,
      sinkFunctionName: SINK_FUNCTION_NAME,
      docs,
      s3,
      streamUrl,
      stop,
    };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

/** SANDBOX_DELIVERY_REPORTS=off leaves every delivery report to `npm run simulate -- delivery`. */
export function sandboxReportsOn(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(`SANDBOX_DELIVERY_REPORTS must be on or off, not ${JSON.stringify(value)}`);
}

export function webhookAuthOf(env: Record<string, string>) {
  const header = env.INFOBIP_WEBHOOK_HEADER ?? '';
  const colon = header.indexOf(':');
  return {
    basic:
      env.INFOBIP_WEBHOOK_USERNAME && env.INFOBIP_WEBHOOK_PASSWORD
        ? { username: env.INFOBIP_WEBHOOK_USERNAME, password: env.INFOBIP_WEBHOOK_PASSWORD }
        : undefined,
    header: colon > 0 ? { name: header.slice(0, colon).trim(), value: header.slice(colon + 1).trim() } : undefined,
  };
}

/** A child killed by a signal has `signalCode` set and `exitCode` null: both mean it is gone. */
const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
const exitText = (child: ChildProcess) =>
  child.signalCode !== null ? `killed by ${child.signalCode}` : `exit code ${String(child.exitCode)}`;

function stopProcessGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.pid === undefined) return resolveStop();
    if (hasExited(child)) {
      // Its workers may outlive it: end the group anyway, then report done.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone too
      }
      return resolveStop();
    }
    const force = setTimeout(() => signal('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), name); // the whole group: sls and its workers
      } catch {
        // already gone
      }
    };
    signal('SIGINT'); // serverless-offline's own Ctrl-C path: it stops its workers
  });
}
