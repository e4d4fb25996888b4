import { createHash, createHmac } from 'node:crypto';
import { deadline } from './deadline';

/**
 * The one AWS call every function may make at cold start, SSM GetParameters, signed
 * with Signature Version 4 by hand. The SDK's SSM client is some 300 KiB of bundle and
 * tens of milliseconds of cold start for this single request; the signing is below and is
 * checked against the SDK's own signer in the tests.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Lambda's role credentials are temporary and always carry one. */
  sessionToken?: string;
}

export interface SsmSettings {
  region: string;
  credentials: AwsCredentials;
  /** Default: `https://ssm.<region>.amazonaws.com` (tests point it at a local server). */
  endpoint?: string;
  timeoutMs?: number;
}

export interface SsmParameter {
  name: string;
  value: string;
}

const SERVICE = 'ssm';
const TARGET = 'AmazonSSM.GetParameters';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const DEFAULT_TIMEOUT_MS = 5_000;
/** SSM's own limit for one GetParameters call. */
const MAX_NAMES = 10;

/** An SSM error, named as AWS names it (AccessDeniedException, ThrottlingException…). */
export class SsmError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** `20260101T120000Z` */
export const amzDate = (at: Date) => at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * Signature Version 4 headers for a POST of `body` to the endpoint's root path, the
 * shape of every AWS JSON-protocol call. Returns all headers to send, `authorization`
 * included.
 */
export function signJsonPost(
  settings: Pick<SsmSettings, 'region' | 'credentials'>,
  url: URL,
  headers: Record<string, string>,
  body: string,
  at: Date,
  service = SERVICE,
): Record<string, string> {
  const { credentials, region } = settings;
  const stamp = amzDate(at);
  const day = stamp.slice(0, 8);
  const all: Record<string, string> = { ...headers, host: url.host, 'x-amz-date': stamp };
  if (credentials.sessionToken !== undefined) all['x-amz-security-token'] = credentials.sessionToken;

  const names = Object.keys(all).map((name) => name.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([name, value]) => [name.toLowerCase(), value]));
  const canonicalHeaders = names.map((name) => `${name}:${String(lower[name]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = ['POST', url.pathname || '/', '', canonicalHeaders, signedHeaders, sha256Hex(body)].join('\n');

  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');

  return {
    ...all,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

interface GetParametersResponse {
  Parameters?: { Name?: unknown; Value?: unknown }[];
  InvalidParameters?: unknown[];
}

export interface ParametersRead {
  found: SsmParameter[];
  /** Names SSM does not know (or this role may not see): `InvalidParameters`. */
  missing: string[];
}

/** The named parameters, SecureStrings decrypted, in one GetParameters call (at most 10 names). */
export async function getParameters(
  settings: SsmSettings,
  names: readonly string[],
  fetchImpl: typeof fetch = fetch,
): Promise<ParametersRead> {
  if (names.length === 0) return { found: [], missing: [] };
  if (names.length > MAX_NAMES) throw new SsmError('TooManyNames', `at most ${MAX_NAMES} names per call`);
  const url = new URL(settings.endpoint ?? `https://ssm.${settings.region}.amazonaws.com/`);
  const body = JSON.stringify({ Names: names, WithDecryption: true });
  const headers = signJsonPost(settings, url, { 'content-type': CONTENT_TYPE, 'x-amz-target': TARGET }, body, new Date());
  const timeout = deadline(settings.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let text: string;
  let res: Response;
  try {
    res = await fetchImpl(url, { method: 'POST', headers, body, signal: timeout.signal });
    text = await res.text();
  } finally {
    timeout.clear();
  }
  const parsed = parseJson(text);
  if (!res.ok) throw errorOf(res.status, parsed);
  const { Parameters, InvalidParameters } = (parsed ?? {}) as GetParametersResponse;
  const found: SsmParameter[] = [];
  for (const parameter of Parameters ?? []) {
    if (typeof parameter.Name === 'string' && typeof parameter.Value === 'string') {
      found.push({ name: parameter.Name, value: parameter.Value });
    }
  }
  const missing = (InvalidParameters ?? []).filter((name): name is string => typeof name === 'string');
  return { found, missing };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** AWS JSON errors: `{"__type": "com.amazonaws…#AccessDeniedException", "message": "…"}`. */
function errorOf(status: number, body: unknown): SsmError {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const type = typeof fields.__type === 'string' ? fields.__type.split('#').pop() : undefined;
  const message = fields.message ?? fields.Message;
  return new SsmError(type || `HTTP${status}`, typeof message === 'string' ? message : `SSM answered ${status}`);
}
