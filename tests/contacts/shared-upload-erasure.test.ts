import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import type { MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { kindOfKey, uploadReferenceKey, uploadReferencesPartition } from '#shared/store/keys.ts';
import { reserveSendKey } from '#shared/store/send-reservations.ts';
import type { TableContext } from '#shared/store/table.ts';
import { noteUploadsSent, uploadsNamedBy } from '#shared/store/upload-refs.ts';
import {
  openCustomerConversation,
  outcomesOf,
  putUpload,
  receivedCommand,
  sendCommand,
  useOutboundHarness,
} from '#tests/outbound/harness.ts';
import { conversationFor, minute } from '#tests/recorder/factories.ts';

/*
 * A file the helpdesk uploads once (POST /v1/media, media/outbound/…) may be sent in any
 * conversation. Erasing one recipient deletes it only when no other conversation was sent it (or
 * refused it): the sender notes each conversation an upload goes to before any record names it, and
 * the erasure deletes the erased conversations' references, then the file only if none is left. An
 * upload sent to the erased customer alone (an invoice naming them) still goes with them. Found by
 * a review (tests/_review/media-shared-upload-erasure.test.ts): the price list sent to 1,000
 * customers was gone for all of them once one was erased.
 */
describe('erasure of one recipient of a file the helpdesk uploaded', () => {
  const hub = useOutboundHarness();
  let customer = 0;
  let upload = 0;

  /** A customer who wrote at `at` (default: inside the window), with their person and conversation. */
  const open = async (at?: string) => {
    const { wa, conversationId } = await openCustomerConversation(
      hub,
      { prefix: '3069124', tag: 'shared-upload' },
      ++customer,
      at,
    );
    return { wa, conversationId, person: contactIdFor('whatsapp', conversationFor(wa).contact, '') };
  };

  /** A fresh upload in the bucket, as POST /v1/media and the helpdesk's PUT leave it. */
  const uploaded = async (): Promise<string> => {
    const s3Key = `media/outbound/${String(++upload).padStart(32, 'c')}/file.pdf`;
    await putUpload(hub, s3Key, new TextEncoder().encode('%PDF price list'), 'application/pdf');
    return s3Key;
  };

  const documentOf = (s3Key: string): OutboundPart[] => [{ type: 'media', kind: 'file', source: { s3Key } }];

  const context = (): TableContext => ({
    client: hub.pipeline.emulators.clients.dynamodb,
    tableName: hub.pipeline.emulators.resources.tableName,
    now: () => hub.now,
  });

  /** Erases a person as the helpdesk API does; what it asked S3 to delete, and the table actions it called. */
  const erase = async (person: string) => {
    const deleted: string[] = [];
    const calls = new Set<string>();
    const table = context();
    const counting: TableContext = {
      ...table,
      client: {
        send: ((command: { constructor: { name: string } }) => {
          calls.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
          return table.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    };
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: counting,
        deleteObjects: async (keys) => void deleted.push(...keys),
      },
      person,
    );
    return { report, deleted, calls };
  };

  /** The conversations the table holds a reference of `s3Key` for. */
  const referencesOf = async (s3Key: string): Promise<string[]> => {
    const { client, tableName } = context();
    const output = await client.send(new ScanCommand({ TableName: tableName }));
    const partition = uploadReferenceKey(s3Key, '').pk;
    return (output.Items ?? [])
      .map((raw) => unmarshall(raw))
      .filter((item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }) === 'uploadReference')
      .filter((item) => item.pk === partition)
      .map((item) => String(item.sk).slice('CONV#'.length))
      .sort();
  };

  it('keeps a file another customer was sent, and deletes it with the last of them', async () => {
    // Prepare: customers A and B were each sent the same uploaded price list
    const a = await open();
    const b = await open();
    const s3Key = await uploaded();
    await hub.enqueue(sendCommand(a.conversationId, 'price-list-a', documentOf(s3Key)));
    await hub.enqueue(sendCommand(b.conversationId, 'price-list-b', documentOf(s3Key)));
    await hub.runOutbox();
    const sent = outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type);
    const referencesBefore = await referencesOf(s3Key);
    // Act: A is erased, then B
    const first = await erase(a.person);
    const referencesAfterA = await referencesOf(s3Key);
    const second = await erase(b.person);
    // Assess: B's records still name the file after A's erasure; once B is erased too, it goes
    expect(sent).toEqual(['switchboard.message.sent', 'switchboard.message.sent']);
    expect(referencesBefore).toEqual([a.conversationId, b.conversationId].sort());
    expect(first.report).toBeDefined();
    expect(first.deleted).not.toContain(s3Key);
    expect(referencesAfterA).toEqual([b.conversationId]);
    expect(second.deleted).toContain(s3Key);
    expect(await referencesOf(s3Key)).toEqual([]);
    // Nothing the helpdesk API's IAM policy (which erases) does not allow.
    for (const action of [...first.calls, ...second.calls])
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(action);
  });

  it('deletes a file sent to the erased customer alone (an invoice naming them)', async () => {
    // Prepare
    const a = await open();
    const other = await open();
    const s3Key = await uploaded();
    await hub.enqueue(sendCommand(a.conversationId, 'invoice-a', documentOf(s3Key)));
    // Another customer's text send: it notes no upload.
    await hub.enqueue(sendCommand(other.conversationId, 'text-other'));
    await hub.runOutbox();
    const referencesBefore = await referencesOf(s3Key);
    // Act
    const { report, deleted } = await erase(a.person);
    // Assess
    expect(referencesBefore).toEqual([a.conversationId]);
    expect(deleted).toContain(s3Key);
    expect(report?.objectsDeleted).toBeGreaterThanOrEqual(1);
    expect(await referencesOf(s3Key)).toEqual([]);
  });

  it("counts a refused send's file as the refused conversation's: kept while it is not erased", async () => {
    // Prepare: A was sent the file; B's send of it was refused (B's window had closed), and B's
    // refused record names it, so an erasure of B would delete it
    const a = await open();
    const b = await open(minute(-2_000));
    const s3Key = await uploaded();
    await hub.enqueue(sendCommand(a.conversationId, 'shared-a', documentOf(s3Key)));
    await hub.enqueue(sendCommand(b.conversationId, 'refused-b', documentOf(s3Key)));
    await hub.runOutbox();
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk())
      .map((event) => event.type)
      .sort();
    // Act
    const first = await erase(a.person);
    const second = await erase(b.person);
    // Assess
    expect(outcomes).toEqual(['switchboard.message.send_failed', 'switchboard.message.sent']);
    expect(first.deleted).not.toContain(s3Key);
    expect(second.deleted).toContain(s3Key);
    expect(await referencesOf(s3Key)).toEqual([]);
  });

  it('deletes a file sent before references were kept with the first recipient erased, as before', async () => {
    // Prepare: two send records naming the upload, as a sender before 2026-12-06 claimed them
    // (no reference noted)
    const a = await open();
    const b = await open();
    const s3Key = await uploaded();
    for (const { wa, conversationId } of [a, b])
      await hub.sends.claim({
        hubMessageId: `msg_before-references-${wa}`,
        conversationId,
        commandId: `cmd-before-references-${wa}`,
        commandHash: 'h',
        state: 'sent',
        acceptedAt: minute(110),
        messageCount: 1,
        next: 1,
        providerIds: [`wamid.before-references-${wa}`],
        links: {},
        plan: {
          channel: 'whatsapp',
          provider: 'meta',
          endpoint: conversationFor(wa).endpoint,
          recipient: { type: 'wa_id', value: wa },
          withinWindow: true,
          humanAgentTag: false,
          media: { '0': { s3Key, bytes: 15, contentType: 'application/pdf' } },
        },
      });
    // Act
    const { deleted } = await erase(a.person);
    // Assess
    expect(deleted).toContain(s3Key);
  });

  it('names the file of a send that ends at its last receive before any claim, so its reference goes with the erasure', async () => {
    // Prepare: the file's lookup fails on every delivery (S3 answers 500), so no delivery claims the
    // send; the first noted its reference; the command ends at its last receive
    const a = await open();
    const s3Key = await uploaded();
    const broken: MediaObjects = {
      head: async () => {
        throw Object.assign(new Error('internal error'), { name: 'InternalError' });
      },
      read: async () => new Uint8Array(),
      open: async () => new ReadableStream(),
      presignGet: async () => '',
      presignPut: async () => '',
    };
    const sender = hub.sender(undefined, { mediaObjects: broken });
    const command = sendCommand(a.conversationId, 'never-claimed', documentOf(s3Key));
    await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    await sender.handleSqsEvent({
      Records: [receivedCommand(command, OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN)],
    });
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type);
    // Act
    const { deleted } = await erase(a.person);
    // Assess
    expect(outcomes).toEqual(['switchboard.message.send_failed']);
    expect(deleted).toContain(s3Key);
    expect(await referencesOf(s3Key)).toEqual([]);
  });

  it('names the file of a send queued for a customer erased before the sender took it, so the next erasure deletes it', async () => {
    // Prepare: the helpdesk's POST noted the reference and queued the command; the customer is
    // erased before the sender takes it, which then refuses the send (conversation_unknown)
    const a = await open();
    const s3Key = await uploaded();
    const command = sendCommand(a.conversationId, 'queued-invoice', documentOf(s3Key));
    await noteUploadsSent(context(), a.conversationId, uploadsNamedBy(documentOf(s3Key)));
    await hub.enqueue(command);
    const first = await erase(a.person);
    await hub.runOutbox();
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type);
    // Act: DELETE again once the traffic settled, as the README says
    const second = await erase(a.person);
    // Assess: the refused record named the file, so the second erasure found and deleted it
    expect(first.report).toBeDefined();
    expect(first.deleted).not.toContain(s3Key);
    expect(outcomes).toEqual(['switchboard.message.send_failed']);
    expect(second.deleted).toContain(s3Key);
    expect(await referencesOf(s3Key)).toEqual([]);
  });

  it('finds the file of an API send whose queuing failed through its key reservation, and erases it with its reference', async () => {
    // Prepare: the API reserved the key and noted the upload's reference, then queuing the command failed (a 5xx)
    // and the helpdesk never retried: no send record names the file
    const a = await open();
    const s3Key = await uploaded();
    const parts = documentOf(s3Key);
    const hubMessageId = outboundHubMessageId(a.conversationId, 'never-queued');
    await reserveSendKey(context(), {
      conversationId: a.conversationId,
      hubMessageId,
      commandHash: 'content-hash',
      uploads: uploadsNamedBy(parts),
    });
    await noteUploadsSent(context(), a.conversationId, uploadsNamedBy(parts));
    const referencesBefore = await referencesOf(s3Key);
    // Act
    const { deleted } = await erase(a.person);
    // Assess
    expect(referencesBefore).toEqual([a.conversationId]);
    expect(await referencesOf(s3Key)).toEqual([]);
    expect(deleted).toContain(s3Key);
  });

  it("exports the person's references of each file, which their erasure deletes, and not another customer's", async () => {
    // Prepare: A and B were each sent the same price list, A alone an invoice
    const a = await open();
    const b = await open();
    const shared = await uploaded();
    const invoice = await uploaded();
    await hub.enqueue(sendCommand(a.conversationId, 'export-shared-a', documentOf(shared)));
    await hub.enqueue(sendCommand(b.conversationId, 'export-shared-b', documentOf(shared)));
    await hub.enqueue(sendCommand(a.conversationId, 'export-invoice-a', documentOf(invoice)));
    await hub.runOutbox();
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type);
    // Act
    const exported = await exportPerson({ table: context(), pseudonymKey: localPseudonymKey }, a.person);
    const { deleted } = await erase(a.person);
    // Assess: A's two references are listed as items, as stored (B's is not); the erasure deletes
    // those two, and the invoice
    const references = (exported?.items ?? [])
      .filter(({ kind }) => kind === 'uploadReference')
      .map(({ item }) => item as { pk: string; sk: string; expiresAt: number });
    expect(outcomes).toEqual([
      'switchboard.message.sent',
      'switchboard.message.sent',
      'switchboard.message.sent',
    ]);
    expect(references.map(({ pk, sk }) => `${pk} ${sk}`).sort()).toEqual(
      [
        `${uploadReferencesPartition(shared)} CONV#${a.conversationId}`,
        `${uploadReferencesPartition(invoice)} CONV#${a.conversationId}`,
      ].sort(),
    );
    for (const reference of references) expect(reference.expiresAt).toBeGreaterThan(0);
    expect(exported?.objects).toEqual(expect.arrayContaining([shared, invoice]));
    expect(deleted).toContain(invoice);
    expect(deleted).not.toContain(shared);
    expect(await referencesOf(shared)).toEqual([b.conversationId]);
    expect(await referencesOf(invoice)).toEqual([]);
  });
});
