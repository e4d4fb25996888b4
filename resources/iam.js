'use strict';
// IAM statements of each function's own role (serverless-iam-roles-per-function), built from
// the stage parameters. Referenced from serverless.yml as ${file(./resources/iam.js):<export>}.
// Every ARN is built with CloudFormation pseudo parameters (AWS::Partition, AWS::Region,
// AWS::AccountId), never ${aws:accountId}: packaging then needs no AWS credentials.

/** The secrets each kind of function reads at cold start: one ssm:GetParameters call. */
const SECRETS = {
  send: ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY', 'INFOBIP_REPORT_TOKEN'],
  catalogue: ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY'],
  media: ['UPSTASH_REDIS_REST_TOKEN'],
  upload: ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN'],
  webhook: [
    'UPSTASH_REDIS_REST_TOKEN',
    'CTLIVE_TARGET_TOKEN',
    'INFOBIP_WEBHOOK_PASSWORD',
    'INFOBIP_WEBHOOK_HEADER',
    'INFOBIP_REPORT_TOKEN',
    'INFOBIP_REPORT_TOKEN_PREVIOUS',
    'INBOUND_MEDIA_LINK_SECRET',
  ],
  copier: ['UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY', 'CTLIVE_TARGET_TOKEN', 'INBOUND_MEDIA_LINK_SECRET'],
  inboundMedia: ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY', 'INBOUND_MEDIA_LINK_SECRET'],
};

class ParameterError extends Error {}

async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}, ''`);
  return typeof value === 'string' ? value.trim() : String(value ?? '');
}

/** SECRETS_SSM_PATH: empty on stages whose secrets come from the environment (local stack). */
async function secretsPath(resolveVariable) {
  const path = await param(resolveVariable, 'secretsSsmPath');
  if (path !== '' && !/^\/([A-Za-z0-9_.-]+\/)+$/.test(path)) {
    throw new ParameterError(
      `Stage parameter "secretsSsmPath" must be an SSM path like "/imchannel/prod/" (leading and trailing "/"), got "${path}"`,
    );
  }
  return path;
}

function parameterArn(path, name) {
  // An SSM parameter ARN drops the name's leading "/": ...:parameter/imchannel/prod/NAME
  return { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${path}${name}` };
}

async function secretStatements(kind, resolveVariable) {
  const path = await secretsPath(resolveVariable);
  if (path === '') return [];
  const statements = [
    {
      Effect: 'Allow',
      Action: ['ssm:GetParameters', 'ssm:GetParameter'],
      Resource: SECRETS[kind].map((name) => parameterArn(path, name)),
    },
  ];
  // SecureStrings under the AWS managed key aws/ssm need no kms permission in the role;
  // a customer managed key does, and only through SSM.
  const keyArn = await param(resolveVariable, 'secretsKmsKeyArn');
  if (keyArn !== '') {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(keyArn)) {
      throw new ParameterError(
        `Stage parameter "secretsKmsKeyArn" must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "${keyArn}"`,
      );
    }
    statements.push({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } },
    });
  }
  return statements;
}

/**
 * lambda:InvokeFunction on the ctlive target only, for the webhooks only. CTLIVE_TARGET is
 * "lambda:<function name or ARN>" or an http(s) URL (then nothing is invoked).
 */
async function invokeStatements(resolveVariable) {
  const target = await param(resolveVariable, 'ctliveTarget');
  if (target === '' || /^https?:\/\//i.test(target)) return [];
  if (!target.startsWith('lambda:')) {
    throw new ParameterError(
      `Stage parameter "ctliveTarget" must be "lambda:<function name or ARN>" or an http(s):// URL, got "${target}"`,
    );
  }
  const fn = target.slice('lambda:'.length).trim();
  let resource;
  if (/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.test(fn)) {
    resource = fn;
  } else if (/^[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/.test(fn)) {
    resource = { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${fn}` };
  } else {
    throw new ParameterError(
      `Stage parameter "ctliveTarget" must name a Lambda function or its ARN after "lambda:", got "${target}"`,
    );
  }
  return [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: resource }];
}

/** The media bucket's objects (resources/storage.js): every key IMChannel writes is under media/. */
const MEDIA_OBJECTS = { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/media/*' };

/**
 * What each function may do in the media bucket, and nothing else: the upload
 * route signs PUTs (a presigned URL carries the signer's rights, so its role needs
 * s3:PutObject), a media send HEADs an upload and deletes a refused one (S3 authorises
 * HeadObject by s3:GetObject: there is no s3:HeadObject action), a fetch reads it.
 */
const S3_ACTIONS = {
  upload: ['s3:PutObject'],
  mediaSend: ['s3:GetObject', 's3:DeleteObject'],
  media: ['s3:GetObject'],
};
/**
 * S3 answers a HEAD of a key that does not exist with 403, not 404, unless the caller may
 * list the bucket: a media send must tell "not uploaded yet" (409 UPLOAD_MISSING) from S3
 * failing (503), so its role may list the bucket. Not narrowed by an `s3:prefix`
 * condition: a HEAD carries no prefix, so S3 would not count a conditional grant for it.
 */
const LIST_MEDIA = {
  Effect: 'Allow',
  Action: ['s3:ListBucket'],
  Resource: { 'Fn::GetAtt': ['MediaBucket', 'Arn'] },
};
const objectStatements = (kind) => [
  { Effect: 'Allow', Action: S3_ACTIONS[kind], Resource: MEDIA_OBJECTS },
  ...(kind === 'mediaSend' ? [LIST_MEDIA] : []),
];

/**
 * Customers' files (lib/inboundMedia): the copies under inbound/, written through a partial
 * object under inbound-partial/ and copied S3-side (GetObject on the source, PutObject on the
 * target), the partial then deleted. The copier and the route that copies on demand do the
 * same, and may list the bucket so that a HEAD of a file not copied yet is a 404, not a 403.
 */
const INBOUND_OBJECTS = [
  { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/inbound/*' },
  { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MediaBucket}/inbound-partial/*' },
];
const inboundStatements = () => [
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: INBOUND_OBJECTS },
  LIST_MEDIA,
];
/** onMessage hands each file to the copier: an asynchronous invoke of that one function. */
const INVOKE_COPIER = {
  Effect: 'Allow',
  Action: 'lambda:InvokeFunction',
  Resource: { 'Fn::GetAtt': ['CopyInboundMediaLambdaFunction', 'Arn'] },
};

module.exports = {
  SECRETS,
  S3_ACTIONS,
  send: ({ resolveVariable }) => secretStatements('send', resolveVariable),
  catalogue: ({ resolveVariable }) => secretStatements('catalogue', resolveVariable),
  mediaSend: async ({ resolveVariable }) => [
    ...(await secretStatements('send', resolveVariable)),
    ...objectStatements('mediaSend'),
  ],
  media: async ({ resolveVariable }) => [...(await secretStatements('media', resolveVariable)), ...objectStatements('media')],
  upload: async ({ resolveVariable }) => [...(await secretStatements('upload', resolveVariable)), ...objectStatements('upload')],
  // methodNotAllowed: its role holds only its own log group, which the plugin adds.
  none: () => [],
  webhook: async ({ resolveVariable }) => [
    ...(await secretStatements('webhook', resolveVariable)),
    ...(await invokeStatements(resolveVariable)),
  ],
  onMessage: async ({ resolveVariable }) => [
    ...(await secretStatements('webhook', resolveVariable)),
    ...(await invokeStatements(resolveVariable)),
    INVOKE_COPIER,
  ],
  copier: async ({ resolveVariable }) => [
    ...(await secretStatements('copier', resolveVariable)),
    ...(await invokeStatements(resolveVariable)),
    ...inboundStatements(),
    // What still fails after Lambda's retries goes to this queue (serverless.yml, destinations).
    { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['InboundMediaCopyFailures', 'Arn'] } },
  ],
  inboundMedia: async ({ resolveVariable }) => [
    ...(await secretStatements('inboundMedia', resolveVariable)),
    ...inboundStatements(),
  ],
};
