'use strict';
// CloudFormation parameters of type AWS::SSM::Parameter::Name, one per SSM parameter the
// stage cannot run without: CloudFormation checks that each one exists before it changes
// anything, so a missing secret fails the deploy with its name rather than a function that
// starts and fails later. Only names: no value is read into the template.

async function param(resolveVariable, name) {
  return String((await resolveVariable(`param:${name}, ''`)) ?? '').trim();
}

module.exports = async ({ resolveVariable }) => {
  const path = await param(resolveVariable, 'secretsSsmPath');
  if (path === '') return {}; // secrets come from the environment (local stack)
  // INFOBIP_REPORT_TOKEN: every send's notifyUrl carries it (docs/api.md, "Webhook auth").
  const names = ['CTLIVE_API_TOKEN', 'UPSTASH_REDIS_REST_TOKEN', 'INFOBIP_API_KEY', 'INFOBIP_REPORT_TOKEN'];
  const target = await param(resolveVariable, 'ctliveTarget');
  if (/^https?:\/\//i.test(target)) names.push('CTLIVE_TARGET_TOKEN');
  if ((await param(resolveVariable, 'infobipWebhookUsername')) !== '') names.push('INFOBIP_WEBHOOK_PASSWORD');
  const parameters = {};
  for (const name of names) {
    const id = `SecretParameter${name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, c) => c.toUpperCase())}`;
    parameters[id] = {
      Type: 'AWS::SSM::Parameter::Name',
      Default: `${path}${name}`,
      Description: `SecureString ${name}, read by the functions at cold start; must exist before a deploy`,
    };
  }
  return parameters;
};
