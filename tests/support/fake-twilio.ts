/**
 * Twilio's Message and Media resources as far as erasure uses them, in memory behind a `fetch`:
 * `POST …/Messages/{Sid}.json` (`Body=`), `GET …/Messages/{Sid}/Media.json`, `DELETE
 * …/Messages/{Sid}/Media/{MediaSid}.json`; 404 for a message or media it does not hold. Statuses
 * queued with `answerNext` are given first, in order (0: the connection drops).
 */
export interface FakeTwilioMessage {
  readonly accountSid: string;
  body: string;
  media: string[];
}

export interface FakeTwilio {
  readonly fetch: typeof fetch;
  readonly messages: Map<string, FakeTwilioMessage>;
  /** Every request: method, path (query included) and the Basic auth user. */
  readonly requests: { method: string; path: string; user: string }[];
  answerNext(...statuses: number[]): void;
}

const ROUTE =
  /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\/([A-Z]{2}[0-9a-f]{32})(\/Media(?:\/(ME[0-9a-f]{32}))?)?\.json$/;

const json = (status: number, body: unknown): Response =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

export const fakeTwilio = (): FakeTwilio => {
  const messages = new Map<string, FakeTwilioMessage>();
  const requests: FakeTwilio['requests'] = [];
  const queued: number[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const auth = new Headers(init?.headers).get('authorization') ?? '';
    const user =
      Buffer.from(auth.replace(/^Basic /, ''), 'base64')
        .toString('utf8')
        .split(':')[0] ?? '';
    requests.push({ method, path: `${url.pathname}${url.search}`, user });
    const forced = queued.shift();
    if (forced === 0) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    if (forced !== undefined) return json(forced, { code: forced === 429 ? 20429 : 20500, status: forced });
    const match = ROUTE.exec(url.pathname);
    const [, accountSid, sid, media, mediaSid] = match ?? [];
    const message = sid ? messages.get(sid) : undefined;
    if (!message || message.accountSid !== accountSid || user !== accountSid)
      return json(404, { code: 20404, status: 404 });
    if (!media && method === 'POST') {
      if (new URLSearchParams(String(init?.body ?? '')).get('Body') !== '')
        return json(400, { code: 30400, status: 400 });
      message.body = '';
      return json(200, { sid, body: '' });
    }
    if (media && !mediaSid && method === 'GET')
      return json(200, { media_list: message.media.map((one) => ({ sid: one })), next_page_uri: null });
    if (mediaSid && method === 'DELETE') {
      if (!message.media.includes(mediaSid)) return json(404, { code: 20404, status: 404 });
      message.media = message.media.filter((one) => one !== mediaSid);
      return json(204, undefined);
    }
    return json(405, { code: 20004, status: 405 });
  };
  return {
    fetch: fake as typeof fetch,
    messages,
    requests,
    answerNext: (...statuses) => {
      queued.push(...statuses);
    },
  };
};
