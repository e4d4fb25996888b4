import { billedMs, costPerThousand, PRICES } from '../../bench/cost';

const invocation = {
  function: 'sendWhatsAppImageMessage',
  memoryMb: 512,
  handlerMs: 2.4,
  redisRequests: 2,
  redisCommands: 4,
  infobipCalls: 1,
  ctliveForwards: 0,
  logBytes: 650,
  requestBytes: 600 * 1024,
  responseBytes: 300,
};

describe('the cost model of npm run cost', () => {
  it('bills the local time plus each assumed network wait, rounded up to the next millisecond', () => {
    expect(billedMs(invocation, { redisRoundTripMs: 3, infobipCallMs: 150, ctliveForwardMs: 50, lambdaLinesBytes: 0 })).toBe(
      Math.ceil(2.4 + 2 * 3 + 150),
    );
  });

  it('prices 1,000 runs of a flow: a request over 512 KB counts twice at API Gateway, Upstash by command', () => {
    const cost = costPerThousand({ name: 'file', invocations: [invocation] }, PRICES, {
      redisRoundTripMs: 0,
      infobipCallMs: 0,
      ctliveForwardMs: 0,
      lambdaLinesBytes: 350,
    });
    expect(cost.apiGateway).toBeCloseTo(1000 * 2 * PRICES.apiGatewayPerRequest, 10);
    expect(cost.upstash).toBeCloseTo(1000 * 4 * PRICES.upstashPerCommand, 10);
    expect(cost.lambdaCompute).toBeCloseTo(1000 * 0.5 * 0.003 * PRICES.lambdaPerGbSecond, 12);
    expect(cost.logs).toBeCloseTo(1000 * (1000 / 1e9) * PRICES.logsPerGb, 12);
    expect(cost.total).toBeCloseTo(cost.lambdaRequests + cost.lambdaCompute + cost.apiGateway + cost.upstash + cost.logs, 12);
  });
});
