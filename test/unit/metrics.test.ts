import { randomUUID } from 'node:crypto';
import { memoryIdempotency } from '../support/idempotencyFake';
import { readMetricsConfig } from '../../lib/platform/config';
import { httpStack, jsonResponse } from '../../lib/platform/http';
import { createLogger } from '../../lib/platform/log';
import { createMetrics } from '../../lib/platform/metrics';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { makeSendMediaHandler } from '../../lib/media/send';
import { makeFetchMediaHandler } from '../../lib/media/fetch';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import { makeOnDeliveryReportHandler, makeOnMessageHandler } from '../../lib/inbound/webhook';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { datapointsOf, sumOf } from '../support/emf';
import { BASIC, PASSWORD, fakeForwarder, memoryDedupe, result } from '../support/inboundFakes';
import { fakeMediaStore } from '../support/mediaStoreFake';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';
import omniError from '../fixtures/infobip/infobip-omni-error.response.json';

/** The EMF each handler prints for a given request: names, dimensions and values. */

const CONFIG = { namespace: 'IMChannel', service: 'imchannel', stage: 'prod' };
const TOKEN = 'ctlive-token-0123456789';
const INFOBIP = { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'infobip-key-abcdef0123456789', scenarioKey: 'scenario-1' };

function telemetry(tag: string) {
  const logs = captureLines();
  const emf = captureLines();
  const log = createLogger(tag, { format: 'json', level: 'INFO', sink: logs.sink, metricsSink: emf.sink, metrics: CONFIG });
  return { log, logLines: logs.lines, emfLines: emf.lines, points: () => datapointsOf(emf.lines) };
}

const BASE = (fn: string) => ({ service: 'imchannel', stage: 'prod', function: fn });

function sendMessage(answer: (signal: AbortSignal) => Response | Promise<Response>) {
  const t = telemetry('sendMessage');
  const fetchFake = (async (_url: string, init: RequestInit) => answer(init.signal as AbortSignal)) as unknown as typeof fetch;
  const handler = makeSendMessageHandler({
    idempotency: memoryIdempotency(),
    log: t.log,
    infobip: createInfobipClient({ timeoutMs: 100, fetch: fetchFake }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 100 },
    ctliveApiToken: TOKEN,
  });
  const send = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    handler(apiEvent({ body: { to: '39123456789', text: 'hi', infobip: INFOBIP }, headers }), lambdaContext('sendMessage'));
  return { ...t, send };
}

describe('createMetrics', () => {
  it('writes one EMF document per dimension set, in namespace IMChannel with service, stage and function', () => {
    const lines: string[] = [];
    const metrics = createMetrics('sendMessage', CONFIG, { sink: (l) => void lines.push(l) });
    metrics.count('Requests');
    metrics.count('Requests');
    metrics.count('Sends', { outcome: 'SENT' });
    metrics.record('InfobipDuration', 12);
    metrics.record('InfobipDuration', 30);
    metrics.flush();

    expect(lines).toHaveLength(2);
    type Doc = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } };
    const [plain, withOutcome] = lines.map((l) => JSON.parse(l) as Doc);
    expect(plain?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'IMChannel',
        Dimensions: [['service', 'stage', 'function']],
        Metrics: [
          { Name: 'Requests', Unit: 'Count' },
          { Name: 'InfobipDuration', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(plain).toMatchObject({ service: 'imchannel', stage: 'prod', function: 'sendMessage', Requests: 2 });
    expect(plain?.InfobipDuration).toEqual([12, 30]);
    expect(withOutcome?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'stage', 'function', 'outcome']]);
    expect(withOutcome).toMatchObject({ outcome: 'SENT', Sends: 1 });

    metrics.flush();
    expect(lines).toHaveLength(2); // a flush starts afresh
  });

  it('records nothing when disabled (POWERTOOLS_METRICS_DISABLED) or given no sink', () => {
    const lines: string[] = [];
    const disabled = createMetrics('x', readMetricsConfig({ POWERTOOLS_METRICS_DISABLED: 'true' }), {
      sink: (l) => void lines.push(l),
    });
    disabled.count('Requests');
    disabled.flush();
    const noSink = createMetrics('x', CONFIG);
    noSink.count('Requests');
    noSink.flush();
    expect(lines).toEqual([]);
  });

  it('takes namespace, service and stage from the environment serverless.yml sets', () => {
    expect(
      readMetricsConfig({
        POWERTOOLS_METRICS_NAMESPACE: 'IMChannel',
        POWERTOOLS_SERVICE_NAME: 'imchannel',
        IMCHANNEL_STAGE: 'prod',
      }),
    ).toEqual({ namespace: 'IMChannel', service: 'imchannel', stage: 'prod', disabled: false });
  });

  it('keeps EMF out of the log lines a test sink captures, unless it is given a sink of its own', async () => {
    const { lines, sink } = captureLines();
    const log = createLogger('sendMessage', { format: 'json', level: 'INFO', sink });
    const handler = httpStack({ log }, async () => jsonResponse(200, {}));
    await handler(apiEvent(), lambdaContext());
    expect(lines.some((l) => l.includes('CloudWatchMetrics'))).toBe(false);
  });
});

describe('the http stack', () => {
  it('publishes the invocation even when the handler throws: Requests 1, ServerErrors 1', async () => {
    const t = telemetry('sendMessage');
    const handler = httpStack({ log: t.log }, async () => {
      t.log.metrics.count('Sends', { outcome: 'INTERNAL_ERROR' });
      throw new Error('boom');
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(500);
    const points = t.points();
    expect(sumOf(points, 'Requests', BASE('sendMessage'))).toBe(1);
    expect(sumOf(points, 'ServerErrors')).toBe(1);
    expect(sumOf(points, 'ClientErrors')).toBe(0);
    expect(sumOf(points, 'Sends', { outcome: 'INTERNAL_ERROR' })).toBe(1);
    // Every log line is still a log line: none of them is EMF.
    for (const line of t.logLines) expect(JSON.parse(line)).toHaveProperty('level');
  });
});

describe('sendMessage', () => {
  it('a send Infobip accepts: Sends SENT, an Infobip duration, no error', async () => {
    const t = sendMessage(() => new Response(JSON.stringify(omniSendResponse), { status: 200 }));
    expect((await t.send()).statusCode).toBe(200);
    const points = t.points();
    expect(sumOf(points, 'Sends', { ...BASE('sendMessage'), outcome: 'SENT' })).toBe(1);
    expect(points.find((p) => p.name === 'InfobipDuration')?.values).toHaveLength(1);
    expect(sumOf(points, 'InfobipErrors')).toBe(0);
    expect(sumOf(points, 'ServerErrors')).toBe(0);
  });

  it("Infobip's refusal: InfobipErrors by HTTP status and Infobip's code, Sends INFOBIP_ERROR, a 5xx", async () => {
    const t = sendMessage(() => new Response(JSON.stringify(omniError), { status: 401 }));
    expect((await t.send()).statusCode).toBe(502);
    const points = t.points();
    const code = omniError.requestError.serviceException.messageId;
    expect(points.filter((p) => p.name === 'InfobipErrors').map((p) => [p.dimensions, p.value])).toEqual([
      [BASE('sendMessage'), 1],
      [{ ...BASE('sendMessage'), status: '401', code }, 1],
    ]);
    expect(sumOf(points, 'Sends', { outcome: 'INFOBIP_ERROR' })).toBe(1);
    expect(sumOf(points, 'ServerErrors')).toBe(1);
  });

  it('Infobip not answering: InfobipErrors status none, code TIMEOUT; Sends INFOBIP_TIMEOUT', async () => {
    const hang = (signal: AbortSignal) =>
      new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const t = sendMessage(hang);
    expect((await t.send()).statusCode).toBe(504);
    expect(sumOf(t.points(), 'InfobipErrors', { status: 'none', code: 'TIMEOUT' })).toBe(1);
    expect(sumOf(t.points(), 'Sends', { outcome: 'INFOBIP_TIMEOUT' })).toBe(1);
  });

  it('a request without a token: ClientErrors 1, and no send counted', async () => {
    const t = sendMessage(() => new Response('{}', { status: 200 }));
    expect((await t.send({})).statusCode).toBe(401);
    expect(sumOf(t.points(), 'ClientErrors')).toBe(1);
    expect(sumOf(t.points(), 'ServerErrors')).toBe(0);
    expect(t.points().some((p) => p.name === 'Sends')).toBe(false);
  });
});

describe('the media functions', () => {
  const spec = MEDIA_KINDS.image;
  const media = { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 3000 };

  function sendImage(fake = fakeMediaStore()) {
    const t = telemetry(spec.sendTag);
    const handler = makeSendMediaHandler(spec, {
      idempotency: memoryIdempotency(),
      log: t.log,
      infobip: createInfobipClient({
        timeoutMs: 100,
        fetch: (async () => new Response(JSON.stringify(omniSendResponse), { status: 200 })) as unknown as typeof fetch,
      }),
      infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 100 },
      publicUrl: 'https://api.example.com/imchannel',
      ctliveApiToken: TOKEN,
      store: fake.store,
      media,
    });
    const body = { to: '39123456789', fileName: 'a.png', contentType: 'image/png', content: 'iVBORw0KGgo=', infobip: INFOBIP };
    const send = () => handler(apiEvent({ body, headers: { authorization: `Bearer ${TOKEN}` } }), lambdaContext(spec.sendTag));
    return { ...t, send, fake };
  }

  it('a file sent: Sends SENT and its size in MediaBytes', async () => {
    const t = sendImage();
    expect((await t.send()).statusCode).toBe(200);
    expect(sumOf(t.points(), 'Sends', { ...BASE(spec.sendTag), outcome: 'SENT' })).toBe(1);
    expect(sumOf(t.points(), 'MediaBytes')).toBe(8);
  });

  it('Redis down: Sends by the answer code, and a 5xx', async () => {
    const fake = fakeMediaStore();
    fake.setDown(true);
    const t = sendImage(fake);
    const res = await t.send();
    expect(res.statusCode).toBe(503);
    const code = (JSON.parse(String(res.body)) as { error: { code: string } }).error.code;
    expect(sumOf(t.points(), 'Sends', { outcome: code })).toBe(1);
    expect(sumOf(t.points(), 'ServerErrors')).toBe(1);
  });

  it('fetches by method and result: HEAD served, GET of an expired id notFound, a guessed id badId', async () => {
    const fake = fakeMediaStore();
    const t = telemetry(spec.fetchTag);
    const handler = makeFetchMediaHandler(spec, { log: t.log, store: fake.store, media });
    const id = randomUUID();
    await fake.store.put(id, { kind: 'image', contentType: 'image/png', fileName: 'a.png', content: 'AAAA' }, 60);
    const fetchFile = (method: string, fileId: string) =>
      handler(apiEvent({ method, pathParameters: { id: fileId } }), lambdaContext(spec.fetchTag));

    expect((await fetchFile('HEAD', id)).statusCode).toBe(200);
    expect((await fetchFile('GET', randomUUID())).statusCode).toBe(404);
    expect((await fetchFile('GET', '../etc/passwd')).statusCode).toBe(404);

    const fetches = t
      .points()
      .filter((p) => p.name === 'MediaFetches')
      .map((p) => [p.dimensions.method, p.dimensions.result, p.value]);
    expect(fetches).toEqual([
      ['HEAD', 'served', 1],
      ['GET', 'notFound', 1],
      ['GET', 'badId', 1],
    ]);
    expect(sumOf(t.points(), 'ClientErrors')).toBe(2);
    // A 404 is the caller's: WARN, never an ERROR line.
    expect(t.logLines.map((l) => (JSON.parse(l) as { level: string }).level)).not.toContain('ERROR');
  });
});

describe('the webhooks', () => {
  function webhook(make: typeof makeOnMessageHandler, tag: string) {
    const t = telemetry(tag);
    const dedupe = memoryDedupe();
    const forwarder = fakeForwarder();
    const handler = make({ log: t.log, auth: { basic: { username: 'infobip', password: PASSWORD } }, dedupe, forwarder });
    const post = (body: unknown) => handler(apiEvent({ body, headers: BASIC }), lambdaContext(tag));
    return { ...t, forwarder, post };
  }

  it('onMessage: results received, forwarded and duplicates, and a forward duration each', async () => {
    const t = webhook(makeOnMessageHandler, 'onMessage');
    await t.post({ results: [result('m-1')] });
    await t.post({ results: [result('m-1'), result('m-2'), result('m-2')] });
    const points = t.points();
    expect(sumOf(points, 'ResultsReceived', BASE('onMessage'))).toBe(4);
    expect(sumOf(points, 'Forwarded')).toBe(2);
    expect(sumOf(points, 'Duplicates')).toBe(2);
    expect(sumOf(points, 'ForwardFailures')).toBe(0);
    expect(points.filter((p) => p.name === 'ForwardDuration').flatMap((p) => p.values)).toHaveLength(2);
    expect(points.some((p) => p.name === 'DeliveryReports')).toBe(false);
  });

  it('onMessage: ctlive refusing is one forward failure, the rest not forwarded, and a 5xx', async () => {
    const t = webhook(makeOnMessageHandler, 'onMessage');
    t.forwarder.failFor.add('m-1');
    expect((await t.post({ results: [result('m-1'), result('m-2')] })).statusCode).toBe(503);
    const points = t.points();
    expect(sumOf(points, 'ForwardFailures')).toBe(1);
    expect(sumOf(points, 'NotForwarded')).toBe(2);
    expect(sumOf(points, 'ServerErrors')).toBe(1);
  });

  it("onDeliveryReport: reports by Infobip's status group, SEEN for a seen report, OTHER for anything else", async () => {
    const t = webhook(makeOnDeliveryReportHandler, 'onDeliveryReport');
    const report = (messageId: string, groupName: string) => ({
      messageId,
      to: '39123456789',
      status: { groupId: 3, groupName, id: 5, name: `${groupName}_X`, description: 'x' },
    });
    await t.post({
      results: [
        report('r-1', 'DELIVERED'),
        report('r-2', 'DELIVERED'),
        report('r-3', 'UNDELIVERABLE'),
        report('r-4', 'made up by someone'),
        { messageId: 'r-5', from: '39123456789', to: '44123456789', seenAt: '2025-01-01T00:00:00.000+0000' },
      ],
    });
    const byGroup = Object.fromEntries(
      t
        .points()
        .filter((p) => p.name === 'DeliveryReports')
        .map((p) => [p.dimensions.statusGroup, p.value]),
    );
    expect(byGroup).toEqual({ DELIVERED: 2, UNDELIVERABLE: 1, OTHER: 1, SEEN: 1 });
    expect(sumOf(t.points(), 'ResultsReceived', BASE('onDeliveryReport'))).toBe(5);
  });
});
