import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deliveredToPipeline, metaRequest, whatsappText } from '#tests/support/hostile.ts';

/** A WhatsApp edit of `target`, the edit itself carrying the message id `id`. */
const whatsappEdit = (id: string, target: string) => {
  const body = whatsappText();
  const [entry] = body.entry;
  const [change] = entry?.changes ?? [];
  if (!change) throw new Error('whatsappText has no change');
  change.value.messages = [
    {
      from: '306912345678',
      id,
      timestamp: '1795166044',
      type: 'edit',
      edit: { original_message_id: target, message: { type: 'text', text: { body: 'edited' } } },
    } as unknown as (typeof change.value.messages)[number],
  ];
  return body;
};

describe("a WhatsApp edit whose own message id is longer than any of Meta's", () => {
  const run = deliveredToPipeline(() => [
    // The edit's id (kept with the edit in its register) is 450 KB, beyond a table item.
    metaRequest('/webhooks/whatsapp', whatsappEdit(`wamid.${'E'.repeat(450_000)}`, 'wamid.T1')),
  ]);

  it('is answered 2xx and recorded at the first attempt', () => {
    // Assess
    expect(run.statuses).toEqual([200]);
    expect(run.drained).toEqual({ received: 1, failed: 0 });
  });

  it('reaches the helpdesk as an oversize identifier, with the edit kept whole', () => {
    // Assess
    expect(run.delivered).toHaveLength(1);
    const [event] = run.delivered;
    expect(event?.type).toBe('switchboard.provider.unsupported');
    if (event?.type !== 'switchboard.provider.unsupported') return;
    expect(event.data.providerType).toBe('oversize_identifier');
    expect(event.data.raw).toMatchObject({
      type: 'switchboard.message.edited',
      data: { targetProviderMessageId: 'wamid.T1' },
    });
  });

  it('leaves nothing in the dead-letter queue', async () => {
    // Act
    const output = await run.pipeline.emulators.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: run.pipeline.emulators.resources.ingestDlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    // Assess
    expect(Number(output.Attributes?.ApproximateNumberOfMessages)).toBe(0);
    expect(Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(0);
  });
});
