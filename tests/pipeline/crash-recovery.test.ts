import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationState, HubEvent } from '#shared/contract/index.ts';
import { isMessageEvent } from '#shared/domain/conversation.ts';
import { stateChangedEventId } from '#shared/domain/state-changed.ts';
import type { RecorderStep } from '#shared/recorder/steps.ts';
import {
  conversationFor,
  messageEvent,
  minute,
  reactionEvent,
  statusEvent,
} from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

/** A short conversation touching every step: new contact, reply, status, reaction. */
const scenario = (customer: string): HubEvent[] => [
  messageEvent(customer, `${customer}-in-1`, minute(1)),
  messageEvent(customer, `${customer}-out-1`, minute(2), 'outbound'),
  statusEvent(customer, `${customer}-out-1`, 'delivered', minute(3)),
  reactionEvent(
    customer,
    `${customer}-in-1`,
    '❤', // fauxqs refuses astral-plane characters (real SQS accepts them)
    minute(4),
  ),
];

const expectedHelpdeskIds = (events: readonly HubEvent[]): string[] =>
  events.flatMap((event) =>
    isMessageEvent(event) ? [event.id, stateChangedEventId(event.data.conversationId, event.id)] : [event.id],
  );

const withoutIdentity = (state: ConversationState | undefined) =>
  state ? { ...state, conversationId: 'x', contact: { identities: [] }, contactId: 'x' } : undefined;

describe('recorder: a crash between any two steps, then redelivery', () => {
  let pipeline: Pipeline;
  const cleanSteps: RecorderStep[] = [];
  let cleanState: ConversationState | undefined;
  beforeAll(async () => {
    pipeline = await startPipeline();
    await pipeline.ingest(scenario('clean'));
    await pipeline.drain(pipeline.recorder((step) => void cleanSteps.push(step)));
    cleanState = (await pipeline.read.getConversation(conversationFor('clean').conversationId))?.state;
    await pipeline.takeHelpdesk();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('visits every kind of step in the clean run', () => {
    expect(new Set(cleanSteps)).toEqual(
      new Set([
        'check-message',
        'load-conversation',
        'claim-identities',
        'index-contact',
        'save-conversation',
        'publish',
        'put-message',
        'write-register',
      ]),
    );
  });

  // One case per step of the clean run: the crash hits right after that step completed.
  it.each(Array.from({ length: 16 }, (_, index) => index + 1))(
    'ends as if run once when it crashes after step %i',
    async (crashAfter) => {
      // Prepare
      const customer = `crash-${crashAfter}`;
      const events = scenario(customer);
      let seen = 0;
      let crashedAt: RecorderStep | undefined;
      const crashing = pipeline.recorder((step) => {
        seen++;
        if (seen === crashAfter) {
          crashedAt = step;
          throw new Error(`injected crash after ${step}`);
        }
      });
      // Act
      await pipeline.ingest(events);
      const run = await pipeline.drain(crashing);
      // Assess
      expect(crashedAt).toBe(cleanSteps[crashAfter - 1]);
      expect(run.failed).toBeGreaterThan(0);
      const state = (await pipeline.read.getConversation(conversationFor(customer).conversationId))?.state;
      expect(withoutIdentity(state)).toEqual(withoutIdentity(cleanState));
      const published = (await pipeline.takeHelpdesk()).map((event) => event.id);
      const firstSeen = published.filter((id, index) => published.indexOf(id) === index);
      expect(firstSeen).toEqual(expectedHelpdeskIds(events));
      const message = await pipeline.read.findMessageByProviderId('whatsapp', `${customer}-out-1`);
      expect(message?.live.status).toMatchObject({ status: 'delivered' });
    },
  );
});
