import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

describe('recorder: the same webhook event delivered three times', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('records one message with exact counters, within and after the SQS dedup window', async () => {
    // Prepare
    const event = messageEvent('4915550001', 'wamid.dup-1', minute(1));
    const { conversationId } = conversationFor('4915550001');
    // Act: twice inside the window (SQS drops the second), once "days later" with a new dedup id
    await pipeline.ingest([event]);
    await pipeline.ingest([event]);
    await pipeline.drain();
    await pipeline.ingest([event], '#retry-after-7-days');
    await pipeline.drain();
    // Assess
    const conversation = await pipeline.read.getConversation(conversationId);
    expect(conversation?.state).toMatchObject({
      messageCount: 1,
      unreadCount: 1,
      version: 1,
      status: 'open',
    });
    const messages = await pipeline.read.listConversationMessages(conversationId);
    expect(messages.items.map((view) => view.message.providerMessageId)).toEqual(['wamid.dup-1']);
    const helpdesk = await pipeline.takeHelpdesk();
    expect(helpdesk.filter((published) => published.id === event.id)).toHaveLength(1);
    expect(
      helpdesk.filter((published) => published.type === 'switchboard.conversation.state_changed'),
    ).toHaveLength(1);
  });
});
