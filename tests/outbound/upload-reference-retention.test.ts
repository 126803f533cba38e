import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { epochSeconds } from '#shared/store/item-rules.ts';
import { kindOfKey, sendKey, uploadReferenceKey } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { openCustomerConversation, putUpload, T0, useOutboundHarness } from '#tests/outbound/harness.ts';
import { conversationFor } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * An upload reference (`FILE#<sha256>` / `CONV#<id>`) expires with the send record that names it
 * (shared/store/upload-refs.ts): an erasure finds a conversation's references from the keys its
 * records name, so one outliving them would outlive the erasure. A helpdesk retry the API queues
 * again (the same key and body, days later) is a duplicate to the sender, and leaves both as they
 * were. Until 2026-12-06 the API rewrote the reference with a fresh 30 days on every such retry.
 */
describe('an upload reference and the send record that names it', () => {
  const hub = useOutboundHarness();
  const DAY = 86_400_000;

  const context = (): TableContext => ({
    client: hub.pipeline.emulators.clients.dynamodb,
    tableName: hub.pipeline.emulators.resources.tableName,
    now: () => hub.now,
  });

  const scan = async () => {
    const { client, tableName } = context();
    const output = await client.send(new ScanCommand({ TableName: tableName }));
    return (output.Items ?? []).map((raw) => unmarshall(raw));
  };

  it('a helpdesk retry does not make the reference outlive the send record', async () => {
    // Prepare: a customer, an uploaded file, a reply through the API that the sender sends
    const { wa, conversationId } = await openCustomerConversation(
      hub,
      { prefix: '3069177', tag: 'retention-upload' },
      1,
    );
    const s3Key = `media/outbound/${'r'.repeat(32)}/file.pdf`;
    await putUpload(hub, s3Key, new TextEncoder().encode('%PDF price list'), 'application/pdf');
    let retry = 0;
    const api = quietHelpdeskApi(hub.pipeline.emulators, context(), () => hub.now, {
      enqueueCommand: (command) => hub.enqueue(command, `-${retry}`),
    });
    const post = () =>
      api(
        apiRequest('POST', `/v1/conversations/${conversationId}/messages`, {
          headers: { 'content-type': 'application/json', 'idempotency-key': 'price-list' },
          body: JSON.stringify({
            parts: [{ type: 'media', kind: 'file', source: { s3Key } }],
            sender: { kind: 'agent', id: 'a-1' },
          }),
        }),
      );
    expect((await post()).status).toBe(202);
    await hub.runOutbox();
    const hubMessageId = outboundHubMessageId(conversationId, 'price-list');
    const sendOf = async () =>
      (await scan()).find((item) => item.pk === sendKey(hubMessageId).pk && item.sk === 'SEND');
    const referenceOf = async () =>
      (await scan()).find(
        (item) =>
          item.pk === uploadReferenceKey(s3Key, conversationId).pk &&
          item.sk === uploadReferenceKey(s3Key, conversationId).sk,
      );
    expect((await sendOf())?.state).toBe('sent');

    // Act: the helpdesk retries the same request 10 days later (its first answer lost, say)
    hub.now = new Date(T0.getTime() + 10 * DAY);
    retry++;
    expect((await post()).status).toBe(202);
    await hub.runOutbox();

    // Assess: the reference expires with (not after) the send record that names it
    const send = await sendOf();
    const reference = await referenceOf();
    expect(send?.expiresAt).toBe(epochSeconds(T0) + 30 * 86_400);
    expect(reference?.expiresAt).toBeLessThanOrEqual(Number(send?.expiresAt));

    // Act: day 31, DynamoDB's TTL has removed what expired; the person is erased
    hub.now = new Date(T0.getTime() + 31 * DAY);
    const { client, tableName } = context();
    for (const item of await scan())
      if (typeof item.expiresAt === 'number' && item.expiresAt <= epochSeconds(hub.now))
        await client.send(
          new DeleteItemCommand({ TableName: tableName, Key: marshall({ pk: item.pk, sk: item.sk }) }),
        );
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context(), deleteObjects: async () => undefined },
      contactIdFor('whatsapp', conversationFor(wa).contact, ''),
    );

    // Assess: nothing naming the erased conversation is left in the table
    const left = (await scan()).filter(
      (item) => String(item.pk).includes(conversationId) || String(item.sk).includes(conversationId),
    );
    expect(left.map((item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }))).toEqual([]);
  });
});
