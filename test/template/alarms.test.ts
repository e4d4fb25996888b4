import { randomUUID } from 'node:crypto';
import { memoryIdempotency } from '../support/idempotencyFake';
import { createLogger } from '../../lib/platform/log';
import { startFunction } from '../../lib/platform/runtime';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { makeFetchMediaHandler } from '../../lib/media/fetch';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import { makeOnDeliveryReportHandler, makeOnMessageHandler } from '../../lib/inbound/webhook';
import { apiEvent, lambdaContext } from '../support/lambda';
import { BASIC, PASSWORD, fakeForwarder, memoryDedupe, result } from '../support/inboundFakes';
import { fakeMediaStore } from '../support/mediaStoreFake';
import {
  alarmsRaised,
  cloudwatchResources,
  evaluateExpression,
  matchesFilter,
  parseFilterPattern,
  type Resource,
} from '../support/alarmLogic';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

/**
 * The template's alarm logic (resources/cloudwatch.js, with serverless.yml's default stage
 * parameters) run on REAL log lines: the handlers are driven in-process, each function's
 * JSON log lines and EMF lines are collected as its log group would hold them, the metric
 * filters and embedded metrics give the datapoints, and the alarms' math decides.
 */

const TOKEN = 'ctlive-token-0123456789';
const INFOBIP = { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'infobip-key-abcdef0123456789', scenarioKey: 'scenario-1' };
const METRICS = { namespace: 'IMChannel', service: 'imchannel', stage: 'prod' };

let resources: Record<string, Resource>;
beforeAll(async () => {
  resources = await cloudwatchResources('prod');
});

/** One period of the service: every function's log group, and the handlers that write to it. */
function period() {
  const groups: Record<string, string[]> = {};
  const log = (tag: string) => {
    const group = (groups[tag] ??= []);
    const sink = (line: string) => void group.push(line);
    // On Lambda both go to stdout, so both land in the function's log group.
    return createLogger(tag, { format: 'json', level: 'INFO', sink, metricsSink: sink, metrics: METRICS });
  };
  let infobip: () => Response = () => new Response(JSON.stringify(omniSendResponse), { status: 200 });
  const sendMessage = makeSendMessageHandler({
    idempotency: memoryIdempotency(),
    log: log('sendMessage'),
    infobip: createInfobipClient({ timeoutMs: 100, fetch: (async () => infobip()) as unknown as typeof fetch }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 100 },
    ctliveApiToken: TOKEN,
  });
  const store = fakeMediaStore();
  const fetchImage = makeFetchMediaHandler(MEDIA_KINDS.image, {
    log: log('onGetImageMessage'),
    store: store.store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4096 },
  });
  const forwarder = fakeForwarder();
  const webhookDeps = (tag: string) => ({
    log: log(tag),
    auth: { basic: { username: 'infobip', password: PASSWORD } },
    dedupe: memoryDedupe(),
    forwarder,
  });
  const onMessage = makeOnMessageHandler(webhookDeps('onMessage'));
  const onDeliveryReport = makeOnDeliveryReportHandler(webhookDeps('onDeliveryReport'));
  const ctx = lambdaContext();

  return {
    groups,
    forwarder,
    answerInfobipWith: (answer: () => Response) => (infobip = answer),
    send: (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
      sendMessage(apiEvent({ body: { to: '39123456789', text: 'hi', infobip: INFOBIP }, headers }), ctx),
    fetchImage: (id: string) => fetchImage(apiEvent({ method: 'GET', pathParameters: { id } }), ctx),
    message: (id: string, headers: Record<string, string> = BASIC) =>
      onMessage(apiEvent({ body: { results: [result(id)] }, headers }), ctx),
    report: (id: string, groupName: string, headers: Record<string, string> = BASIC) =>
      onDeliveryReport(
        apiEvent({
          body: {
            results: [
              { messageId: id, to: '39123456789', status: { groupId: 3, groupName, id: 5, name: 'X', description: 'x' } },
            ],
          },
          headers,
        }),
        ctx,
      ),
    alarms: () => alarmsRaised(resources, groups),
  };
}

/** A quiet, healthy period: some sends, inbound messages and delivered reports. */
async function normalTraffic(p: ReturnType<typeof period>) {
  for (let i = 0; i < 20; i++) {
    expect((await p.send()).statusCode).toBe(200);
    expect((await p.message(`in-${randomUUID()}`)).statusCode).toBe(200);
    expect((await p.report(`out-${randomUUID()}`, 'DELIVERED')).statusCode).toBe(200);
  }
}

describe('the metric filter evaluator', () => {
  it('parses the patterns the template uses, and only those it can evaluate', () => {
    expect(parseFilterPattern('{ $.level = "ERROR" && $.message = "*cannot start*" }')).toEqual([
      { path: ['level'], op: '=', value: 'ERROR' },
      { path: ['message'], op: '=', value: '*cannot start*' },
    ]);
    expect(() => parseFilterPattern('ERROR')).toThrow(/not a JSON filter pattern/);
    expect(() => parseFilterPattern('{ $.a IS TRUE }')).toThrow(/unsupported condition/);
    for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::Logs::MetricFilter')) {
      expect(() => parseFilterPattern(r.Properties.FilterPattern as string)).not.toThrow();
    }
  });

  it('matches as CloudWatch does: exact strings, * wildcards, numbers; never a line that is not JSON', () => {
    const line = JSON.stringify({ level: 'ERROR', message: '[IMCHANNEL] [x] boom', statusCode: 503, nested: { a: 'b' } });
    expect(matchesFilter('{ $.level = "ERROR" }', line)).toBe(true);
    expect(matchesFilter('{ $.level = "WARN" }', line)).toBe(false);
    expect(matchesFilter('{ $.level != "WARN" }', line)).toBe(true);
    expect(matchesFilter('{ $.message = "*boom" }', line)).toBe(true);
    expect(matchesFilter('{ $.message = "boom" }', line)).toBe(false);
    expect(matchesFilter('{ $.statusCode >= 500 && $.nested.a = "b" }', line)).toBe(true);
    expect(matchesFilter('{ $.statusCode < 500 }', line)).toBe(false);
    expect(matchesFilter('{ $.missing = "x" }', line)).toBe(false);
    expect(matchesFilter('{ $.level = "ERROR" }', '[IMCHANNEL] [x] level ERROR')).toBe(false);
  });

  it('evaluates the metric math the alarms use', () => {
    const ratio = 'IF(errors >= 5 AND errors / requests >= 0.05, 1, 0)';
    expect(evaluateExpression(ratio, { errors: 5, requests: 100 })).toBe(1);
    expect(evaluateExpression(ratio, { errors: 5, requests: 1000 })).toBe(0);
    expect(evaluateExpression(ratio, { errors: 4, requests: 4 })).toBe(0);
    expect(evaluateExpression('FILL(a, 0) + FILL(b, 0)', { a: 2, b: undefined })).toBe(2);
    expect(evaluateExpression('a + b', { a: 2, b: undefined })).toBeUndefined();
    expect(() => evaluateExpression('process.exit(1); a', { a: 1 })).toThrow(/unsupported metric math/);
  });
});

describe('the alarms on real log lines', () => {
  it('a healthy period raises none', async () => {
    const p = period();
    await normalTraffic(p);
    expect(p.alarms()).toEqual([]);
  });

  it('a scan of 1,000 unauthenticated requests (401s, WARN lines) raises none', async () => {
    const p = period();
    await normalTraffic(p);
    const noToken = {};
    const wrong = { authorization: 'Basic d3Jvbmc6d3Jvbmc=' };
    for (let i = 0; i < 250; i++) {
      expect((await p.send(noToken)).statusCode).toBe(401);
      expect((await p.send({ authorization: 'Bearer guessed-token' })).statusCode).toBe(401);
      expect((await p.message(`scan-${i}`, wrong)).statusCode).toBe(401);
      expect((await p.report(`scan-${i}`, 'DELIVERED', noToken)).statusCode).toBe(401);
    }
    // And a few guessed file ids: 404s, the caller's too.
    for (let i = 0; i < 50; i++) expect((await p.fetchImage(randomUUID())).statusCode).toBe(404);

    const levels = Object.values(p.groups)
      .flat()
      .map((line) => (JSON.parse(line) as { level?: string }).level)
      .filter(Boolean);
    expect(levels.filter((l) => l === 'WARN').length).toBeGreaterThanOrEqual(1_050);
    expect(levels).not.toContain('ERROR');
    expect(p.alarms()).toEqual([]);
  });

  it('one stray 5xx raises none; a burst of 5xx raises the function 5xx alarm and the Infobip alarm', async () => {
    const p = period();
    await normalTraffic(p);
    p.answerInfobipWith(
      () => new Response('{"requestError":{"serviceException":{"messageId":"GENERAL_ERROR"}}}', { status: 500 }),
    );
    expect((await p.send()).statusCode).toBe(502);
    expect(p.alarms()).toEqual([]);

    for (let i = 0; i < 5; i++) expect((await p.send()).statusCode).toBe(502);
    expect(p.alarms()).toEqual(['imchannel-prod-infobip-errors', 'imchannel-prod-sendMessage-5xx']);
  });

  it('ctlive refusing forwards raises the forward failures alarm and the webhook 5xx alarm', async () => {
    const p = period();
    await normalTraffic(p);
    for (let i = 0; i < 5; i++) {
      const id = `down-${i}`;
      p.forwarder.failFor.add(id);
      expect((await p.message(id)).statusCode).toBe(503);
    }
    expect(p.alarms()).toEqual(['imchannel-prod-forward-failures', 'imchannel-prod-onMessage-5xx']);
  });

  it('failed delivery reports raise their alarm above the share, not below it', async () => {
    const below = period();
    await normalTraffic(below); // 20 DELIVERED
    for (const group of ['UNDELIVERABLE', 'EXPIRED', 'REJECTED']) await below.report(randomUUID(), group);
    expect(below.alarms()).toEqual([]); // 3 of 23: 13%

    const above = period();
    await normalTraffic(above);
    for (let i = 0; i < 6; i++) await above.report(randomUUID(), 'UNDELIVERABLE');
    expect(above.alarms()).toEqual(['imchannel-prod-delivery-failures']); // 6 of 26: 23%
  });

  it('inbound silence raises its alarm, even when webhooks arrive with bad credentials', async () => {
    const p = period();
    expect(p.alarms()).toContain('imchannel-prod-inbound-silence');
    for (let i = 0; i < 10; i++) await p.message(randomUUID(), {});
    expect(p.alarms()).toContain('imchannel-prod-inbound-silence');
    await p.message(randomUUID());
    expect(p.alarms()).not.toContain('imchannel-prod-inbound-silence');
  });

  it('a function that cannot start raises its alarm from its one configuration error line', () => {
    const saved = { ...process.env };
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    try {
      process.env = { LOG_FORMAT: 'json' };
      expect(() => startFunction('sendMessage', () => async () => ({}))).toThrow(/UPSTASH_REDIS_REST_URL/);
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
    expect(lines).toHaveLength(1);
    const p = period();
    expect(alarmsRaised(resources, { ...p.groups, onMessage: [], sendMessage: lines })).toEqual([
      'imchannel-prod-inbound-silence',
      'imchannel-prod-sendMessage-cannot-start',
    ]);
  });
});

describe('the thresholds are stage parameters', () => {
  it('stricter serverErrorsMin and serverErrorsShare make one 5xx an alarm; inboundSilenceHours 0 drops the silence alarm', async () => {
    resources = await cloudwatchResources('prod', { serverErrorsMin: '1', serverErrorsShare: '0.01', inboundSilenceHours: '0' });
    const p = period();
    await normalTraffic(p);
    p.answerInfobipWith(() => new Response('{}', { status: 500 }));
    await p.send();
    expect(p.alarms()).toEqual(['imchannel-prod-sendMessage-5xx']);
    expect(alarmsRaised(resources, {})).toEqual([]); // no silence alarm, even with no traffic at all
    resources = await cloudwatchResources('prod');
  });

  it('a malformed threshold fails packaging with a line naming it', async () => {
    await expect(cloudwatchResources('prod', { serverErrorsShare: '5%' })).rejects.toThrow(
      'Stage parameter "serverErrorsShare" must be a number from 0 to 1, got "5%"',
    );
  });
});
