import { createHash, createHmac } from 'node:crypto';

/*
 * AWS Signature Version 4 for a request with headers (not presigned URLs, not S3's chunked or
 * unsigned payloads): what the webhooks need to call SQS, Secrets Manager, DynamoDB and S3's
 * PutObject without the SDK.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * A pure function of its input and the clock it is given: no I/O, no retries. Checked against the
 * SDK's own signer (@smithy/signature-v4) in tests/intake/signed-requests.test.ts.
 */

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A role's temporary credentials (Lambda's) come with one: sent and signed as X-Amz-Security-Token. */
  readonly sessionToken?: string | undefined;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  /** Header names in any case; `host` is added from the URL. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

export interface SigningScope {
  readonly credentials: SigningCredentials;
  readonly region: string;
  /** The signing name: `sqs`, `secretsmanager`. */
  readonly service: string;
  readonly date: Date;
  /**
   * S3 signs the path as sent, each key segment encoded once; every other service normalizes the
   * path and encodes it again (the SDK's `uriEscapePath`). @default true
   */
  readonly uriEscapePath?: boolean;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Hex SHA-256 of a text (as UTF-8) or of bytes. */
export const sha256Hex = (data: string | Uint8Array): string =>
  (typeof data === 'string'
    ? createHash('sha256').update(data, 'utf8')
    : createHash('sha256').update(data)
  ).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding: what `encodeURIComponent` leaves of `!'()*` is encoded too. */
export const escapeUri = (value: string): string =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** The path with `.`/`..` and empty segments resolved, each segment encoded (services other than S3). */
const canonicalPath = (pathname: string): string => {
  const segments: string[] = [];
  for (const segment of pathname.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && pathname.endsWith('/') ? '/' : '';
  return escapeUri(`/${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
};

const canonicalQuery = (url: URL): string =>
  [...url.searchParams]
    .map(([key, value]) => [escapeUri(key), escapeUri(value)] as const)
    .sort(([a, aValue], [b, bValue]) => (a === b ? (aValue < bValue ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');

/** `20261201T065249Z` and `20261201`. */
export const amzDates = (date: Date): { long: string; short: string } => {
  const long = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return { long, short: long.slice(0, 8) };
};

/** Derived once per day, region and service: four HMACs a cold start need not repeat. */
let cachedKey: { id: string; key: Buffer } | undefined;

const signingKey = (secretAccessKey: string, shortDate: string, region: string, service: string): Buffer => {
  const id = `${secretAccessKey}\n${shortDate}/${region}/${service}`;
  if (cachedKey?.id !== id) {
    const dateKey = hmac(`AWS4${secretAccessKey}`, shortDate);
    cachedKey = { id, key: hmac(hmac(hmac(dateKey, region), service), 'aws4_request') };
  }
  return cachedKey.key;
};

/**
 * The headers to send: the request's own (names lower-cased) plus `host`, `x-amz-date`,
 * `x-amz-security-token` when there is a session token, and `authorization`. Every header given is
 * signed, so give only what is sent as is (no `user-agent`, which proxies may rewrite).
 */
/**
 * The headers a request goes with before its `Authorization`: the caller's, names lower-cased,
 * with `host`, `x-amz-date` and a session's token; and the request's dates. What SigV4 signs, and
 * what the local hub's placeholder (shared/local/placeholder-signing.ts) sends unsigned.
 */
export const headersToSign = (
  request: RequestToSign,
  scope: SigningScope,
): { headers: Record<string, string>; long: string; short: string } => {
  const { long, short } = amzDates(scope.date);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = request.url.host;
  headers['x-amz-date'] = long;
  if (scope.credentials.sessionToken) headers['x-amz-security-token'] = scope.credentials.sessionToken;
  return { headers, long, short };
};

export const signRequest = (request: RequestToSign, scope: SigningScope): Record<string, string> => {
  const { headers, long, short } = headersToSign(request, scope);

  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    scope.uriEscapePath === false ? request.url.pathname : canonicalPath(request.url.pathname),
    canonicalQuery(request.url),
    ...names.map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    // S3 sends the payload's hash as a header of its own; the signature then covers that value.
    headers['x-amz-content-sha256'] ?? sha256Hex(request.body),
  ].join('\n');
  const credentialScope = `${short}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, long, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const key = signingKey(scope.credentials.secretAccessKey, short, scope.region, scope.service);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization =
    `${ALGORITHM} Credential=${scope.credentials.accessKeyId}/${credentialScope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
};
