import { ConversationIdSchema } from '#shared/api/schemas.ts';
import type { LocalHttpResponse } from '#shared/local/apigw-event.ts';
import type { EventTap } from './event-tap.ts';

/*
 * `GET /_local/console/raw-events/{conversationId}`: the CloudEvents of one conversation the tap
 * still holds, newest first, as the hub published them to the helpdesk queue ("under the hood").
 */

export const RAW_EVENTS_PREFIX = '/_local/console/raw-events/';

const answer = (statusCode: number, value: unknown): LocalHttpResponse => ({
  statusCode,
  headers: { 'content-type': ['application/json'], 'cache-control': ['no-store'] },
  body: Buffer.from(JSON.stringify(value), 'utf8'),
});

export const rawEventsAnswer = (tap: EventTap, rawPath: string): LocalHttpResponse => {
  const id = ConversationIdSchema.safeParse(rawPath.slice(RAW_EVENTS_PREFIX.length));
  if (!id.success) return answer(404, { title: 'No such conversation id.' });
  return answer(200, {
    items: tap.forConversation(id.data).map(({ seq, tappedAt, event }) => ({ seq, tappedAt, event })),
  });
};
