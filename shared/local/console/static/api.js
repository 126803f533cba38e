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
 * A non-2xx answer. The message is the problem's title (with its detail, when it has one), or
 * `HTTP <status>` when the body is not a problem document; `body` is the parsed JSON body, if any
 * (a problem's `errors`, the replay endpoint's `webhookStatus`).
 */
export class ApiError extends Error {
  constructor(status, body) {
    super(
      isProblem(body)
        ? `${body.title}${typeof body.detail === 'string' && body.detail ? ` (${body.detail})` : ''}`
        : `HTTP ${status}`,
    );
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
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

/**
 * A JSON call to the hub: the answer's parsed body, or an ApiError for a non-2xx answer. GETs are
 * polls: the hub leaves them out of its request log.
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
  });
  const data = await jsonOf(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
