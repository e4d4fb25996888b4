/**
 * Attacks, each a named test: media ids built to reach Redis, `baseUrl`
 * tricks built to carry the API key elsewhere, webhook credentials wrong in every way,
 * and header injection through a file name. Redis is the suite's own server, watched with
 * MONITOR, so "never reaches Redis" is counted, not assumed.
 */
import { FUNCTIONS, THROTTLE_BUDGETS, functionsIn } from '../../lib/functions';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startLocalS3, type LocalS3 } from '../../tools/localS3';
import { startLargeMediaHarness, type LargeMediaHarness } from '../support/largeMediaHarness';
import { checkFunctionConfigs, configProblemsText } from '../../tools/configCheck';
import { LOCAL_ENV } from '../support/localConfigEnv';
import RefuseLocalValues from '../../resources/refuseLocalValues';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { notifyUrlFor, type WebhookAuthConfig } from '../../lib/platform/config';
import { MEDIA_KIND_NAMES } from '../../lib/media/kinds';
import { CONTACT_TAG, makeSendContactHandler } from '../../lib/messages/contact';
import { LOCATION_TAG, makeSendLocationHandler } from '../../lib/messages/location';
import { accountKeys, redisKeys } from '../../lib/platform/redis';
import { TAKE_SCRIPT } from '../../lib/media/store';
import { startLambdaHttp, type LambdaHttp } from '../support/lambdaHttp';
import { sampleFile } from '../support/sampleFile';
import { errorLinesSince, expectNothingLeaked, fileBody, warnLinesSince } from './faultSupport/expectations';
import type { RedisMonitor } from './faultSupport/monitor';
import { tally } from './faultSupport/results';
import { basic, bearer, startStack, WEBHOOK_USER, type Stack } from './faultSupport/stack';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

const WEBHOOK_NAMES = functionsIn('webhook').map((fn) => fn.name as 'onMessage' | 'onDeliveryReport');

let stack: Stack;
let monitor: RedisMonitor;
const figures = tally('attacks');

beforeAll(async () => {
  stack = await startStack();
  monitor = await stack.monitor();
});

afterAll(async () => {
  figures.write();
  await stack?.close();
});

/** The Redis commands a piece of work caused, as MONITOR saw them. */
async function redisCommandsDuring(work: () => Promise<void>): Promise<string[][]> {
  await monitor.settle();
  const start = monitor.commands.length;
  await work();
  await monitor.settle();
  return monitor.commands.slice(start);
}

const ctlive = () => bearer(stack.secrets.ctliveToken);

describe('media ids that are not UUIDs never reach Redis', () => {
  const uuid = randomUUID();
  const ATTACK_IDS: [string, string][] = [
    ['parent directory', '../'],
    ['path traversal', '../../etc/passwd'],
    ['encoded dots', '%2e%2e'],
    ['encoded traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
    ['a glob', '*'],
    ['a key pattern', 'IMChannel:*'],
    ['a whole key', `IMChannel:MultimediaMessage:${uuid}`],
    ['10 KB', 'a'.repeat(10 * 1024)],
    ['unicode', '𝔲𝔲𝔦𝔡-ünïcødé-文件-🙂'],
    ['full-width UUID', uuid.replace(/[0-9a-f]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))],
    ['a UUID in upper case', uuid.toUpperCase()],
    ['a UUID and a newline', `${uuid}\n`],
    ['a UUID and CRLF with a command', `${uuid}\r\nFLUSHALL\r\n`],
    ['a UUID with a NUL', `${uuid}\u0000`],
    ['a UUID with a space', ` ${uuid}`],
    ['a UUID, then a path', `${uuid}/../x`],
    ['a UUID without dashes', uuid.replace(/-/g, '')],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['a version 1 UUID', 'bb8b8717-5b71-11ef-a467-62450f3469d8'],
    ['empty', ''],
    ['a Redis command', 'KEYS *'],
    ['a JSON body', '{"id":"x"}'],
  ];

  it.each(ATTACK_IDS)(
    '%s: 404, the same body as any miss, no Redis command',
    figures.track(async (_name: string, id: string) => {
      const missBody = (await stack.call(stack.fetchMedia.image, { method: 'GET', pathParameters: { id: randomUUID() } })).body;
      const replies: { status: number; body: string; method: string }[] = [];

      const commands = await redisCommandsDuring(async () => {
        for (const kind of MEDIA_KIND_NAMES) {
          for (const method of ['GET', 'HEAD']) {
            const reply = await stack.call(stack.fetchMedia[kind], { method, pathParameters: { id } });
            replies.push({ status: reply.status, body: reply.body, method });
          }
        }
      });

      expect(commands).toEqual([]);
      expect(replies).toHaveLength(2 * MEDIA_KIND_NAMES.length);
      for (const reply of replies) expect(reply).toEqual({ status: 404, body: missBody, method: reply.method });
      expect(JSON.parse(missBody)).toEqual({ error: { code: 'NOT_FOUND', message: 'No file with this id', retryable: false } });
    }),
  );

  it(
    'random UUIDs: 404 with the same body, each one script call on its own key (a GET, no EXPIRE) and nothing else',
    figures.track(async () => {
      const ids = Array.from({ length: 25 }, () => randomUUID());
      const bodies = new Set<string>();
      const statuses = new Set<number>();

      const commands = await redisCommandsDuring(async () => {
        for (const id of ids) {
          for (const kind of MEDIA_KIND_NAMES) {
            const reply = await stack.call(stack.fetchMedia[kind], { method: 'GET', pathParameters: { id } });
            statuses.add(reply.status);
            bodies.add(reply.body);
          }
        }
      });

      expect([...statuses]).toEqual([404]);
      expect(bodies.size).toBe(1);
      // EVAL of the take script, then the GET it runs (MONITOR shows a script's commands too).
      const expected = ids.flatMap((id) =>
        MEDIA_KIND_NAMES.flatMap((kind) => [
          [
            'eval',
            TAKE_SCRIPT.replace(/\n/g, '\\n'),
            '1',
            redisKeys.media(id),
            `{"v":1,"kind":"${kind}"`,
            `{"v":2,"kind":"${kind}"`,
            '60',
          ],
          ['get', redisKeys.media(id)],
        ]),
      );
      // MONITOR escapes the script's newlines; a client's own INFO (a connection check) is no fetch's.
      const seen = commands.map(([name, ...args]) => [String(name).toLowerCase(), ...args]).filter(([name]) => name !== 'info');
      expect(seen).toEqual(expected);
    }),
  );

  it(
    'a real file asked for as another kind: the same 404 as a miss',
    figures.track(async () => {
      const sent = await stack.call(stack.sendMedia.image, {
        body: fileBody('image', `kind-${randomUUID()}`),
        headers: ctlive(),
      });
      expect(sent.status).toBe(200);
      const id = String(sent.json.mediaId);
      const miss = await stack.call(stack.fetchMedia.image, { method: 'GET', pathParameters: { id: randomUUID() } });

      for (const kind of ['document', 'audio', 'video'] as const) {
        const reply = await stack.call(stack.fetchMedia[kind], { method: 'GET', pathParameters: { id } });
        expect({ status: reply.status, body: reply.body }).toEqual({ status: 404, body: miss.body });
      }
      expect((await stack.call(stack.fetchMedia.image, { method: 'GET', pathParameters: { id } })).status).toBe(200);
    }),
  );
});

describe("a fetch only ever shortens a file's life, and only its own kind's", () => {
  const sendImage = async () => {
    const sent = await stack.call(stack.sendMedia.image, { body: fileBody('image', `ttl-${randomUUID()}`), headers: ctlive() });
    expect(sent.status).toBe(200);
    return String(sent.json.mediaId);
  };
  const ttlOf = (id: string) => stack.direct.ttl(redisKeys.media(id));

  it(
    "HEAD and GET of another kind's route neither shorten nor lengthen a pending file: its expiry stays as stored",
    figures.track(async () => {
      const id = await sendImage();
      const before = await ttlOf(id);
      expect(before).toBeGreaterThan(86_000);

      for (const kind of ['document', 'audio', 'video'] as const) {
        for (const method of ['HEAD', 'GET']) {
          const reply = await stack.call(stack.fetchMedia[kind], { method, pathParameters: { id } });
          expect(reply.status).toBe(404);
        }
      }

      expect(await ttlOf(id)).toBeGreaterThan(before - 5);
      expect((await stack.call(stack.fetchMedia.image, { method: 'HEAD', pathParameters: { id } })).status).toBe(200);
      expect(await ttlOf(id)).toBeLessThanOrEqual(60);
    }),
  );

  it(
    'repeated fetches never push the expiry back out: a file fetched every second still goes when its first fetch said',
    figures.track(async () => {
      const id = await sendImage();
      await stack.call(stack.fetchMedia.image, { method: 'HEAD', pathParameters: { id } });
      // As if the first fetch's minute were nearly over: a later fetch must not renew it.
      await stack.direct.expire(redisKeys.media(id), 3);

      for (const method of ['HEAD', 'GET', 'HEAD', 'GET']) {
        expect((await stack.call(stack.fetchMedia.image, { method, pathParameters: { id } })).status).toBe(200);
      }

      expect(await ttlOf(id)).toBeLessThanOrEqual(3);
    }),
  );
});

describe('no input costs more than linear time or blows the stack', () => {
  /** Wall time of one call, with its reply. */
  const timed = async (work: () => Promise<Awaited<ReturnType<Stack['call']>>>) => {
    const started = performance.now();
    const reply = await work();
    return { reply, ms: performance.now() - started };
  };
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it(
    'a contact card whose email is 240 KB of "a@a.a…" (quadratic under the old pattern): 400 within milliseconds, Infobip not called',
    figures.track(async () => {
      const contact = stack.sendRouteWith(CONTACT_TAG, makeSendContactHandler, {});
      const email = `a@${'a.'.repeat(120 * 1024)}`; // no final label: the old pattern backtracks over every dot
      const before = stack.sandbox.received.length;

      const { reply, ms } = await timed(() =>
        stack.call(contact, {
          body: { to: '39123456789', contacts: [{ name: { formattedName: 'A' }, emails: [{ email }] }] },
          headers: ctlive(),
        }),
      );

      expect(reply.status).toBe(400);
      expect(JSON.stringify(reply.json)).toContain('must be at most 320 characters');
      // The pattern never ran: only the length is reported, not "must be an email address".
      expect(JSON.stringify(reply.json)).not.toContain('must be an email address');
      expect(ms).toBeLessThan(500);
      expect(stack.sandbox.received.length).toBe(before);
    }),
  );

  it(
    'a 320-character email that is no address: 400 naming the pattern, still within milliseconds',
    figures.track(async () => {
      const contact = stack.sendRouteWith(CONTACT_TAG, makeSendContactHandler, {});
      const email = `a@${'a.'.repeat(159)}`;
      const { reply, ms } = await timed(() =>
        stack.call(contact, {
          body: { to: '39123456789', contacts: [{ name: { formattedName: 'A' }, emails: [{ email }] }] },
          headers: ctlive(),
        }),
      );
      expect(reply.status).toBe(400);
      expect(JSON.stringify(reply.json)).toContain('must be an email address');
      expect(ms).toBeLessThan(500);
    }),
  );

  it(
    'a keyed send whose body is an array 120,000 deep (as deep as its 256 KB allow): 400 JSON_TOO_DEEP within milliseconds, no Redis command',
    figures.track(async () => {
      const body = `{"to":"39123456789","text":"x","extra":${deep(120_000)}}`;
      let result: Awaited<ReturnType<typeof timed>> | undefined;

      const commands = await redisCommandsDuring(async () => {
        result = await timed(() =>
          stack.call(stack.sendMessage, {
            body,
            rawBody: true,
            headers: { ...ctlive(), 'idempotency-key': `deep-${randomUUID()}` },
          }),
        );
      });

      expect(result?.reply.status).toBe(400);
      expect(result?.reply.json.error).toMatchObject({ code: 'JSON_TOO_DEEP', maxDepth: 64 });
      expect(result?.ms).toBeLessThan(500);
      expect(commands).toEqual([]);
    }),
  );

  it.each(WEBHOOK_NAMES)(
    '%s: a result 200,000 deep is a 400 within milliseconds, every time (not a 5xx Infobip would retry for ever)',
    figures.track(async (route: 'onMessage' | 'onDeliveryReport') => {
      const handler = stack.webhooks({ auth: {} })[route];
      const body = `{"results":[{"messageId":"deep-${randomUUID()}","message":{"type":"TEXT","text":"x"},"raw":${deep(200_000)}}]}`;
      stack.sink.reset();

      for (let attempt = 0; attempt < 2; attempt += 1) {
        const { reply, ms } = await timed(() => stack.call(handler, { body, rawBody: true }));
        expect(reply.status).toBe(400);
        expect(reply.json.error).toMatchObject({ code: 'JSON_TOO_DEEP' });
        expect(ms).toBeLessThan(500);
      }
      expect(stack.sink.received).toEqual([]);
    }),
  );

  it(
    'control: a body 64 deep is parsed as usual (the limit is not lower than it says)',
    figures.track(async () => {
      const body = `{"to":"39123456789","text":"x","extra":${deep(63)}}`;
      const reply = await stack.call(stack.sendMessage, { body, rawBody: true, headers: ctlive() });
      // Past the depth check: the unknown field is dropped and the text goes out.
      expect(reply.status).toBe(200);
    }),
  );
});

describe('settings stay narrow', () => {
  it(
    'packaging prod from a shell that ran the local stack: refused, naming each leaked value',
    figures.track(async () => {
      const shell = {
        INFOBIP_ALLOWED_HOSTS: '*.api.infobip.com,127.0.0.1',
        LOG_FORMAT: 'text',
        CTLIVE_LAMBDA_ENDPOINT: 'http://localhost:3002',
      };
      const problems = RefuseLocalValues.localValueProblems('prod', { environment: shell }, {});
      expect(problems.map((p) => p.split(':')[1]?.trim().split(' ')[0])).toEqual([
        'INFOBIP_ALLOWED_HOSTS',
        'LOG_FORMAT',
        'CTLIVE_LAMBDA_ENDPOINT',
      ]);
    }),
  );

  it(
    "one Idempotency-Key and body sent to two routes: the second is 422 IDEMPOTENCY_KEY_REUSED, not the first route's answer replayed",
    figures.track(async () => {
      const location = stack.sendRouteWith(LOCATION_TAG, makeSendLocationHandler, {});
      const key = `two-routes-${randomUUID()}`;
      // A body both routes take: each leaves out what it does not know.
      const body = { to: '39123456789', text: 'hi', latitude: 45.46, longitude: 9.19 };
      const headers = { ...ctlive(), 'idempotency-key': key };

      const first = await stack.call(location, { body, headers });
      const before = stack.sandbox.received.length;
      const second = await stack.call(stack.sendMessage, { body, headers });

      expect(first.status).toBe(200);
      expect(second.status).toBe(422);
      expect(second.json.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(stack.sandbox.received.length).toBe(before);
      // The same route again is still the replay.
      expect((await stack.call(location, { body, headers })).json).toEqual(first.json);
    }),
  );
});

describe('a flood on one route does not starve the others', () => {
  // resources/capacity.js builds API Gateway's route settings from the inventory; packaging
  // them is test/template/capacity.test.ts. Here: with a webhook budget far below the others,
  // which routes a flood of unauthenticated webhooks (or fetches) can use up.
  const capacity = createRequire(__filename)(join(__dirname, '..', '..', 'resources', 'capacity.js')) as {
    buildRouteSettings(
      input: { functions: typeof FUNCTIONS; budgets: typeof THROTTLE_BUDGETS },
      resolve: (address: string) => Promise<unknown>,
    ): Promise<Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>>;
    buildFetchUrl(resolve: (address: string) => Promise<unknown>): Promise<unknown>;
  };
  const params: Record<string, string> = {
    throttleWebhookRateLimit: '3',
    throttleWebhookBurstLimit: '4',
    throttleFetchRateLimit: '5',
    throttleFetchBurstLimit: '6',
    throttleSendRateLimit: '50',
    throttleSendBurstLimit: '100',
    throttleRateLimit: '7',
    throttleBurstLimit: '8',
  };
  const resolve = async (address: string) => params[/^param:(\w+)/.exec(address)?.[1] ?? ''] ?? '';

  it(
    "webhooks, fetches and ctlive's routes each spend a budget of their own, route by route",
    figures.track(async () => {
      const settings = await capacity.buildRouteSettings({ functions: FUNCTIONS, budgets: THROTTLE_BUDGETS }, resolve);
      const rateOf = (group: string) =>
        FUNCTIONS.filter((fn) => fn.group === group).flatMap((fn) =>
          fn.routes.map((r) => settings[`${r.method} ${r.path}`]?.ThrottlingRateLimit),
        );
      expect(new Set(rateOf('webhook'))).toEqual(new Set([3]));
      expect(new Set(rateOf('mediaFetch'))).toEqual(new Set([5]));
      for (const group of ['send', 'mediaSend', 'mediaUpload', 'catalogue', 'inboundMedia']) {
        expect({ group, rates: new Set(rateOf(group)) }).toEqual({ group, rates: new Set([50]) });
      }
      // One setting per route key: no route shares a bucket with another.
      const keys = FUNCTIONS.filter((fn) => fn.group !== 'local').flatMap((fn) => fn.routes.map((r) => `${r.method} ${r.path}`));
      expect(Object.keys(settings).sort()).toEqual([...new Set(keys)].sort());
    }),
  );

  it(
    'in redirect mode the fetch functions have no Function URL, the door no throttle guards',
    figures.track(async () => {
      params.mediaFetchMode = 'redirect';
      expect(await capacity.buildFetchUrl(resolve)).toBe(false);
      params.mediaFetchMode = 'stream';
      expect(await capacity.buildFetchUrl(resolve)).toEqual({ invokeMode: 'RESPONSE_STREAM' });
    }),
  );
});

describe('the local stack answers only local names (no DNS rebinding)', () => {
  /** A request as a rebinding page's browser sends it: to 127.0.0.1, under the page's own name. */
  const requestAs = (url: string, host: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const target = new URL(url);
      const req = httpRequest(
        { hostname: target.hostname, port: target.port, path: '/', method: 'POST', headers: { ...headers, host } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('[["GET","x"]]');
    });

  it(
    'the Redis proxy, the Infobip sandbox and the ctlive sink: 403 under a foreign Host, even with the right token',
    figures.track(async () => {
      // The control request below reaches the sandbox at a path that is no Infobip operation, on purpose.
      stack.sandbox.expectSchemaRefusals();
      const servers = [
        { url: stack.proxy.url, headers: { authorization: `Bearer ${stack.secrets.redisToken}` } },
        { url: stack.sandbox.url, headers: { authorization: `App ${stack.secrets.apiKey}` } },
        { url: stack.sink.url, headers: { authorization: `Bearer ${stack.secrets.targetToken}` } },
      ];
      for (const { url, headers } of servers) {
        const port = new URL(url).port;
        expect(await requestAs(url, `rebind.example:${port}`, headers)).toBe(403);
        expect(await requestAs(url, `127.0.0.1.nip.io:${port}`, headers)).toBe(403);
        expect(await requestAs(url, `localhost.evil.example:${port}`, headers)).toBe(403);
        // Control: the same request under the machine's own name gets past the guard.
        expect(await requestAs(url, `127.0.0.1:${port}`, headers)).not.toBe(403);
      }
    }),
  );

  it(
    'a function under serverless-offline: 403 HOST_NOT_LOCAL under a foreign Host before anything runs; localhost is served',
    figures.track(async () => {
      const previous = process.env.IS_OFFLINE;
      process.env.IS_OFFLINE = 'true';
      let sendMessage: ReturnType<Stack['sendMessageWith']>;
      try {
        sendMessage = stack.sendMessageWith({});
      } finally {
        if (previous === undefined) delete process.env.IS_OFFLINE;
        else process.env.IS_OFFLINE = previous;
      }
      const body = { to: '39123456789', text: 'hi' };

      const foreign = await stack.call(sendMessage, { body, headers: { ...ctlive(), host: 'rebind.example:3000' } });
      const local = await stack.call(sendMessage, { body, headers: { ...ctlive(), host: 'localhost:3000' } });

      expect(foreign.status).toBe(403);
      expect(foreign.json.error?.code).toBe('HOST_NOT_LOCAL');
      expect(local.status).toBe(200);
    }),
  );
});

describe('the local stack fails fast', () => {
  it(
    'a setting a function refuses (a 30-character INFOBIP_REPORT_TOKEN): named per function before any banner, the value never printed',
    figures.track(async () => {
      const short = `${'x'.repeat(29)}y`;
      const problems = await checkFunctionConfigs({ ...LOCAL_ENV, INFOBIP_REPORT_TOKEN: short });
      const text = configProblemsText(problems);

      expect(problems.length).toBeGreaterThan(0);
      expect(text).toMatch(/onDeliveryReport: INFOBIP_REPORT_TOKEN must be 32 to 256/);
      expect(text).not.toContain(short);
    }),
    120_000,
  );
});

describe('an upload cannot be swapped after the send checked it', () => {
  let s3: LocalS3;
  let harness: LargeMediaHarness;
  const TOKEN = `swap-ctlive-${randomUUID()}`;
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${harness.publicUrl}/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
  };

  beforeAll(async () => {
    s3 = await startLocalS3();
    harness = await startLargeMediaHarness({
      redis: { url: stack.proxy.url, token: stack.secrets.redisToken },
      s3,
      infobip: { baseUrl: stack.sandbox.url, apiKey: stack.secrets.apiKey },
      ctliveApiToken: TOKEN,
      fetchMode: 'stream',
      sink: () => undefined,
    });
  });
  afterAll(async () => {
    await harness?.close();
    await s3?.close();
  });

  it(
    'an upload without sha256 (whose URL could replace the bytes later): 400 naming sha256, nothing signed',
    figures.track(async () => {
      const res = await post('media', { kind: 'document', fileName: 'c.pdf', contentType: 'application/pdf', size: 2_000 });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('sha256');
      expect(res.body).not.toHaveProperty('upload');
    }),
  );

  it(
    'after the send, the same upload URL PUTs other bytes of the same size and type: S3 refuses (BadDigest), and the fetch never serves them',
    figures.track(async () => {
      const original = sampleFile('application/pdf', 2_000);
      const forged = Buffer.concat([original.subarray(0, 1_000), Buffer.alloc(1_000, 0x41)]);
      const digest = createHash('sha256').update(original).digest('hex');
      const created = await post('media', {
        kind: 'document',
        fileName: 'c.pdf',
        contentType: 'application/pdf',
        size: original.length,
        sha256: digest,
      });
      const { mediaId, upload } = created.body as { mediaId: string; upload: { url: string; headers: Record<string, string> } };
      expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: original })).status).toBe(200);
      const sent = await post('sendWhatsAppDocumentMessage', { to: '39123456789', mediaId });
      expect(sent.status).toBe(200);

      const swap = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: forged });
      const served = await fetch(String(sent.body.mediaUrl));

      expect(swap.status).toBe(400);
      expect(await swap.text()).toContain('BadDigest');
      // S3 keeps the checked object; the local S3 front (tools/localS3.ts) deletes what s3rver
      // had already stored, so locally nothing is served. Either way, never the forged bytes.
      const body = Buffer.from(await served.arrayBuffer());
      expect(served.status === 200 ? body.equals(original) : served.status).toBe(served.status === 200 ? true : 404);
      expect(body.includes(Buffer.alloc(1_000, 0x41))).toBe(false);
    }),
  );
});

describe('baseUrl tricks never receive the API key', () => {
  interface Recorded {
    url: string;
    authorization: string | null;
  }
  const recorded: Recorded[] = [];
  /** Stands in for the network: records where the key would have gone, answers as Infobip. */
  const recordingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    recorded.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
    return new Response(JSON.stringify(omniSendResponse), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const PRODUCTION_ALLOWLIST = ['*.api.infobip.com'];

  beforeEach(() => {
    recorded.length = 0;
  });

  const TRICKS: [string, string][] = [
    ['userinfo before an allowed host', 'https://evil.example@x.api.infobip.com'],
    ['userinfo in upper case', 'HTTPS://EVIL.EXAMPLE@X.API.INFOBIP.COM'],
    ['the allowed host as userinfo', 'https://x.api.infobip.com@evil.example'],
    ['the allowed host and a port as userinfo', 'https://x.api.infobip.com:443@evil.example'],
    ['the allowed host as a subdomain of evil', 'https://x.api.infobip.com.evil.example'],
    ['the same, upper case', 'HTTPS://X.API.INFOBIP.COM.EVIL.EXAMPLE'],
    ['the same, with a trailing dot', 'https://x.api.infobip.com.evil.example.'],
    ['an allowed host with a trailing dot', 'https://x.api.infobip.com.'],
    ['a lookalike without the dot', 'https://xapi.infobip.com'],
    ['api.infobip.com under evil', 'https://api.infobip.com.evil.example'],
    ['a percent-encoded dot in the host', 'https://x.api.infobip.com%2eevil.example'],
    ['an ideographic full stop in the host', 'https://x.api.infobip.com\u3002evil.example'],
    ['the allowed host in the path', 'https://evil.example/x.api.infobip.com'],
    ['the allowed host after a backslash', 'https://evil.example\\x.api.infobip.com'],
    ['the allowed host in the query', 'https://evil.example?x.api.infobip.com'],
    ['the allowed host in the fragment', 'https://evil.example#x.api.infobip.com'],
    ['userinfo in the fragment', 'https://evil.example#@x.api.infobip.com'],
    ['a port on an evil host', 'https://evil.example:443'],
    ['a port, then the allowed host as a path', 'https://evil.example:8443/.api.infobip.com'],
    ['cloud metadata', 'http://169.254.169.254'],
    ['cloud metadata over https', 'https://169.254.169.254'],
    ['cloud metadata with a path', 'http://169.254.169.254/latest/meta-data/iam'],
    ['cloud metadata as a decimal', 'http://2852039166'],
    ['IPv6 loopback', 'http://[::1]'],
    ['IPv6 loopback, long form', 'http://[0:0:0:0:0:0:0:1]'],
    ['IPv6 loopback with a port', 'http://[::1]:8080'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]'],
    ['IPv4-mapped IPv6 loopback in hex', 'http://[::ffff:7f00:1]'],
    ['loopback as a decimal', 'http://2130706433'],
    ['loopback in hex', 'http://0x7f000001'],
    ['loopback shortened', 'http://127.1'],
    ['all interfaces', 'http://0.0.0.0'],
    ['localhost with a trailing dot', 'http://localhost.'],
    ['localhost upper case with a port', 'http://LOCALHOST:8080'],
    ['an allowed host over plain http', 'http://x.api.infobip.com'],
    ['another scheme', 'ftp://x.api.infobip.com'],
    ['a file URL', 'file:///etc/passwd'],
    ['a javascript URL', 'javascript:alert(1)'],
    ['not a URL', 'x.api.infobip.com'],
    ['an allowed host with another port', 'https://x.api.infobip.com:8443'],
    ['an allowed host with port 80 over https', 'https://x.api.infobip.com:80'],
    ['an allowed host, no key of its own: the deployment key would go to another account', 'https://x.api.infobip.com'],
  ];

  it.each(TRICKS)(
    '%s (%s): 400, no request made, no file stored, the key in no answer',
    figures.track(async (_name: string, baseUrl: string) => {
      const sendMessage = stack.sendMessageWith({ allowedHosts: PRODUCTION_ALLOWLIST, fetch: recordingFetch });
      const sendImage = stack.sendMediaWith('image', { allowedHosts: PRODUCTION_ALLOWLIST, fetch: recordingFetch });

      const commands = await redisCommandsDuring(async () => {
        // The request leaves the key out, so the deployment's own key is the one at stake.
        const text = await stack.call(sendMessage, {
          body: { to: '39123456789', text: 'hi', infobip: { baseUrl } },
          headers: ctlive(),
        });
        const file = await stack.call(sendImage, {
          body: fileBody('image', `trick-${randomUUID()}`, { infobip: { baseUrl } }),
          headers: ctlive(),
        });
        for (const reply of [text, file]) {
          expect(reply.status).toBe(400);
          expect(reply.json.error?.code).toBe('VALIDATION_FAILED');
          expect(reply.body).not.toContain(stack.secrets.apiKey);
        }
      });

      expect(recorded).toEqual([]);
      expect(commands).toEqual([]);
    }),
  );

  it.each([
    ['an allowed host in upper case', 'HTTPS://X.API.INFOBIP.COM', 'https://x.api.infobip.com/omni/1/advanced'],
    ['an allowed host with the default port', 'https://x.api.infobip.com:443', 'https://x.api.infobip.com/omni/1/advanced'],
  ])(
    'control: %s (%s) is Infobip itself, and gets the key the request brought for it (the recorder sees what a trick would have sent)',
    figures.track(async (_name: string, baseUrl: string, expectedUrl: string) => {
      const sendMessage = stack.sendMessageWith({ allowedHosts: PRODUCTION_ALLOWLIST, fetch: recordingFetch });
      const apiKey = `key-of-that-account-${randomUUID()}`;

      const reply = await stack.call(sendMessage, {
        body: { to: '39123456789', text: 'hi', infobip: { baseUrl, apiKey } },
        headers: ctlive(),
      });

      expect(reply.status).toBe(200);
      expect(recorded).toEqual([{ url: expectedUrl, authorization: `App ${apiKey}` }]);
    }),
  );

  describe('on the network, against a listener that records every request', () => {
    let evil: Server;
    let evilPort: number;
    const evilRequests: { url: string; authorization?: string }[] = [];
    let redirector: Server;
    let redirectorUrl: string;
    const listen = async (handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) => {
      const server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    };

    beforeAll(async () => {
      evil = await listen((req, res) => {
        evilRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(omniSendResponse));
      });
      evilPort = (evil.address() as AddressInfo).port;
      redirector = await listen((_req, res) => {
        res.writeHead(307, { location: `http://localhost:${evilPort}/omni/1/advanced` }).end();
      });
      redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const server of [evil, redirector]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
    beforeEach(() => {
      evilRequests.length = 0;
    });

    it.each([
      ['127.0.0.1', () => `http://127.0.0.1:${evilPort}`],
      ['localhost', () => `http://localhost:${evilPort}`],
      ['LOCALHOST.', () => `http://LOCALHOST.:${evilPort}`],
      ['IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${evilPort}`],
      ['decimal loopback', () => `http://2130706433:${evilPort}`],
      ['shortened loopback', () => `http://127.1:${evilPort}`],
    ])(
      'a loopback listener named as %s, outside the production allowlist: nothing arrives',
      figures.track(async (_name: string, baseUrl: () => string) => {
        const sendMessage = stack.sendMessageWith({ allowedHosts: PRODUCTION_ALLOWLIST });

        const reply = await stack.call(sendMessage, {
          body: { to: '39123456789', text: 'hi', infobip: { baseUrl: baseUrl() } },
          headers: ctlive(),
        });

        expect(reply.status).toBe(400);
        expect(evilRequests).toEqual([]);
      }),
    );

    it(
      'control: the same listener on the allowlist does get the key (so the listener would have seen it)',
      figures.track(async () => {
        const sendMessage = stack.sendMessageWith({ allowedHosts: ['127.0.0.1'] });

        const reply = await stack.call(sendMessage, {
          // Another account's base URL comes with that account's key (the deployment's stays home).
          body: {
            to: '39123456789',
            text: 'hi',
            infobip: { baseUrl: `http://127.0.0.1:${evilPort}`, apiKey: 'listener-key-0123' },
          },
          headers: ctlive(),
        });

        expect(reply.status).toBe(200);
        expect(evilRequests).toEqual([{ url: '/omni/1/advanced', authorization: 'App listener-key-0123' }]);
      }),
    );

    it(
      'an allowed host that redirects elsewhere: 502, and the redirect target gets nothing',
      figures.track(async () => {
        const sendMessage = stack.sendMessageWith({ allowedHosts: ['127.0.0.1'] });
        const sendImage = stack.sendMediaWith('image', { allowedHosts: ['127.0.0.1'] });
        const before = await stack.mediaKeys();

        const text = await stack.call(sendMessage, {
          body: { to: '39123456789', text: 'hi', infobip: { baseUrl: redirectorUrl, apiKey: 'redirector-key-0123' } },
          headers: ctlive(),
        });
        const file = await stack.call(sendImage, {
          body: fileBody('image', `redirect-${randomUUID()}`, {
            infobip: { baseUrl: redirectorUrl, apiKey: 'redirector-key-0123' },
          }),
          headers: ctlive(),
        });

        expect(text.status).toBe(502);
        expect(file.status).toBe(502);
        expect(evilRequests).toEqual([]);
        expect(await stack.mediaKeys()).toEqual(before);
      }),
    );
  });
});

describe('webhook credentials wrong in each possible way get 401', () => {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const HEADER = 'x-infobip-webhook-secret';
  const password = () => stack.secrets.webhookPassword;
  const headerValue = () => stack.secrets.webhookHeaderValue;
  const BASIC_ONLY = (): WebhookAuthConfig => ({ basic: { username: WEBHOOK_USER, password: password() } });
  const HEADER_ONLY = (): WebhookAuthConfig => ({ header: { name: HEADER, value: headerValue() } });
  const BOTH = (): WebhookAuthConfig => ({ ...BASIC_ONLY(), ...HEADER_ONLY() });
  const goodBasic = () => basic(WEBHOOK_USER, password());
  const goodHeader = () => ({ [HEADER]: headerValue() });

  const WRONG: [string, () => WebhookAuthConfig, () => Record<string, string>][] = [
    ['Basic configured, no Authorization header', BASIC_ONLY, () => ({})],
    ['Basic configured, an empty Authorization header', BASIC_ONLY, () => ({ authorization: '' })],
    ['Basic configured, the scheme alone', BASIC_ONLY, () => ({ authorization: 'Basic' })],
    ['Basic configured, the scheme and a space', BASIC_ONLY, () => ({ authorization: 'Basic ' })],
    ['Basic configured, a wrong password', BASIC_ONLY, () => basic(WEBHOOK_USER, 'wrong-password')],
    ['Basic configured, a wrong user', BASIC_ONLY, () => basic('not-infobip', password())],
    ['Basic configured, user and password swapped', BASIC_ONLY, () => basic(password(), WEBHOOK_USER)],
    ['Basic configured, the password in upper case', BASIC_ONLY, () => basic(WEBHOOK_USER, password().toUpperCase())],
    ['Basic configured, the password with one more character', BASIC_ONLY, () => basic(WEBHOOK_USER, `${password()}x`)],
    ['Basic configured, the password less its last character', BASIC_ONLY, () => basic(WEBHOOK_USER, password().slice(0, -1))],
    ['Basic configured, the password with a trailing space', BASIC_ONLY, () => basic(WEBHOOK_USER, `${password()} `)],
    ['Basic configured, an empty password', BASIC_ONLY, () => basic(WEBHOOK_USER, '')],
    ['Basic configured, the user alone', BASIC_ONLY, () => ({ authorization: `Basic ${b64(WEBHOOK_USER)}` })],
    ['Basic configured, the password alone', BASIC_ONLY, () => ({ authorization: `Basic ${b64(password())}` })],
    ['Basic configured, an empty user and the password', BASIC_ONLY, () => ({ authorization: `Basic ${b64(`:${password()}`)}` })],
    [
      'Basic configured, credentials not base64-encoded',
      BASIC_ONLY,
      () => ({ authorization: `Basic ${WEBHOOK_USER}:${password()}` }),
    ],
    [
      'Basic configured, base64url instead of base64',
      BASIC_ONLY,
      () => ({ authorization: `Basic ${Buffer.from(`${WEBHOOK_USER}:${password()}?>`).toString('base64url')}` }),
    ],
    ['Basic configured, base64 with junk after it', BASIC_ONLY, () => ({ authorization: `${goodBasic().authorization} junk` })],
    ['Basic configured, the scheme twice', BASIC_ONLY, () => ({ authorization: `Basic ${goodBasic().authorization}` })],
    [
      'Basic configured, the credentials as a Bearer token',
      BASIC_ONLY,
      () => ({ authorization: `Bearer ${b64(`${WEBHOOK_USER}:${password()}`)}` }),
    ],
    ['Basic configured, the password as a Bearer token', BASIC_ONLY, () => ({ authorization: `Bearer ${password()}` })],
    ['Basic configured, the Digest scheme', BASIC_ONLY, () => ({ authorization: `Digest username="${WEBHOOK_USER}"` })],
    ['Basic configured, the credentials in another header', BASIC_ONLY, () => ({ 'x-authorization': goodBasic().authorization })],
    ['Basic configured, the credentials in the header secret', BASIC_ONLY, () => ({ [HEADER]: password() })],
    ['Basic configured, a unicode lookalike password', BASIC_ONLY, () => basic(WEBHOOK_USER, password().replace(/a/g, '\u0430'))],
    ['Basic configured, a NUL after the password', BASIC_ONLY, () => basic(WEBHOOK_USER, `${password()}\u0000`)],
    ['header configured, no header', HEADER_ONLY, () => ({})],
    ['header configured, an empty value', HEADER_ONLY, () => ({ [HEADER]: '' })],
    ['header configured, a wrong value', HEADER_ONLY, () => ({ [HEADER]: 'wrong-value' })],
    ['header configured, the value in upper case', HEADER_ONLY, () => ({ [HEADER]: headerValue().toUpperCase() })],
    ['header configured, the value with more after it', HEADER_ONLY, () => ({ [HEADER]: `${headerValue()}, ${headerValue()}` })],
    ['header configured, a prefix of the value', HEADER_ONLY, () => ({ [HEADER]: headerValue().slice(0, 10) })],
    ['header configured, the value under another name', HEADER_ONLY, () => ({ 'x-infobip-webhook-secrets': headerValue() })],
    ['header configured, the value as Authorization', HEADER_ONLY, () => ({ authorization: headerValue() })],
    ['header configured, the value as a Bearer token', HEADER_ONLY, () => ({ authorization: `Bearer ${headerValue()}` })],
    ['both configured, Basic right and the header missing', BOTH, () => goodBasic()],
    ['both configured, Basic right and the header wrong', BOTH, () => ({ ...goodBasic(), [HEADER]: 'wrong-value' })],
    ['both configured, the header right and Basic missing', BOTH, () => goodHeader()],
    ['both configured, the header right and Basic wrong', BOTH, () => ({ ...basic(WEBHOOK_USER, 'wrong'), ...goodHeader() })],
    ['both configured, both missing', BOTH, () => ({})],
  ];

  describe.each(WEBHOOK_NAMES)('%s', (route) => {
    it.each(WRONG)(
      '%s: 401, nothing logged as received, claimed or forwarded',
      figures.track(async (_name: string, auth: () => WebhookAuthConfig, headers: () => Record<string, string>) => {
        const handler = stack.webhooks({ auth: auth() })[route];
        const id = `wamid.ATTACK${randomUUID()}`;
        const mark = stack.lines.length;
        stack.sink.reset();
        let status = 0;

        const commands = await redisCommandsDuring(async () => {
          const reply = await stack.call(handler, {
            body: { results: [{ messageId: id, message: { type: 'TEXT', text: 'hi' } }] },
            headers: headers(),
          });
          status = reply.status;
          expect(reply.json).toEqual({
            error: { code: 'UNAUTHORIZED', message: 'Missing or invalid credentials', retryable: false },
          });
        });

        expect(status).toBe(401);
        expect(commands).toEqual([]);
        expect(stack.sink.received).toEqual([]);
        expect(stack.lines.slice(mark).join('\n')).not.toContain(id);
        // A caller's mistake: WARN, with which part failed, and no ERROR line to page anyone.
        expect(errorLinesSince(stack, mark, route)).toEqual([]);
        expect(warnLinesSince(stack, mark, route).map((e) => e.message)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^\\[IMCHANNEL\\] \\[${route}\\] Request failed with 401 UNAUTHORIZED: Missing or invalid credentials \\((no|Basic|the) .+\\)$`,
            ),
          ),
        ]);
      }),
    );

    it.each([
      ['Basic', BASIC_ONLY, goodBasic],
      [
        'Basic with the scheme in lower case',
        BASIC_ONLY,
        () => ({ authorization: goodBasic().authorization.replace('Basic', 'basic') }),
      ],
      ['the header', HEADER_ONLY, goodHeader],
      ['both', BOTH, () => ({ ...goodBasic(), ...goodHeader() })],
    ])(
      'control: %s right is accepted and forwarded',
      figures.track(async (_name: string, auth: () => WebhookAuthConfig, headers: () => Record<string, string>) => {
        const handler = stack.webhooks({ auth: auth() })[route];
        const id = `wamid.CONTROL${randomUUID()}`;
        stack.sink.reset();

        const reply = await stack.call(handler, { body: { results: [{ messageId: id, seenAt: 'now' }] }, headers: headers() });

        expect(reply.json).toEqual({ forwarded: 1, duplicates: 0 });
        expect(stack.sink.received).toEqual([expect.objectContaining({ messageId: id })]);
      }),
    );
  });
});

describe("one notifyUrl token opens neither onMessage nor another message's report", () => {
  const SECRET = `attack-report-secret-${randomUUID().replace(/-/g, '')}`;
  const auth = (): WebhookAuthConfig => ({
    basic: { username: WEBHOOK_USER, password: stack.secrets.webhookPassword },
    token: { current: SECRET },
  });
  /** What an attacker who read one notifyUrl holds: that URL's token. */
  const tokenOf = (messageId: string) =>
    new URL(notifyUrlFor('https://imchannel.example/imchannel', { INFOBIP_REPORT_TOKEN: SECRET })(messageId)).searchParams.get(
      'token',
    ) as string;
  const reportOf = (messageId: string) => ({
    results: [{ messageId, to: '39123456789', status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' }, doneAt: 'now' }],
  });

  it(
    'the token of message A posts a customer message to onMessage: 401, no Redis command, nothing at ctlive',
    figures.track(async () => {
      const seen = `wamid.SEEN${randomUUID()}`;
      const forged = `wamid.FORGED${randomUUID()}`;
      const { onMessage } = stack.webhooks({ auth: auth() });
      stack.sink.reset();
      const replies: number[] = [];

      const commands = await redisCommandsDuring(async () => {
        for (const token of [tokenOf(seen), tokenOf(forged), SECRET]) {
          const reply = await stack.call(onMessage, {
            body: {
              results: [{ messageId: forged, from: '39123456789', to: '44123456789', message: { type: 'TEXT', text: 'hi' } }],
            },
            query: { token },
          });
          replies.push(reply.status);
        }
      });

      expect(replies).toEqual([401, 401, 401]);
      expect(commands).toEqual([]);
      expect(stack.sink.received).toEqual([]);
    }),
  );

  it(
    "the token of message A posts a report of message B: 401, no Reported: mark for B, nothing at ctlive; A's own report goes through",
    figures.track(async () => {
      const a = `attack-a-${randomUUID()}`;
      const b = `attack-b-${randomUUID()}`;
      const { onDeliveryReport } = stack.webhooks({ auth: auth() });
      stack.sink.reset();

      const forgedB = await stack.call(onDeliveryReport, { body: reportOf(b), query: { token: tokenOf(a) } });
      const both = await stack.call(onDeliveryReport, {
        body: { results: [...reportOf(a).results, ...reportOf(b).results] },
        query: { token: tokenOf(a) },
      });
      const bare = await stack.call(onDeliveryReport, { body: reportOf(b), query: { token: SECRET } });

      expect([forgedB.status, both.status, bare.status]).toEqual([401, 401, 401]);
      expect(await stack.direct.exists(redisKeys.reported(b))).toBe(0);
      expect(stack.sink.received).toEqual([]);

      const own = await stack.call(onDeliveryReport, { body: reportOf(a), query: { token: tokenOf(a) } });
      expect(own.json).toEqual({ forwarded: 1, duplicates: 0 });
      expect(await stack.direct.exists(redisKeys.reported(a))).toBe(1);
      expect(stack.sink.received).toEqual([expect.objectContaining({ messageId: a })]);
    }),
  );

  it(
    'rotation: a notifyUrl made under the previous secret still brings its report; the bare secret only until the set time',
    figures.track(async () => {
      const old = `attack-old-${randomUUID()}`;
      const NEW = `attack-new-secret-${randomUUID().replace(/-/g, '')}`;
      const rotated: WebhookAuthConfig = { ...auth(), token: { current: NEW, previous: SECRET } };
      stack.sink.reset();

      const reply = await stack.call(stack.webhooks({ auth: rotated }).onDeliveryReport, {
        body: reportOf(old),
        query: { token: tokenOf(old) },
      });
      const legacy = `attack-legacy-${randomUUID()}`;
      const open = { ...rotated, unboundTokenUntil: Date.now() + 60_000 };
      const closed = { ...rotated, unboundTokenUntil: Date.now() - 1 };
      const during = await stack.call(stack.webhooks({ auth: open }).onDeliveryReport, {
        body: reportOf(legacy),
        query: { token: SECRET },
      });
      const after = await stack.call(stack.webhooks({ auth: closed }).onDeliveryReport, {
        body: reportOf(`attack-late-${randomUUID()}`),
        query: { token: SECRET },
      });

      expect([reply.status, during.status, after.status]).toEqual([200, 200, 401]);
      expect(stack.sink.received).toEqual([
        expect.objectContaining({ messageId: old }),
        expect.objectContaining({ messageId: legacy }),
      ]);
    }),
  );
});

describe("a report of one Infobip account cannot settle another account's message", () => {
  const SECRET = `attack-account-secret-${randomUUID().replace(/-/g, '')}`;
  /** Another Infobip account this deployment also sends for; message ids are unique only within an account. */
  const OTHER = 'yyyy.api.infobip.com';
  const auth = (): WebhookAuthConfig => ({
    basic: { username: WEBHOOK_USER, password: stack.secrets.webhookPassword },
    token: { current: SECRET },
  });
  const own = () => new URL(stack.sandbox.url).host;
  const accounts = () => ({ defaultAccount: own(), allowedHosts: ['*.api.infobip.com', '127.0.0.1'] });
  const notifyUrl = (messageId: string, account?: string) =>
    Object.fromEntries(
      new URL(notifyUrlFor('https://imchannel.example/imchannel', { INFOBIP_REPORT_TOKEN: SECRET })(messageId, account))
        .searchParams,
    );
  const reportOf = (messageId: string) => ({
    results: [{ messageId, to: '39123456789', status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' }, doneAt: 'now' }],
  });
  /** Infobip takes the send and never answers (an unknown outcome); its logs do not have the message yet. */
  const takesAndHangs = (async (url: string | URL, init?: RequestInit) => {
    if (String(url).includes('/omni/1/logs')) return Response.json({ results: [] });
    return new Promise<Response>((_resolve, reject) =>
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
    );
  }) as typeof fetch;

  it(
    "another account's reports of the same messageId (its notifyUrl, its subscription) leave the unknown outcome unknown; the token with its account dropped or swapped is a 401; the own account's report settles it",
    figures.track(async () => {
      const id = `attack-account-${randomUUID()}`;
      const sendMessage = stack.sendMessageWith({ fetch: takesAndHangs });
      const body = { to: '39123456789', text: 'Your ticket is closed', messageId: id };
      expect((await stack.call(sendMessage, { body, headers: ctlive() })).status).toBe(504);
      const { onDeliveryReport } = stack.webhooks({ auth: auth(), accounts: accounts() });
      stack.sink.reset();

      const otherUrl = notifyUrl(id, OTHER);
      const byOtherUrl = await stack.call(onDeliveryReport, { body: reportOf(id), query: otherUrl });
      const dropped = await stack.call(onDeliveryReport, { body: reportOf(id), query: { token: otherUrl.token as string } });
      const swapped = await stack.call(onDeliveryReport, { body: reportOf(id), query: { ...otherUrl, account: own() } });
      const bySubscription = await stack.call(onDeliveryReport, {
        body: reportOf(id),
        headers: basic(WEBHOOK_USER, stack.secrets.webhookPassword),
        query: { account: OTHER },
      });
      const retry = await stack.call(sendMessage, { body, headers: ctlive() });

      expect([byOtherUrl.status, dropped.status, swapped.status, bySubscription.status]).toEqual([200, 401, 401, 200]);
      expect(await stack.direct.exists(redisKeys.reported(id))).toBe(0);
      expect(await stack.direct.exists(accountKeys(OTHER).reported(id))).toBe(1);
      expect(retry.status).toBe(409);
      expect(retry.json.error).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
      // ctlive heard of the other account's message once, as that account's report.
      expect(stack.sink.received).toEqual([expect.objectContaining({ event: 'delivery', messageId: id })]);

      const ownReport = await stack.call(onDeliveryReport, { body: reportOf(id), query: notifyUrl(id) });
      const settled = await stack.call(sendMessage, { body, headers: ctlive() });

      expect(ownReport.json).toEqual({ forwarded: 1, duplicates: 0 });
      expect(settled.status).toBe(200);
      expect(settled.json).toMatchObject({ messageId: id, status: { groupName: 'DELIVERED' } });
    }),
  );

  it(
    "a customer message of another account is no duplicate of the own account's message with the same id",
    figures.track(async () => {
      const id = `wamid.ACCOUNT${randomUUID()}`;
      const { onMessage } = stack.webhooks({ accounts: accounts() });
      const message = {
        results: [{ messageId: id, from: '39123456789', to: '44123456789', message: { type: 'TEXT', text: 'hi' } }],
      };
      const headers = basic(WEBHOOK_USER, stack.secrets.webhookPassword);
      stack.sink.reset();

      const first = await stack.call(onMessage, { body: message, headers });
      const other = await stack.call(onMessage, { body: message, headers, query: { account: OTHER } });
      const forged = await stack.call(onMessage, { body: message, headers, query: { account: 'evil.example.com' } });

      expect([first.json, other.json]).toEqual([
        { forwarded: 1, duplicates: 0 },
        { forwarded: 1, duplicates: 0 },
      ]);
      expect(forged.status).toBe(400);
      expect(stack.sink.received).toEqual([
        expect.objectContaining({ messageId: id }),
        expect.objectContaining({ messageId: id }),
      ]);
    }),
  );
});

describe('header injection through fileName cannot add a header', () => {
  let http: LambdaHttp;
  const FILE_HEADERS = ['cache-control', 'content-disposition', 'content-length', 'content-type', 'x-content-type-options'];
  /** What Node's HTTP server adds on its own, not the handler. */
  const TRANSPORT_HEADERS = new Set(['connection', 'date', 'keep-alive', 'transfer-encoding']);

  beforeAll(async () => {
    http = await startLambdaHttp([
      { methods: ['POST'], path: '/imchannel/sendWhatsAppDocumentMessage', handler: stack.sendMedia.document },
      { methods: ['GET', 'HEAD'], path: '/imchannel/getDocumentMessage/{id}', handler: stack.fetchMedia.document },
    ]);
  });
  afterAll(() => http.close());

  const NAMES: [string, string][] = [
    ['CRLF and a Set-Cookie', 'offer.pdf\r\nSet-Cookie: session=stolen'],
    ['LF alone', 'offer.pdf\nX-Injected: 1'],
    ['CR alone', 'offer.pdf\rX-Injected: 1'],
    ['a quote, CRLF and a header', 'offer.pdf"\r\nX-Injected: 1\r\n\r\n<html>'],
    ['a second filename parameter', 'offer.pdf"; filename="evil.exe'],
    ['a filename* parameter', "offer.pdf; filename*=UTF-8''evil.exe"],
    ['percent-encoded CRLF', 'offer%0d%0aX-Injected:%201.pdf'],
    ['unicode whose low bytes are CR LF', 'offer\u010d\u010aX-Injected: 1.pdf'],
    ['a line separator', 'offer\u2028X-Injected: 1.pdf'],
    ['a NUL', 'offer.pdf\u0000X-Injected: 1'],
    ['a tab and a backslash', 'offer\t\\"x.pdf'],
    ['a hundred CRLFs, then a header', `a${'\r\n'.repeat(100)}X-Injected: 1`],
    ['a hundred lone LFs, then a header', `a${'\n'.repeat(200)}X-Injected: 1`],
  ];

  it.each(NAMES)(
    '%s: GET and HEAD answer with exactly the file headers, and the bytes sent',
    figures.track(async (_name: string, fileName: string) => {
      const bytes = sampleFile('application/pdf', 2048);
      const sent = await fetch(`${http.url}/imchannel/sendWhatsAppDocumentMessage`, {
        method: 'POST',
        headers: { ...ctlive(), 'content-type': 'application/json' },
        body: JSON.stringify({ to: '39123456789', fileName, contentType: 'application/pdf', content: bytes.toString('base64') }),
      });
      expect(sent.status).toBe(200);
      const { mediaId } = (await sent.json()) as { mediaId: string };

      for (const method of ['HEAD', 'GET']) {
        const res = await fetch(`${http.url}/imchannel/getDocumentMessage/${mediaId}`, { method });
        expect(res.status).toBe(200);
        expect([...res.headers.keys()].filter((name) => !TRANSPORT_HEADERS.has(name)).sort()).toEqual(FILE_HEADERS);
        const disposition = res.headers.get('content-disposition') ?? '';
        expect(disposition).toMatch(
          /^inline; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"(; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+)?$/,
        );
        if (method === 'GET') expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
      }
    }),
  );

  it(
    'a content type carrying CRLF and a header: 415, nothing stored',
    figures.track(async () => {
      const before = await stack.mediaKeys();

      const reply = await stack.call(stack.sendMedia.document, {
        body: fileBody('document', `inject-${randomUUID()}`, { contentType: 'application/pdf\r\nSet-Cookie: session=stolen' }),
        headers: ctlive(),
      });

      expect(reply.status).toBe(415);
      expect(await stack.mediaKeys()).toEqual(before);
    }),
  );
});

it(
  'no response and no log line of the whole attack run holds a configured secret',
  figures.track(async () => {
    expect(stack.responses.length).toBeGreaterThanOrEqual(200);
    expectNothingLeaked(stack);
  }),
);
