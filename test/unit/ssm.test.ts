import { signJsonPost, type AwsCredentials } from '../../lib/platform/ssm';
import { sdkSignature } from '../support/awsSigner';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const at = new Date('2026-11-24T12:34:56.000Z');

describe('signJsonPost (aws4fetch, held to the AWS SDK signer)', () => {
  it.each([
    ['AWS', 'https://ssm.eu-west-1.amazonaws.com/', 'eu-west-1', credentials],
    ['a local endpoint with a port', 'http://127.0.0.1:4566/', 'us-east-1', credentials],
    [
      'credentials without a session token',
      'https://ssm.eu-central-1.amazonaws.com/',
      'eu-central-1',
      {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
      },
    ],
  ] as [string, string, string, AwsCredentials][])(
    'signs exactly as the AWS SDK does: %s',
    async (_label, endpoint, region, creds) => {
      const url = new URL(endpoint);
      const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' };
      const body = JSON.stringify({ Names: ['/imchannel/prod/CTLIVE_API_TOKEN'], WithDecryption: true });

      const ours = await signJsonPost({ region, credentials: creds }, url, headers, body, at);
      const sdkHeaders = creds.sessionToken === undefined ? headers : { ...headers, 'x-amz-security-token': creds.sessionToken };

      expect(ours.authorization).toBe(await sdkSignature(creds, region, { url, headers: sdkHeaders, body }, at));
      expect(ours['x-amz-date']).toBe('20261124T123456Z');
      expect(ours['x-amz-security-token']).toBe(creds.sessionToken);
    },
  );

  it('changes when a single byte of the body changes', async () => {
    const url = new URL('https://ssm.eu-west-1.amazonaws.com/');
    const sign = async (body: string) =>
      (await signJsonPost({ region: 'eu-west-1', credentials }, url, {}, body, at)).authorization;

    expect(await sign('{"Path":"/imchannel/prod/"}')).not.toBe(await sign('{"Path":"/imchannel/prof/"}'));
  });

  it("gives the signature of AWS's published SigV4 test suite case post-vanilla", async () => {
    const signed = await signJsonPost(
      {
        region: 'us-east-1',
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      },
      new URL('https://example.amazonaws.com/'),
      {},
      '',
      new Date('2015-08-30T12:36:00Z'),
      'service',
    );

    expect(signed).toEqual({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    });
  });

  it('sends exactly the headers it signed, and no S3 content hash', async () => {
    const url = new URL('https://ssm.eu-west-1.amazonaws.com/');
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' };

    const signed = await signJsonPost({ region: 'eu-west-1', credentials }, url, headers, '{}', at);

    expect(Object.keys(signed).sort()).toEqual([
      'authorization',
      'content-type',
      'host',
      'x-amz-date',
      'x-amz-security-token',
      'x-amz-target',
    ]);
    expect(signed.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,');
  });
});
