'use strict';
// The media bucket of large files and the settings that point the functions at
// it, by stage. Referenced from serverless.yml as ${file(./resources/storage.js):<export>}.
// On the local stage everything comes from the environment the local stack sets (its s3rver
// and its streaming route, tools/stack.ts); on AWS the bucket is this stack's own and the
// streaming URLs are the fetch functions' Function URLs. A local credential never reaches
// an AWS stage's configuration.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const capacity = require('./capacity');

/** The prefix every object key has (lib/media/objects.ts, objectKeyOf). */
const PREFIX = 'media/';
/** Customers' files and their copies in progress (lib/inboundMedia/reference.ts). */
const INBOUND_PREFIX = 'inbound/';
const PARTIAL_PREFIX = 'inbound-partial/';
/** Objects outlive their Redis key (MEDIA_TTL_SECONDS, a day by default) by a day at most. */
const EXPIRY_DAYS = 2;

const isLocal = async (resolveVariable) => (await resolveVariable('sls:stage')) === 'local';
const fromEnv = (resolveVariable, name) => resolveVariable(`env:${name}, ''`);

/** On AWS, a value of this stack; locally, the environment's. */
const byStage =
  (name, onAws) =>
  async ({ resolveVariable }) =>
    (await isLocal(resolveVariable)) ? fromEnv(resolveVariable, name) : onAws;

/** INBOUND_MEDIA_RETENTION_DAYS, the stage parameter inboundMediaRetentionDays: whole days, at least one. */
async function retentionDays(resolveVariable) {
  const raw = String(await resolveVariable("param:inboundMediaRetentionDays, '30'")).trim();
  if (!/^[1-9]\d{0,4}$/.test(raw)) {
    throw new Error(`Stage parameter "inboundMediaRetentionDays" must be a whole number of days (1 or more), got "${raw}"`);
  }
  return Number(raw);
}

const KINDS = ['Image', 'Document', 'Audio', 'Video', 'Sticker'];

module.exports = {
  PREFIX,
  EXPIRY_DAYS,
  bucket: byStage('MEDIA_BUCKET', { Ref: 'MediaBucket' }),
  // Lambda sets AWS_REGION, the bucket's region: nothing to say on AWS.
  bucketRegion: byStage('MEDIA_BUCKET_REGION', ''),
  endpoint: byStage('MEDIA_S3_ENDPOINT', ''),
  localAccessKeyId: byStage('MEDIA_S3_ACCESS_KEY_ID', ''),
  localSecretAccessKey: byStage('MEDIA_S3_SECRET_ACCESS_KEY', ''),
  // Each media send points Infobip at its own kind's fetch function's Function URL, which
  // exists in `stream` mode only (resources/capacity.js); `redirect` needs none.
  ...Object.fromEntries(
    KINDS.map((kind) => [
      `streamUrl${kind}`,
      async (options) => {
        const url = (await capacity.streams(options))
          ? { 'Fn::GetAtt': [`OnGet${kind}MessageLambdaFunctionUrl`, 'FunctionUrl'] }
          : '';
        return byStage('MEDIA_STREAM_URL', url)(options);
      },
    ]),
  ),
  /** The bucket: private, encrypted, TLS only, objects gone after EXPIRY_DAYS. */
  resources: async ({ resolveVariable }) => ({
    MediaBucket: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'ExpireMedia', Status: 'Enabled', Prefix: PREFIX, ExpirationInDays: EXPIRY_DAYS },
            // Customers' files, kept as long as the deployment says (lib/inboundMedia).
            {
              Id: 'ExpireInboundMedia',
              Status: 'Enabled',
              Prefix: INBOUND_PREFIX,
              ExpirationInDays: await retentionDays(resolveVariable),
            },
            // A copy cut off before it was whole leaves its partial object; a day is plenty.
            { Id: 'ExpirePartialInboundMedia', Status: 'Enabled', Prefix: PARTIAL_PREFIX, ExpirationInDays: 1 },
            // An upload that never completed leaves no parts behind either.
            { Id: 'AbortIncompleteUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          ],
        },
      },
    },
    // What copyInboundMedia could not do after Lambda's retries: kept two weeks for a look.
    InboundMediaCopyFailures: {
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
    },
    MediaBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'MediaBucket' },
        PolicyDocument: {
          Statement: [
            {
              Sid: 'TlsOnly',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [{ 'Fn::GetAtt': ['MediaBucket', 'Arn'] }, { 'Fn::Sub': '${MediaBucket.Arn}/*' }],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
  }),
};
