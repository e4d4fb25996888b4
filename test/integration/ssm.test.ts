import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSecrets } from '../../lib/platform/secrets';
import type { SsmSettings } from '../../lib/platform/ssm';
import { sdkSignature } from '../support/awsSigner';

/**
 * SSM itself cannot run here, so a local server plays it over real HTTP: it checks every
 * request's SigV4 signature with the AWS SDK's signer, then answers like SSM does.
 */
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-access-key', sessionToken: 'local-session' };
const region = 'eu-west-1';

interface SeenRequest {
  target: string | undefined;
  body: Record<string, unknown>;
  signatureValid: boolean;
}

type Answer = (body: Record<string, unknown>) => { status: number; json: unknown };

let server: Server;
let endpoint: string;
let seen: SeenRequest[];
let answer: Answer;

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await readBody(req);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'x-amz-target', 'x-amz-date', 'x-amz-security-token']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const stamp = headers['x-amz-date'] ?? '';
    const at = new Date(
      `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
    );
    const expected = await sdkSignature(credentials, region, { url: new URL(endpoint), headers, body: text }, at);
    const body = JSON.parse(text) as Record<string, unknown>;
    const signatureValid = req.headers.authorization === expected;
    seen.push({ target: headers['x-amz-target'], body, signatureValid });
    const { status, json } = signatureValid
      ? answer(body)
      : {
          status: 400,
          json: { __type: 'InvalidSignatureException', message: 'The request signature we calculated does not match' },
        };
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen = [];
});

const settings = (): SsmSettings => ({ region, credentials, endpoint });

describe('loadSecrets against an SSM that checks signatures', () => {
  /** SSM's GetParameters: the stored values by name, and the names it does not know. */
  const store =
    (stored: Record<string, string>): Answer =>
    (body) => {
      const names = body.Names as string[];
      return {
        status: 200,
        json: {
          Parameters: names.filter((n) => n in stored).map((n) => ({ Name: n, Value: stored[n], Type: 'SecureString' })),
          InvalidParameters: names.filter((n) => !(n in stored)),
        },
      };
    };

  it('asks for exactly the named parameters under the path, decrypted, in one call', async () => {
    answer = store({ '/imchannel/prod/CTLIVE_API_TOKEN': 'a', '/imchannel/prod/UPSTASH_REDIS_REST_TOKEN': 'c' });

    const secrets = await loadSecrets(
      '/imchannel/prod',
      ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY'],
      settings(),
    );

    expect(secrets).toEqual({ values: { CTLIVE_API_TOKEN: 'a', UPSTASH_REDIS_REST_TOKEN: 'c' }, missing: ['INFOBIP_API_KEY'] });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.signatureValid).toBe(true);
    expect(seen[0]!.target).toBe('AmazonSSM.GetParameters');
    expect(seen[0]!.body).toEqual({
      Names: ['/imchannel/prod/CTLIVE_API_TOKEN', '/imchannel/prod/UPSTASH_REDIS_REST_TOKEN', '/imchannel/prod/INFOBIP_API_KEY'],
      WithDecryption: true,
    });
  });

  it('makes no call for a function that needs no secret', async () => {
    answer = store({});

    await expect(loadSecrets('/imchannel/prod/', [], settings())).resolves.toEqual({ values: {}, missing: [] });
    expect(seen).toHaveLength(0);
  });

  it('is refused by SSM when the secret key is wrong (the check above can fail)', async () => {
    answer = store({});

    const wrongKey = { ...settings(), credentials: { ...credentials, secretAccessKey: 'not-the-key' } };

    await expect(loadSecrets('/imchannel/prod/', ['CTLIVE_API_TOKEN'], wrongKey)).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    expect(seen[0]!.signatureValid).toBe(false);
  });

  it("names SSM's error, as SSM names it", async () => {
    answer = () => ({
      status: 400,
      json: { __type: 'com.amazonaws.ssm#AccessDeniedException', message: 'User is not authorized to perform ssm:GetParameters' },
    });

    await expect(loadSecrets('/imchannel/prod/', ['CTLIVE_API_TOKEN'], settings())).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'User is not authorized to perform ssm:GetParameters',
    });
  });

  it('gives up on an SSM that does not answer in time', async () => {
    answer = store({});
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    try {
      await expect(
        loadSecrets('/imchannel/prod/', ['CTLIVE_API_TOKEN'], { ...settings(), endpoint: url, timeoutMs: 200 }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
