'use strict';
// Required stage parameters: ${file(./resources/params.js):<name>} resolves ${param:<name>} and
// fails packaging with one line naming the parameter when a stage has none. dev and prod take
// them on the command line (--param="<name>=<value>"); local, ci and bench from `params:`
// (ci is what `npm run package` packages when no --stage is given).

const EXAMPLES = {
  ctliveTarget: 'lambda:ctlive-inbound',
  publicUrl: 'https://host/tenant/imchannel',
  upstashRedisRestUrl: 'https://<db>.upstash.io',
  infobipBaseUrl: 'https://<id>.api.infobip.com',
};

function required(name) {
  return async ({ resolveVariable }) => {
    const stage = await resolveVariable('sls:stage');
    const value = await resolveVariable(`param:${name}, null`);
    if (value === null || value === undefined) {
      const error = new Error(
        `Missing stage parameter "${name}" for stage "${stage}": pass --param="${name}=${EXAMPLES[name]}" (docs/deploying.md)`,
      );
      error.stack = error.message; // the framework prints the stack: the message is all that helps
      throw error;
    }
    return value;
  };
}

module.exports = Object.fromEntries(Object.keys(EXAMPLES).map((name) => [name, required(name)]));
