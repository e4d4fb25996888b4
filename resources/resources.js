'use strict';
// The stack's own resources: CloudWatch's (resources/cloudwatch.js) and the media bucket
// of large files (resources/storage.js), merged into serverless.yml's `resources.Resources`.
// The framework loads these files as CommonJS, so they are required, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cloudwatch = require('./cloudwatch');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storage = require('./storage');

module.exports = async (options) => ({ ...(await cloudwatch(options)), ...(await storage.resources(options)) });
