import { FUNCTIONS } from '../../lib/functions';
import { METHOD_NOT_ALLOWED_TAG, makeMethodNotAllowedHandler } from '../../lib/methodNotAllowed';
import { createLogger } from '../../lib/platform/log';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

const row = FUNCTIONS.find((fn) => fn.name === METHOD_NOT_ALLOWED_TAG);
const serving = FUNCTIONS.filter((fn) => fn.group !== 'local' && fn !== row);
/** What the inventory says each path takes, from the rows that serve it. */
const methodsOf = (path: string) =>
  serving.flatMap((fn) => fn.routes.filter((route) => route.path === path).map((route) => route.method));

function setup() {
  const { lines, sink } = captureLines();
  const handler = makeMethodNotAllowedHandler({
    log: createLogger(METHOD_NOT_ALLOWED_TAG, { format: 'json', level: 'INFO', sink }),
  });
  /** The event API Gateway sends through an `ANY <routePath>` route. */
  const call = async (method: string, routePath: string, rawPath = routePath) => {
    const event = { ...apiEvent({ method, path: rawPath, body: { to: '39123456789' } }), routeKey: `ANY ${routePath}` };
    const res = await handler(event, lambdaContext(METHOD_NOT_ALLOWED_TAG));
    return { ...res, json: JSON.parse(String(res.body)) as { error: Record<string, unknown> } };
  };
  return { lines, call };
}

describe('the methodNotAllowed inventory row', () => {
  it('has an ANY route on every path another deployed function serves, and reads no secret', () => {
    const paths = [...new Set(serving.flatMap((fn) => fn.routes.map((route) => route.path)))].sort();
    expect(row?.routes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(paths.map((path) => `ANY ${path}`));
    expect(row?.secrets).toEqual([]);
  });
});

describe('a wrong method on a known route', () => {
  it.each(row?.routes.map((route) => route.path) ?? [])('%s: 405 with the Allow the inventory gives it', async (path) => {
    const { call } = setup();
    const wrong = methodsOf(path).includes('POST') ? 'GET' : 'POST';

    const res = await call(wrong, path);

    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe(methodsOf(path).join(', '));
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(res.json.error).toEqual({
      code: 'METHOD_NOT_ALLOWED',
      message: `${path} does not take ${wrong}: use ${methodsOf(path).join(' or ')}`,
      retryable: false,
      allowed: methodsOf(path),
    });
  });

  it('names the route, not the id, and logs one WARN refusal line without the body', async () => {
    const { call, lines } = setup();

    const res = await call(
      'DELETE',
      '/imchannel/getImageMessage/{id}',
      '/imchannel/getImageMessage/bb8b8717-5b71-45a7-be04-af9cb746661b',
    );

    expect(res.headers?.allow).toBe('GET, HEAD');
    expect(res.json.error.message).toBe('/imchannel/getImageMessage/{id} does not take DELETE: use GET or HEAD');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 'WARN',
      message: expect.stringMatching(/^\[IMCHANNEL\] \[methodNotAllowed\] Request failed with 405 METHOD_NOT_ALLOWED/),
    });
    expect(lines.join('\n')).not.toContain('39123456789');
  });
});
