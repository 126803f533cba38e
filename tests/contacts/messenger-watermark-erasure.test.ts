import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { minute } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * A Messenger read receipt carries a watermark, written on the conversation item: after the
 * conversation is erased it must not create that item again (nothing would reach it or expire it).
 */
describe('a Messenger watermark after erasure', () => {
  const table = useEmulatedTable();

  const recorder = () => quietRecorder(table.context);
  const erase = (contactId: string) =>
    erasePerson(
      { pseudonymKey: localPseudonymKey, table: table.context, deleteObjects: async () => {} },
      contactId,
    );

  it("refuses a Messenger read receipt's watermark after the erasure: no conversation item nothing reaches", async () => {
    // Prepare: a Messenger customer writes and is erased
    const page = { type: 'facebook_page' as const, id: 'page-erasure-race' };
    const identities: [ChannelIdentity] = [{ type: 'psid', value: 'psid-erasure-race' }];
    const conversationId = contactConversationId('messenger', page, identities[0]);
    const shared = {
      channel: 'messenger' as const,
      provider: 'meta' as const,
      endpoint: page,
      contact: { identities },
      conversationId,
    };
    await recorder().recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('messenger', 'message', 'm_race'), {
        ...shared,
        hubMessageId: hubMessageIdFor('messenger', 'm_race'),
        direction: 'inbound',
        providerMessageId: 'm_race',
        providerTimestamp: minute(1),
        receivedAt: minute(1),
        parts: [{ type: 'text', text: 'canary-race-messenger' }],
      }),
    );
    await erase(contactIdFor('messenger', { identities }, conversationId));
    // Act: a read receipt with a watermark comes after
    await recorder().recordEvent(
      buildEvent(
        'switchboard.message.status_updated',
        eventIdFor('messenger', 'read', 'psid-erasure-race', minute(3)),
        {
          ...shared,
          providerTimestamp: minute(3),
          receivedAt: minute(3),
          status: 'read',
          providerStatus: 'read',
          providerMessageIds: [],
          watermark: minute(2),
        },
      ),
    );
    const item = (
      (await table.context.client.send(new ScanCommand({ TableName: table.context.tableName }))).Items ?? []
    )
      .map((raw) => unmarshall(raw))
      .find((found) => found.pk === `CONV#${conversationId}`);
    // Assess: no conversation item comes back
    expect(item).toBeUndefined();
  });
});
