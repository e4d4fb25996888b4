import { signJsonPost, type AwsCredentials } from '../../lib/platform/ssm';
import { sdkSignature } from '../support/awsSigner';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const at = new Date('2026-11-24T12:34:56.000Z');

describe('signJsonPost (SigV4 by hand)', () => {
  it.each([
    ['AWS', 'https://ssm.eu-west-1.amazonaws.com/', 'eu-west-1', credentials],
    ['a local endpoint with a port', 'http://127.0.0.1:4566/', 'us-east-1', credentials],
    ['credentials without a session token', 'https://ssm.eu-central-1.amazonaws.com/', 'eu-central-1', {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
    }],
  ] as [string, string, string, AwsCredentials][])('signs exactly as the AWS SDK does: %s', async (_label, endpoint, region, creds) => {
    const url = new URL(endpoint);
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' };
    const body = JSON.stringify({ Names: ['/imchannel/prod/CTLIVE_API_TOKEN'], WithDecryption: true });

    const ours = signJsonPost({ region, credentials: creds }, url, headers, body, at);
    const sdkHeaders = creds.sessionToken === undefined ? headers : { ...headers, 'x-amz-security-token': creds.sessionToken };

    expect(ours.authorization).toBe(await sdkSignature(creds, region, { url, headers: sdkHeaders, body }, at));
    expect(ours['x-amz-date']).toBe('20261124T123456Z');
    expect(ours['x-amz-security-token']).toBe(creds.sessionToken);
  });

  it('changes when a single byte of the body changes', () => {
    const url = new URL('https://ssm.eu-west-1.amazonaws.com/');
    const sign = (body: string) => signJsonPost({ region: 'eu-west-1', credentials }, url, {}, body, at).authorization;

    expect(sign('{"Path":"/imchannel/prod/"}')).not.toBe(sign('{"Path":"/imchannel/prof/"}'));
  });
});
