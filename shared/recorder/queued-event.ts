import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';

/** A queue message that can never become a hub event; it goes to the dead-letter queue after its retries. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

/** Turns a queue body into event JSON; the wiring resolves the webhook side's S3 claim checks here. */
export type BodyResolver = (body: string) => Promise<unknown>;

export const parseQueuedEvent = async (
  body: string,
  resolve: BodyResolver = async (text) => JSON.parse(text),
): Promise<HubEvent> => {
  let json: unknown;
  try {
    json = await resolve(body);
  } catch (error) {
    if (error instanceof SyntaxError) throw new PoisonMessageError('body is not JSON');
    throw error;
  }
  const parsed = HubEventSchema.safeParse(json);
  if (!parsed.success) throw new PoisonMessageError('body is not a valid hub event');
  return parsed.data;
};
