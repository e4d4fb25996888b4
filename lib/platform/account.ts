import { hostAllowed, isLoopbackHost } from './allowedHosts';
import { BadRequestError } from './errors';

/**
 * Infobip's message ids are unique only within one Infobip account, and one deployment may
 * serve several (a send's `infobip.baseUrl` with that account's `apiKey`). So every Redis key
 * an Infobip id goes into names its account (lib/platform/redis.ts, `accountKeys`), and a
 * result of one account can neither collide with nor settle another's.
 *
 * An account is its API's host, lower case (`xxxx.api.infobip.com`; a port only on this
 * machine, as the local stack's sandbox has). The deployment's own account, INFOBIP_BASE_URL's,
 * is the default and is written `undefined`: its keys keep the names they had before accounts
 * were part of them, so nothing in Redis changes meaning at an upgrade.
 */

/** The query parameter that names a webhook request's account (docs/api.md, "Webhook auth"). */
export const ACCOUNT_PARAMETER = 'account';

/** The account a base URL (an origin) belongs to. */
export const accountOf = (baseUrl: string): string => new URL(baseUrl).host.toLowerCase();

/** The account of a deployment whose INFOBIP_BASE_URL is `defaultBaseUrl`: none without one. */
export const defaultAccountOf = (defaultBaseUrl: string | undefined): string | undefined =>
  defaultBaseUrl === undefined || !URL.canParse(defaultBaseUrl) ? undefined : accountOf(defaultBaseUrl);

/** A send's account as its keys name it: undefined for the deployment's own. */
export function accountScope(baseUrl: string, defaultBaseUrl: string | undefined): string | undefined {
  const account = accountOf(baseUrl);
  return account === defaultAccountOf(defaultBaseUrl) ? undefined : account;
}

/** What a webhook needs to read its URL's `account`. */
export interface Accounts {
  /** INFOBIP_BASE_URL's account; undefined when the deployment has none. */
  defaultAccount?: string;
  /** INFOBIP_ALLOWED_HOSTS: no other host is an account of this deployment. */
  allowedHosts: readonly string[];
}

/** A host, lower case, with digits of a port at most: the only shape an account has in a URL. */
const ACCOUNT_SHAPE = /^[a-z0-9.-]{1,253}(?::\d{1,5})?$/;

/**
 * The account a webhook request names in its URL (`?account=`): undefined (the default
 * account) when it names none or the deployment's own. Anything else must be a host on
 * INFOBIP_ALLOWED_HOSTS, written as IMChannel writes it, so that one account has one name
 * in Redis and a request cannot make up key names: else 400.
 */
export function requestAccount(value: string | undefined, { defaultAccount, allowedHosts }: Accounts): string | undefined {
  if (value === undefined || value === defaultAccount) return undefined;
  const url = ACCOUNT_SHAPE.test(value) && URL.canParse(`https://${value}`) ? new URL(`https://${value}`) : undefined;
  const valid =
    url !== undefined &&
    url.host === value &&
    hostAllowed(url.hostname, allowedHosts) &&
    (url.port === '' || isLoopbackHost(url.hostname));
  if (!valid) {
    throw new BadRequestError(
      'INVALID_ACCOUNT',
      `The URL's ${ACCOUNT_PARAMETER} must be an Infobip account's host in lower case, on INFOBIP_ALLOWED_HOSTS (like xxxx.api.infobip.com)`,
    );
  }
  return value;
}
