/** A request a sender made, as the provider would have received it. */
export interface CapturedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A `fetch` that records every request and answers each with the same status and JSON body. */
export const captureFetch = (
  answer: unknown,
  status = 200,
): { fetch: typeof fetch; requests: CapturedRequest[] } => {
  const requests: CapturedRequest[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers)),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fake as typeof fetch, requests };
};
