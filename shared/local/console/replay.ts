import { z } from 'zod';
import { jsonOrUndefined } from '#shared/channels/provider-answer.ts';
import type { LocalHttpResponse } from '#shared/local/apigw-event.ts';
import { postSampleAnswer } from '#shared/local/live-samples.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample } from '#shared/local/samples.ts';

/*
 * Replay a sample of events/ from the console: `GET /_local/console/samples` lists them (the same
 * registry `npm run replay` reads), `POST /_local/console/replay` with `{ "name": "whatsapp/location" }`
 * signs that sample as its provider would and posts it, unchanged, to the hub's real webhook.
 */

const SAMPLES_PATH = '/_local/console/samples';
const REPLAY_PATH = '/_local/console/replay';

const ReplayRequestSchema = z.strictObject({ name: z.string().min(1).max(200) });

const answer = (statusCode: number, value: unknown): LocalHttpResponse => ({
  statusCode,
  headers: { 'content-type': ['application/json'], 'cache-control': ['no-store'] },
  body: Buffer.from(JSON.stringify(value), 'utf8'),
});

/** Read on each request: a sample added to events/ while the hub runs is listed at once. */
const samples = (): Sample[] => collectSamples([DEFAULT_EVENTS_DIR]).samples;

/** The answer to a replay route, or undefined for other paths. */
export const replayAnswer = async (
  hubBaseUrl: string,
  request: { readonly method: string; readonly rawPath: string; readonly body: Buffer },
): Promise<LocalHttpResponse | undefined> => {
  if (request.method === 'GET' && request.rawPath === SAMPLES_PATH) {
    return answer(200, { items: samples().map(({ name, channel }) => ({ name, channel })) });
  }
  if (request.method !== 'POST' || request.rawPath !== REPLAY_PATH) return undefined;
  const parsed = ReplayRequestSchema.safeParse(jsonOrUndefined(request.body.toString('utf8')));
  const sample = parsed.success ? samples().find((each) => each.name === parsed.data.name) : undefined;
  if (!sample) return answer(400, { errors: [{ field: 'name', message: 'expected the name of a sample' }] });
  // A refusal's reason goes with its status (the webhook's own words: "X-Hub-Signature-256 does not match the body"), so the
  // developer sees why, not only that (until 2026-12-06 the status alone; found by a review).
  const { status, error } = await postSampleAnswer(hubBaseUrl, sample);
  return answer(status < 300 ? 202 : 502, {
    webhookStatus: status,
    ...(error ? { webhookError: error } : {}),
  });
};
