import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redriveByResending } from '#shared/local/redrive.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { RECENT_EVENT_LIMIT } from '#shared/store/conversations.ts';
import { PseudonymKeyMismatchError } from '#shared/store/pseudonym-key-check.ts';
import { consentEvent, conversationFor, messageEvent, minute, sqsEvent } from '#tests/recorder/factories.ts';
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

  /** The recorder gives up on a failing event at this receive; the queue's redrive is only the net. */
  const GIVE_UP_AT = INGEST_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;

  it('gives up below maxReceiveCount', () => {
    expect(GIVE_UP_AT).toBeLessThan(INGEST_QUEUE.maxReceiveCount);
  });

  it('moves aside at its give-up receive, blocks only its conversation meanwhile, and applies once after a redrive', async () => {
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
    // Assess: tried up to its give-up receive, then set aside; everything else flowed
    expect(poisonAttempts).toBe(GIVE_UP_AT);
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

  /** Receives and deletes what the ingest dead-letter queue holds: each body's event id, group and reason. */
  const takeDlq = async () => {
    const { sqs } = pipeline.emulators.clients;
    const { ingestDlqUrl } = pipeline.emulators.resources;
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ingestDlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageGroupId'],
      }),
    );
    const messages = received.Messages ?? [];
    for (const message of messages)
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: ingestDlqUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    return messages.map((message) => ({
      id: (JSON.parse(message.Body ?? '{}') as { id?: string }).id,
      group: message.Attributes?.MessageGroupId,
      reason: message.MessageAttributes?.reason?.StringValue,
    }));
  };

  /**
   * An opt-in (not a STOP) that fails while the pseudonym key is refused, three messages of its
   * conversation behind it, and a recorder reading the refused key.
   */
  const poisonAhead = (customer: string) => {
    const optIn = consentEvent(customer, 'opted_in', minute(1), 'START');
    const behind = [2, 3, 4].map((n) =>
      messageEvent(customer, `${customer}-${n}`, minute(n), 'inbound', 'hello', 'sms'),
    );
    const { conversationId } = conversationFor(customer, 'sms');
    expect(new Set([optIn, ...behind].map((event) => event.subject))).toEqual(new Set([conversationId]));
    const refused = pipeline.recorder(undefined, {
      pseudonymKey: async () => {
        throw new PseudonymKeyMismatchError('differs');
      },
    });
    return { optIn, behind, conversationId, refused };
  };

  it('sets a poison event aside at its give-up receive with its reason when SQS hands its conversation over in one batch', async () => {
    // Prepare: every receive holds the four records, as SQS hands out several messages of a group
    // at once (fauxqs hands out one a group, so the batches are built here: their receive counts
    // rise together, and the queue's redrive would move every record still failing at maxReceiveCount)
    const { optIn, behind, conversationId, refused } = poisonAhead('poison-e');
    let pending = [optIn, ...behind];
    // Act
    for (let receive = 1; receive <= INGEST_QUEUE.maxReceiveCount && pending.length > 0; receive++) {
      const response = await refused.handleSqsEvent(
        sqsEvent(
          pending.map((event) => ({ id: event.id, group: conversationId, body: JSON.stringify(event) })),
          receive,
        ),
      );
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      pending = pending.filter((event) => failed.has(event.id));
      if (receive < GIVE_UP_AT) expect(pending).toHaveLength(4);
    }
    // Assess: nothing left for the redrive; the three behind recorded in order, the opt-in set aside
    expect(pending.map((event) => event.id)).toEqual([]);
    const conversation = await pipeline.read.getConversation(conversationId);
    expect(conversation?.state).toMatchObject({ messageCount: 3, lastInboundAt: minute(4) });
    const behindIds = behind.map((event) => event.id);
    const helpdesk = await pipeline.takeHelpdesk();
    expect(helpdesk.map((event) => event.id).filter((id) => behindIds.includes(id))).toEqual(behindIds);
    // The reason names the receive and the error, nothing of the customer
    expect(await takeDlq()).toEqual([
      {
        id: optIn.id,
        group: conversationId,
        reason: `failed at receive ${GIVE_UP_AT}: PseudonymKeyMismatchError`,
      },
    ]);
  });

  it('sets a poison event aside at its give-up receive through the local queue too', async () => {
    // Prepare
    const { optIn, behind, conversationId, refused } = poisonAhead('poison-d');
    await pipeline.ingest([optIn, ...behind]);
    // Act
    const run = await pipeline.drain(refused);
    // Assess: fauxqs hands out a group's first message alone, so only the opt-in failed, until its
    // give-up receive; then the three were recorded in order
    expect(run.failed).toBe(GIVE_UP_AT - 1);
    const conversation = await pipeline.read.getConversation(conversationId);
    expect(conversation?.state).toMatchObject({ messageCount: 3, lastInboundAt: minute(4) });
    const behindIds = behind.map((event) => event.id);
    const helpdesk = await pipeline.takeHelpdesk();
    expect(helpdesk.map((event) => event.id).filter((id) => behindIds.includes(id))).toEqual(behindIds);
    expect(await takeDlq()).toEqual([
      {
        id: optIn.id,
        group: conversationId,
        reason: `failed at receive ${GIVE_UP_AT}: PseudonymKeyMismatchError`,
      },
    ]);
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
    // Assess: failed until its give-up receive, then moved by the recorder
    expect(run.failed).toBe(GIVE_UP_AT - 1);
    expect(await dlqDepth()).toBe(1);
    expect(await pipeline.takeHelpdesk()).toEqual([]);
  });
});
