import type { LocalHttpResponse } from './apigw-event.ts';

/*
 * What the local hub answers while it cannot serve a request yet or any more: its HTTP port listens
 * before its functions are loaded (the provider simulators need its URL), and a stop lets requests in
 * progress finish but serves no new one. Both are a 503 with Retry-After, which a client (the
 * console's page, a helpdesk, a provider's webhook delivery) retries, and an RFC 9457 problem in the
 * helpdesk API's form (shared/api/http.ts) saying which. Only the local hub answers these: they are
 * not part of the deployed API's problem types.
 */

/** Seconds a client should wait before asking again: the functions load in a few seconds. */
const HUB_RETRY_AFTER_SECONDS = 2;

export type HubPhase = 'starting' | 'stopping';

const PROBLEMS: Readonly<
  Record<HubPhase, { readonly type: string; readonly title: string; readonly detail: string }>
> = {
  starting: {
    type: 'urn:switchboard:problem:hub-starting',
    title: 'The hub is starting',
    detail: 'Its functions are still loading; try again in a few seconds.',
  },
  stopping: {
    type: 'urn:switchboard:problem:hub-stopping',
    title: 'The hub is stopping',
    detail: 'It takes no new requests; try again once it runs again.',
  },
};

const problemOf = (phase: HubPhase) => {
  const { type, title, detail } = PROBLEMS[phase];
  return { type, title, status: 503, detail };
};

/** The answer to a request the hub cannot serve now (the console's page shows its title and detail). */
export const hubUnavailable = (phase: HubPhase): LocalHttpResponse => ({
  statusCode: 503,
  headers: {
    'content-type': ['application/problem+json'],
    'retry-after': [String(HUB_RETRY_AFTER_SECONDS)],
    'cache-control': ['no-store'],
  },
  body: Buffer.from(JSON.stringify(problemOf(phase)), 'utf8'),
});
