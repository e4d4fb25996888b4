'use strict';
// How much each route and function may take, from the inventory (lib/functions.ts) and the
// stage parameters. Referenced from serverless.yml as ${file(./resources/capacity.js):<export>}:
//
// - routeSettings: API Gateway's throttle per route key, at the budget of the route's group
//   (THROTTLE_BUDGETS), so a flood on one route is answered 429 there and leaves every
//   other route its own limit; routeIds: the routes the stage must wait for, since
//   CloudFormation refuses a stage whose RouteSettings name a route that does not exist yet.
// - fetchUrl: the fetch functions' streaming Function URL, only in `stream` mode (`redirect`
//   answers a 302 through API Gateway and needs none, so it opens no door around the throttle).
// - fetchReservedConcurrency: what a flood of fetches may take of the account's concurrency
//   (a Function URL has no throttle of its own), and what it keeps for itself.
// - fetchTimeout.<function>: its kind's timeout (lib/media/fetchTimeout.ts).
//
// The inventory is TypeScript; tsx compiles it here as it does for the tools. The builders
// take it as an argument, so that the tests run them on the inventory they import.

/* global __filename */
/* eslint-disable @typescript-eslint/no-require-imports */
const tsx = require('tsx/cjs/api');
const naming = require('osls/lib/plugins/aws/lib/naming');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Stage parameter names of a budget's limits (serverless.yml `params:` holds the defaults). */
const budgetParams = (budget) => {
  const prefix = budget === 'default' ? 'throttle' : `throttle${budget.charAt(0).toUpperCase()}${budget.slice(1)}`;
  return { rate: `${prefix}RateLimit`, burst: `${prefix}BurstLimit` };
};

const FETCH_MODES = ['stream', 'redirect'];

function parameterError(message) {
  const error = new Error(message);
  error.stack = error.message; // the framework prints the stack: the message is all that helps
  return error;
}

async function param(resolveVariable, name) {
  return String((await resolveVariable(`param:${name}, ''`)) ?? '').trim();
}

/** A whole number of at least 1, or a refusal naming the parameter. */
async function positiveInteger(resolveVariable, name) {
  const raw = await param(resolveVariable, name);
  const value = Number(raw);
  if (raw === '' || !Number.isInteger(value) || value < 1) {
    throw parameterError(`Stage parameter "${name}" must be a whole number of at least 1, got "${raw}" (docs/deploying.md)`);
  }
  return value;
}

async function fetchMode(resolveVariable) {
  const mode = (await param(resolveVariable, 'mediaFetchMode')).toLowerCase() || 'stream';
  if (!FETCH_MODES.includes(mode)) {
    throw parameterError(`Stage parameter "mediaFetchMode" must be "stream" or "redirect", got "${mode}"`);
  }
  return mode;
}

/** Every budget's limits, from the stage parameters. */
async function budgetLimits(resolveVariable, budgets) {
  const limits = {};
  for (const budget of new Set(budgets)) {
    const names = budgetParams(budget);
    limits[budget] = {
      ThrottlingBurstLimit: await positiveInteger(resolveVariable, names.burst),
      ThrottlingRateLimit: await positiveInteger(resolveVariable, names.rate),
    };
  }
  return limits;
}

/** `{ 'POST /imchannel/onMessage': { ThrottlingBurstLimit, ThrottlingRateLimit }, … }` for every deployed route. */
async function buildRouteSettings({ functions, budgets }, resolveVariable) {
  const deployed = functions.filter((fn) => fn.group !== 'local');
  const unbudgeted = deployed.find((fn) => budgets[fn.group] === undefined);
  if (unbudgeted) throw new Error(`lib/functions.ts: no throttle budget for group "${unbudgeted.group}" (THROTTLE_BUDGETS)`);
  const limits = await budgetLimits(
    resolveVariable,
    deployed.map((fn) => budgets[fn.group]),
  );
  const settings = {};
  for (const fn of deployed) {
    for (const route of fn.routes) settings[`${route.method} ${route.path}`] = { ...limits[budgets[fn.group]] };
  }
  return settings;
}

const routeIdsOf = (settings) => Object.keys(settings).map((key) => naming.getHttpApiRouteLogicalId(key));

/** `stream`: each fetch function's Function URL, streaming; `redirect`: none. */
async function buildFetchUrl(resolveVariable) {
  return (await fetchMode(resolveVariable)) === 'stream' ? { invokeMode: 'RESPONSE_STREAM' } : false;
}

/** Each fetch function's timeout: its kind's in `stream` mode, the unstreamed one in `redirect` mode. */
async function buildFetchTimeouts({ functions, timeouts }, resolveVariable) {
  const stream = (await fetchMode(resolveVariable)) === 'stream';
  return Object.fromEntries(
    functions
      .filter((fn) => fn.group === 'mediaFetch')
      .map((fn) => [fn.name, stream ? timeouts.streaming[fn.kind] : timeouts.unstreamed]),
  );
}

let inventory;
/** lib/functions.ts and lib/media/fetchTimeout.ts, compiled once per packaging run. */
function loadInventory() {
  if (inventory === undefined) {
    const functions = tsx.require('../lib/functions.ts', __filename);
    const fetchTimeout = tsx.require('../lib/media/fetchTimeout.ts', __filename);
    inventory = {
      functions: functions.FUNCTIONS,
      budgets: functions.THROTTLE_BUDGETS,
      timeouts: {
        streaming: fetchTimeout.STREAMING_FETCH_TIMEOUT_SECONDS,
        unstreamed: fetchTimeout.FETCH_UNSTREAMED_SECONDS,
      },
    };
  }
  return inventory;
}

module.exports = {
  budgetParams,
  buildRouteSettings,
  buildFetchTimeouts,
  buildFetchUrl,
  routeIdsOf,
  routeSettings: ({ resolveVariable }) => buildRouteSettings(loadInventory(), resolveVariable),
  // The stage's own, for a route no budget names: the `default` budget's limits.
  defaultRouteSettings: async ({ resolveVariable }) => (await budgetLimits(resolveVariable, ['default'])).default,
  routeIds: async ({ resolveVariable }) => routeIdsOf(await buildRouteSettings(loadInventory(), resolveVariable)),
  fetchUrl: ({ resolveVariable }) => buildFetchUrl(resolveVariable),
  fetchReservedConcurrency: ({ resolveVariable }) => positiveInteger(resolveVariable, 'fetchReservedConcurrency'),
  fetchTimeout: ({ resolveVariable }) => buildFetchTimeouts(loadInventory(), resolveVariable),
  // On AWS the media sends point Infobip at the Function URLs only where they exist (resources/storage.js).
  streams: async ({ resolveVariable }) => (await fetchMode(resolveVariable)) === 'stream',
};
