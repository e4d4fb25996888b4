import { AwsV4Signer } from 'aws4fetch';
import { deadline } from './deadline';

/**
 * The one AWS call every function may make at cold start, SSM GetParameters, signed with
 * Signature Version 4 by `aws4fetch`, the maintained signer the bucket's requests use
 * (lib/media/objects.ts), so a function carries one signer, never a hand-written one. The
 * SDK's SSM client is some 300 KiB of bundle and tens of milliseconds of cold start for this
 * single request; the SDK's own signer (@smithy/signature-v4 with @smithy/hash-node) is
 * 14 KB where aws4fetch is 6 (docs/performance-signer.md). The tests hold every signature
 * to the SDK signer's.
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

/** SigV4's timestamp, `YYYYMMDDTHHMMSSZ`. */
const amzDate = (at: Date) => at.toISOString().replace(/[:-]|\.\d{3}/g, '');

/**
 * The headers to send with a Signature Version 4 signed POST of `body` to the endpoint's
 * root path, the shape of every AWS JSON-protocol call: `headers`, `host`, `x-amz-date`,
 * `x-amz-security-token` with a session token, and `authorization`. No
 * `x-amz-content-sha256`: that header is S3's, JSON APIs sign without it.
 */
export async function signJsonPost(
  settings: Pick<SsmSettings, 'region' | 'credentials'>,
  url: URL,
  headers: Record<string, string>,
  body: string,
  at: Date,
  service = SERVICE,
): Promise<Record<string, string>> {
  // allHeaders: Content-Type is signed too, as the SDK's clients sign it; aws4fetch leaves
  // it out by default. Only a service named `s3` gets the S3 content hash header.
  const signed = await new AwsV4Signer({
    method: 'POST',
    url: url.toString(),
    headers,
    body,
    accessKeyId: settings.credentials.accessKeyId,
    secretAccessKey: settings.credentials.secretAccessKey,
    sessionToken: settings.credentials.sessionToken,
    service,
    region: settings.region,
    datetime: amzDate(at),
    allHeaders: true,
  }).sign();
  return { ...Object.fromEntries(signed.headers), host: url.host };
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
  const headers = await signJsonPost(settings, url, { 'content-type': CONTENT_TYPE, 'x-amz-target': TARGET }, body, new Date());
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
