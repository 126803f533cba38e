import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redriveByResending } from '#shared/local/redrive.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { RECENT_EVENT_LIMIT } from '#shared/store/conversations.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

describe('recorder: poison messages', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const dlqDepth = async (): Promise<number> => {
    const output = await pipeline.emulators.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.emulators.resources.ingestDlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(output.Attributes?.ApproximateNumberOfMessages ?? 0);
  };

  it('moves aside after maxReceiveCount, blocks only its conversation meanwhile, and applies once after a redrive', async () => {
    // Prepare: a bug makes the recorder fail on one event (before any write)
    const poison = messageEvent('poison-a', 'poison-a-1', minute(1));
    const laterInSameConversation = messageEvent('poison-a', 'poison-a-2', minute(2));
    const otherConversation = [1, 2, 3].map((n) => messageEvent('healthy-b', `healthy-b-${n}`, minute(n)));
    let poisonAttempts = 0;
    const buggy = pipeline.recorder((step, event) => {
      if (step === 'check-message' && event.id === poison.id) {
        poisonAttempts++;
        throw new Error('bug');
      }
    });
    await pipeline.ingest([poison, laterInSameConversation, ...otherConversation]);
    // Act
    await pipeline.drain(buggy);
    // Assess: tried maxReceiveCount times, then set aside; everything else flowed
    expect(poisonAttempts).toBe(INGEST_QUEUE.maxReceiveCount);
    expect(await dlqDepth()).toBe(1);
    const healthy = await pipeline.read.getConversation(conversationFor('healthy-b').conversationId);
    expect(healthy?.state.messageCount).toBe(3);
    const blocked = await pipeline.read.getConversation(conversationFor('poison-a').conversationId);
    expect(blocked?.state.messageCount).toBe(1);

    // Act: the bug is fixed, the DLQ redriven (twice: the second finds nothing)
    const { sqs } = pipeline.emulators.clients;
    const { ingestDlqUrl, ingestQueueUrl } = pipeline.emulators.resources;
    const counts = await redriveByResending(sqs, ingestDlqUrl, ingestQueueUrl);
    const again = await redriveByResending(sqs, ingestDlqUrl, ingestQueueUrl);
    await pipeline.drain();
    // Assess
    expect(counts).toEqual({ received: 1, resent: 1, deleted: 1, failed: 0 });
    expect(again.received).toBe(0);
    expect(await dlqDepth()).toBe(0);
    const fixed = await pipeline.read.getConversation(conversationFor('poison-a').conversationId);
    expect(fixed?.state).toMatchObject({ messageCount: 2, unreadCount: 2, lastInboundAt: minute(2) });
    const helpdesk = await pipeline.takeHelpdesk();
    expect(helpdesk.filter((event) => event.id === poison.id)).toHaveLength(1);
  });

  it('counts once a message that failed after counting and is redriven after more messages than its conversation remembers', async () => {
    // Prepare: the message counts and is published, then every receive fails before its done-marker
    const customer = 'poison-c';
    const { conversationId } = conversationFor(customer);
    const failing = messageEvent(customer, `${customer}-1`, minute(1));
    const later = Array.from({ length: RECENT_EVENT_LIMIT }, (_, index) =>
      messageEvent(customer, `${customer}-later-${index}`, minute(2 + index)),
    );
    const failsBeforeDone = pipeline.recorder((step, event) => {
      if (step === 'publish' && event.id === failing.id) throw new Error('done-marker not reached');
    });
    await pipeline.ingest([failing]);
    await pipeline.drain(failsBeforeDone);
    await pipeline.ingest(later);
    await pipeline.drain();
    expect(await dlqDepth()).toBe(1);
    // Act: the cause is fixed, the DLQ redriven
    const { sqs } = pipeline.emulators.clients;
    const { ingestDlqUrl, ingestQueueUrl } = pipeline.emulators.resources;
    await redriveByResending(sqs, ingestDlqUrl, ingestQueueUrl);
    await pipeline.drain();
    const helpdesk = await pipeline.takeHelpdesk();
    // Assess
    expect(await dlqDepth()).toBe(0);
    const conversation = await pipeline.read.getConversation(conversationId);
    expect(conversation?.state).toMatchObject({ messageCount: 9, unreadCount: 9, version: 9 });
    const messages = await pipeline.read.listConversationMessages(conversationId);
    expect(messages.items).toHaveLength(9);
    expect(helpdesk.filter((event) => event.id === failing.id).length).toBeGreaterThan(0);
  });

  it('sends an unparsable body to the DLQ without touching any conversation', async () => {
    // Prepare
    const { sqs } = pipeline.emulators.clients;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.emulators.resources.ingestQueueUrl,
        MessageBody: '{"not":"an event"}',
        MessageGroupId: 'conv_garbage',
        MessageDeduplicationId: 'garbage-1',
      }),
    );
    // Act
    const run = await pipeline.drain();
    // Assess
    expect(run.failed).toBe(INGEST_QUEUE.maxReceiveCount);
    expect(await dlqDepth()).toBe(1);
    expect(await pipeline.takeHelpdesk()).toEqual([]);
  });
});
