'use strict';
// A deployed stage must not inherit the local stack's settings from the shell that packages
// it: serverless.yml reads LOG_FORMAT, INFOBIP_ALLOWED_HOSTS and CTLIVE_LAMBDA_ENDPOINT from
// the environment for every stage, and a terminal that ran `npm start` holds local values of
// them (text logs that CloudWatch cannot query, a loopback host that lets a request's baseUrl
// aim the API key at the function's own machine, a ctlive invoke endpoint on localhost).
// Packaging (and so deploying) any stage but the local ones stops here, naming each problem.

const LOCAL_STAGES = new Set(['local', 'ci', 'bench']);
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0|(?:\*\.)?[a-z0-9.-]*\.localhost)$/i;

/** The problems of one environment (the provider's or a function's), each naming its variable. */
function problemsOf(where, environment) {
  const problems = [];
  const env = environment ?? {};
  const hosts = String(env.INFOBIP_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean);
  const loopback = hosts.filter((host) => LOOPBACK_HOST.test(host));
  if (loopback.length > 0) {
    problems.push(
      `${where}: INFOBIP_ALLOWED_HOSTS names a local host (${loopback.join(', ')}); unset it in this shell or set the Infobip hosts`,
    );
  }
  if (String(env.LOG_FORMAT ?? '').toLowerCase() === 'text') {
    problems.push(`${where}: LOG_FORMAT is "text" (the local stack's); unset it in this shell, deployed functions log JSON`);
  }
  if (String(env.CTLIVE_LAMBDA_ENDPOINT ?? '') !== '') {
    problems.push(`${where}: CTLIVE_LAMBDA_ENDPOINT is set (the local stack's Lambda endpoint); unset it in this shell`);
  }
  return problems;
}

/** Every problem of a service's settings for `stage`; none for the local stages. */
function localValueProblems(stage, provider, functions) {
  if (LOCAL_STAGES.has(stage)) return [];
  return [
    ...problemsOf('provider.environment', provider?.environment),
    ...Object.entries(functions ?? {}).flatMap(([name, fn]) => problemsOf(`functions.${name}.environment`, fn?.environment)),
  ];
}

class RefuseLocalValues {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options ?? {};
    this.hooks = { 'before:package:initialize': () => this.check() };
  }

  check() {
    const { service } = this.serverless;
    const stage = this.options.stage ?? service.provider.stage;
    const problems = localValueProblems(stage, service.provider, service.functions);
    if (problems.length === 0) return;
    const unique = [...new Set(problems)];
    throw new this.serverless.classes.Error(
      `Stage "${stage}" would deploy local settings from this shell:\n  ${unique.join('\n  ')}`,
    );
  }
}

module.exports = RefuseLocalValues;
module.exports.localValueProblems = localValueProblems;
