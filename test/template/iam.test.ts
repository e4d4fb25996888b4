import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/**
 * resources/iam.js on its own: the cases one `serverless package` run cannot cover (other
 * ctlive targets, no KMS key, no SSM path, a bad parameter), without packaging each time.
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type Source = (input: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<Statement[]>;
const iam = createRequire(__filename)(resolve(__dirname, '..', '..', 'resources', 'iam.js')) as Record<
  'send' | 'media' | 'webhook' | 'mediaSend' | 'upload',
  Source
>;

/** Resolves `param:<name>, ''` the way the framework does, from a plain object. */
function resolver(params: Record<string, string>) {
  return {
    resolveVariable: async (address: string): Promise<unknown> => {
      const match = /^param:([A-Za-z]+), ''$/.exec(address);
      if (!match?.[1]) throw new Error(`unexpected variable ${address}`);
      return params[match[1]] ?? '';
    },
  };
}

const base = { secretsSsmPath: '/imchannel/prod/' };
const invokeOf = (statements: Statement[]): Statement[] => statements.filter((s) => JSON.stringify(s.Action).includes('lambda:'));

describe('resources/iam.js', () => {
  it('keeps a ctlive target given as an ARN as it is', async () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:ctlive-inbound:live';
    const statements = await iam.webhook(resolver({ ...base, ctliveTarget: `lambda:${arn}` }));
    expect(invokeOf(statements)).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arn }]);
  });

  it('invokes nothing for an http(s) ctlive target', async () => {
    const statements = await iam.webhook(resolver({ ...base, ctliveTarget: 'https://ctlive.example.com/in' }));
    expect(invokeOf(statements)).toEqual([]);
    expect(statements).toHaveLength(1); // the SSM read
  });

  it('refuses a ctlive target it cannot turn into one ARN, naming the parameter', async () => {
    await expect(iam.webhook(resolver({ ...base, ctliveTarget: 'lambda:*' }))).rejects.toThrow('"ctliveTarget"');
    await expect(iam.webhook(resolver({ ...base, ctliveTarget: 'ctlive-inbound' }))).rejects.toThrow('"ctliveTarget"');
  });

  it('grants no kms permission without a customer managed key (aws/ssm needs none)', async () => {
    for (const source of [iam.send, iam.media, iam.webhook]) {
      const statements = await source(resolver({ ...base, ctliveTarget: 'lambda:ctlive-inbound' }));
      expect(JSON.stringify(statements)).not.toContain('kms:');
    }
  });

  it('refuses a KMS key parameter that is not a key ARN', async () => {
    await expect(iam.send(resolver({ ...base, secretsKmsKeyArn: 'alias/aws/ssm' }))).rejects.toThrow('"secretsKmsKeyArn"');
  });

  it('grants no SSM read where the secrets come from the environment (empty path)', async () => {
    expect(await iam.send(resolver({ secretsSsmPath: '' }))).toEqual([]);
  });

  it('refuses an SSM path without its leading and trailing slash', async () => {
    await expect(iam.media(resolver({ secretsSsmPath: 'imchannel/prod' }))).rejects.toThrow('"secretsSsmPath"');
    await expect(iam.media(resolver({ secretsSsmPath: '/imchannel/prod' }))).rejects.toThrow('"secretsSsmPath"');
  });

  it('grants S3 on the media objects to the functions that touch them, even where SSM is not read', async () => {
    const objects = { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/media/*' };
    const s3 = async (source: Source) =>
      (await source(resolver({ secretsSsmPath: '' }))).filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(await s3(iam.upload)).toEqual([{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: objects }]);
    expect(await s3(iam.mediaSend)).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: objects },
      // Without it S3 answers a HEAD of an object not uploaded yet with 403, not 404.
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: { 'Fn::GetAtt': ['MediaBucket', 'Arn'] },
      },
    ]);
    expect(await s3(iam.media)).toEqual([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: objects }]);
    expect(await s3(iam.send)).toEqual([]);
    expect(await s3(iam.webhook)).toEqual([]);
  });
});
