import RefuseLocalValues from '../../resources/refuseLocalValues';

const { localValueProblems } = RefuseLocalValues;

describe('packaging a deployed stage refuses local values leaking from the shell', () => {
  const provider = (environment: Record<string, string>) => ({ environment });

  it.each([
    [
      'a loopback allowed host',
      { INFOBIP_ALLOWED_HOSTS: '*.api.infobip.com,127.0.0.1' },
      'INFOBIP_ALLOWED_HOSTS names a local host (127.0.0.1)',
    ],
    ['localhost', { INFOBIP_ALLOWED_HOSTS: 'localhost' }, 'INFOBIP_ALLOWED_HOSTS names a local host (localhost)'],
    ['IPv6 loopback', { INFOBIP_ALLOWED_HOSTS: '::1' }, 'INFOBIP_ALLOWED_HOSTS names a local host (::1)'],
    ['text logs', { LOG_FORMAT: 'text' }, 'LOG_FORMAT is "text"'],
    ['the local Lambda endpoint', { CTLIVE_LAMBDA_ENDPOINT: 'http://localhost:3002' }, 'CTLIVE_LAMBDA_ENDPOINT is set'],
  ])('%s on prod: named', (_label, environment, message) => {
    const problems = localValueProblems('prod', provider(environment), {});
    expect(problems).toEqual([expect.stringContaining(message)]);
  });

  it("finds them in a function's own environment too, and says where", () => {
    const problems = localValueProblems('dev', provider({}), { onMessage: { environment: { CTLIVE_LAMBDA_ENDPOINT: 'x' } } });
    expect(problems).toEqual([expect.stringMatching(/^functions\.onMessage\.environment: CTLIVE_LAMBDA_ENDPOINT/)]);
  });

  it('leaves the local stages and production values alone', () => {
    const local = { INFOBIP_ALLOWED_HOSTS: '127.0.0.1', LOG_FORMAT: 'text', CTLIVE_LAMBDA_ENDPOINT: 'http://localhost:3002' };
    for (const stage of ['local', 'ci', 'bench']) expect(localValueProblems(stage, provider(local), {})).toEqual([]);
    const deployed = { INFOBIP_ALLOWED_HOSTS: '*.api.infobip.com', LOG_FORMAT: 'json', CTLIVE_LAMBDA_ENDPOINT: '' };
    expect(localValueProblems('prod', provider(deployed), {})).toEqual([]);
  });

  it('stops `serverless package` before anything is built, with every problem in one error', () => {
    class FrameworkError extends Error {}
    const serverless = {
      classes: { Error: FrameworkError },
      service: {
        provider: { stage: 'prod', environment: { LOG_FORMAT: 'text', INFOBIP_ALLOWED_HOSTS: 'localhost' } },
        functions: {},
      },
    };
    const plugin = new RefuseLocalValues(serverless, { stage: 'prod' });
    expect(() => plugin.hooks['before:package:initialize']?.()).toThrow(FrameworkError);
    expect(() => plugin.hooks['before:package:initialize']?.()).toThrow(/INFOBIP_ALLOWED_HOSTS[\s\S]*LOG_FORMAT/);
  });
});
