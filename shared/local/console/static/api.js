// The console's one way to talk to the hub: the helpdesk API (/v1) and the local-only endpoints
// (/_local/console/...), with the hub's development token (the page's meta tag) as a bearer header.
// Every part of the page calls through here; the live stream (live.js) takes the same header.

const token = document.querySelector('meta[name="switchboard-api-token"]')?.getAttribute('content') ?? '';

/** The bearer header every console request carries. */
export function authorization() {
  return { authorization: `Bearer ${token}` };
}

/** An RFC 9457 problem document: a JSON object with a string `title`. */
function isProblem(body) {
  return typeof body === 'object' && body !== null && typeof body.title === 'string';
}

/**
 * API Gateway's own answer (`{"message": "Service Unavailable"}`): when it has no route, gives up on
 * the function after 30 s (503), refuses a body too large (413) or throttles (429). The local hub
 * answers as API Gateway does, so the console words it here rather than the hub changing it.
 */
function isGatewayAnswer(body) {
  return typeof body === 'object' && body !== null && typeof body.message === 'string';
}

/** The first of a body's field errors (`errors: [{ field, message }]`), and how many more. */
function fieldWords(body) {
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const first = errors[0];
  if (typeof first?.field !== 'string') return '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `: ${first.field}: ${first.message ?? 'not valid'}${more}`;
}

/** Seconds until a `Retry-After` (delta-seconds or an HTTP date) says to try again, or undefined. */
function secondsOf(retryAfter, now = Date.now()) {
  if (!retryAfter) return undefined;
  if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim());
  const at = Date.parse(retryAfter);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * A non-2xx answer. The message is the problem's title (with its detail, when it has one), API
 * Gateway's own message with the status (`Service Unavailable (HTTP 503)`), or `HTTP <status>` when
 * the body is neither; then the first field error, when the body lists them, and when to try again,
 * when the answer says (`Retry-After`). `body` is the parsed JSON body, if any (a problem's `errors`,
 * the replay endpoint's `webhookStatus`); `retryAfterSeconds` the wait, if any.
 */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const retryAfterSeconds = secondsOf(retryAfter);
    const head = isProblem(body)
      ? `${body.title}${typeof body.detail === 'string' && body.detail ? ` (${body.detail})` : ''}`
      : isGatewayAnswer(body)
        ? `${body.message} (HTTP ${status})`
        : `HTTP ${status}`;
    const retry = retryAfterSeconds === undefined ? '' : `; try again in ${retryAfterSeconds} s`;
    super(`${head}${fieldWords(body)}${retry}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The JSON body of an answer, or undefined when it has none or is not JSON. */
async function jsonOf(response) {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return undefined;
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** No answer at all (the hub stopped or restarts, the connection dropped): fetch itself failed. */
class NoAnswer extends Error {
  constructor(cause) {
    super(cause?.message ?? 'no answer', { cause });
    this.name = 'NoAnswer';
  }
}

/**
 * A JSON call to the hub: the answer's parsed body, an ApiError for a non-2xx answer, or NoAnswer.
 * GETs are polls: the hub leaves them out of its request log.
 */
export async function call(path, { method = 'GET', body, headers = {} } = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      ...authorization(),
      ...(method === 'GET' ? { 'x-switchboard-console': 'poll' } : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((failure) => {
    throw new NoAnswer(failure);
  });
  const data = await jsonOf(response);
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get('retry-after'));
  return data;
}

/**
 * Whether a failed call says the hub cannot answer for now, rather than that it refused: a 503 (the
 * hub still loading its functions says so, with Retry-After) or no answer at all. A poll tries again
 * soon and the page says it waits, instead of showing an error.
 */
export function hubNotAnswering(error) {
  return error instanceof NoAnswer || error?.status === 503;
}

/** What `readUnlessGone` gives for a conversation or person that no longer exists (erased). */
export const GONE = Symbol('gone');

/**
 * A read of the open conversation (`conversation`), its newest messages (`timeline`; with `cursor`, a
 * page's `previousCursor`, the older page before it) or its person (`contact`) by id, through the
 * hub's `/_local/console/read/{kind}/{id}[/{cursor}]`, which answers 200 with the API's
 * `{ status, body }`: an erasure makes these 404, and a browser prints every non-2xx response in its
 * console as an error. The body, GONE for a 404, or the ApiError the API's answer would have been.
 */
export async function readUnlessGone(kind, id, cursor) {
  const answer = await call(`/_local/console/read/${kind}/${id}${cursor ? `/${cursor}` : ''}`);
  if (answer.status === 404) return GONE;
  if (answer.status < 200 || answer.status > 299) {
    throw new ApiError(answer.status, answer.body, answer.retryAfter ?? null);
  }
  return answer.body;
}
