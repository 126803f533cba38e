import { describe, expect, it } from 'vitest';
import { buildEvent, eventIdFor, hubMessageIdFor } from '#shared/contract/index.ts';
import { createSendStore, type SendRecord } from '#shared/store/sends.ts';
import { minute } from '#tests/recorder/factories.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';
import { eraseFrom, metaConversation } from '#tests/support/erased-customer.ts';

/*
 * Meta retries a webhook for days: an echo of one of the hub's own Messenger replies can arrive
 * after the person was erased. The send's record is gone by then, so the echo must still read as
 * the hub's own (from the tombstones the erasure leaves) and bring nothing of the person back.
 */
const endpoint = { type: 'facebook_page' as const, id: 'page-late-echo-erasure' };

describe('a late echo after an erasure', () => {
  const table = useEmulatedTable();

  const scan = () => tableItems(table.context);

  const setUp = async (
    psid: string,
    send: Pick<SendRecord, 'state' | 'next' | 'providerIds'> & Partial<SendRecord>,
  ) => {
    const { identities, conversationId, at, contactId } = metaConversation('messenger', endpoint, {
      type: 'psid',
      value: psid,
    });
    const tag = psid.slice(-1);
    const asks = `m_asks_${tag}`;
    await table.recorder.recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('messenger', 'message.received', asks), {
        ...at(1),
        hubMessageId: hubMessageIdFor('messenger', asks),
        direction: 'inbound',
        providerMessageId: asks,
        parts: [{ type: 'text', text: 'canary-asks' }],
      }),
    );
    // The hub's own id for its reply (a correlation id names it: msg_ and 32 hex digits).
    const hubMessageId = hubMessageIdFor('messenger', `late-echo-send-${tag}`);
    await createSendStore(table.context).claim({
      hubMessageId,
      conversationId,
      commandId: `cmd-late-echo-${tag}`,
      commandHash: 'h',
      acceptedAt: minute(2),
      messageCount: 1,
      links: {},
      plan: {
        channel: 'messenger',
        provider: 'meta',
        endpoint,
        recipient: identities[0],
        withinWindow: true,
        humanAgentTag: false,
      },
      ...send,
    });
    const mid = `m_reply_${tag}`;
    const echo = buildEvent('switchboard.message.sent', eventIdFor('messenger', 'message.sent', mid), {
      ...at(2),
      receivedAt: minute(30),
      hubMessageId: hubMessageIdFor('messenger', mid),
      direction: 'outbound',
      providerMessageId: mid,
      sentBy: 'hub',
      correlationId: `${hubMessageId}.0`,
      parts: [{ type: 'text', text: 'canary-reply' }],
    });
    const erase = () => eraseFrom(table.context, contactId);
    return { echo, erase, mid };
  };

  it("skips the echo of a reply that went (its provider id on the send's record)", async () => {
    // Prepare
    const psid = '7100000000000001';
    const { echo, erase, mid } = await setUp(psid, {
      state: 'sent',
      next: 1,
      providerIds: ['m_reply_1'],
    });
    await erase();
    const afterErasure = await scan();
    // Act
    await table.recorder.recordEvent(echo);
    // Assess: nothing names the person again, and the reply's text is nowhere
    const after = await scan();
    expect(JSON.stringify(afterErasure)).not.toContain(psid);
    expect(JSON.stringify(after)).not.toContain(psid);
    expect(JSON.stringify(after)).not.toContain('canary');
    expect(
      after.filter((item) => item.pk === `MSG#${hubMessageIdFor('messenger', mid)}` && item.sk === 'MSG'),
    ).toEqual([expect.objectContaining({ erased: true })]);
  });

  it('skips the echo of a reply whose send ended outcome_unknown (no provider id kept)', async () => {
    // Prepare: before the erasure such an echo is recorded (it did go); after it, it must not be
    const psid = '7100000000000002';
    const { echo, erase } = await setUp(psid, {
      state: 'failed',
      next: 0,
      providerIds: [],
      failure: { reason: 'outcome_unknown', retryable: true, decidedAt: minute(3) },
    });
    await erase();
    // Act
    await table.recorder.recordEvent(echo);
    // Assess
    const after = await scan();
    expect(JSON.stringify(after)).not.toContain(psid);
    expect(JSON.stringify(after)).not.toContain('canary');
  });
});
