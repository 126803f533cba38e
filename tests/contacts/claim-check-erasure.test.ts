import { createHash } from 'node:crypto';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_PAYLOAD_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import {
  deletePayloadObjects,
  deletePayloadObjectsUnder,
  listPayloadObjectsUnder,
  S3BlobStore,
} from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { claimCheckKeyFor, claimCheckPrefixFor } from '#shared/aws/claim-check-keys.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { ClaimCheckSchema, type HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, smsReceived } from '#tests/recorder/factories.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Claim checks (events too large for a queue message) are kept under their conversation, so erasing
 * a person deletes their conversations' claim checks with one listing each; other subjects never
 * become part of a key; pointers with the older keys still resolve.
 */

const KEY_SHAPE = /^bodies\/events\/(conv_[0-9a-f]{32}|unscoped)\/[0-9a-f]{64}\.json$/;
const CONVERSATION = `conv_${'0123456789abcdef'.repeat(2)}`;

describe('claim-check keys', () => {
  it('put an event about a conversation under that conversation, content-addressed', () => {
    // Act
    const { key, sha256 } = claimCheckKeyFor('{"id":"evt_1"}', CONVERSATION);
    // Assess
    expect(key).toBe(`bodies/events/${CONVERSATION}/${sha256}.json`);
    expect(sha256).toBe(createHash('sha256').update('{"id":"evt_1"}').digest('hex'));
    expect(claimCheckPrefixFor(CONVERSATION)).toBe(`bodies/events/${CONVERSATION}/`);
  });

  it('put any other subject under the fixed segment: no odd string becomes a key', () => {
    // Prepare
    const subjects = [
      'whatsapp:phone-1',
      `${CONVERSATION}/../../attachments`,
      `${CONVERSATION}\n`,
      CONVERSATION.toUpperCase(),
      'conv_',
      '',
    ];
    // Act
    const keys = subjects.map((subject) => claimCheckKeyFor('{}', subject).key);
    // Assess
    for (const key of keys) expect(key).toMatch(/^bodies\/events\/unscoped\/[0-9a-f]{64}\.json$/);
    for (const subject of subjects) expect(claimCheckPrefixFor(subject)).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string(), (subject, json) => {
        expect(claimCheckKeyFor(json, subject).key).toMatch(KEY_SHAPE);
      }),
    );
  });

  it('still resolve a pointer to an older key (the pointer names its key)', async () => {
    // Prepare
    const event = JSON.stringify({ id: 'evt_old', type: 'switchboard.provider.unsupported' });
    const sha256 = createHash('sha256').update(event).digest('hex');
    const oldKey = `${PAYLOAD_BUCKET.claimCheckPrefix}${sha256}.json`;
    const pointer = ClaimCheckSchema.parse({
      switchboardClaimCheck: { version: 1, bucket: 'payloads', key: oldKey, sha256, bytes: event.length },
      id: 'evt_old',
      type: 'switchboard.provider.unsupported',
      subject: CONVERSATION,
    });
    const read: string[] = [];
    // Act
    const resolved = await resolveQueueMessageBody(JSON.stringify(pointer), async (_bucket, key) => {
      read.push(key);
      return Buffer.from(event);
    });
    // Assess
    expect(read).toEqual([oldKey]);
    expect(resolved).toEqual(JSON.parse(event));
  });
});

describe('deletePayloadObjectsUnder', () => {
  it('lists the prefix page by page and deletes each page as listed', async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    const page = (from: number, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        Key: `bodies/events/${CONVERSATION}/${from + index}.json`,
      }));
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: page(0, 1000), IsTruncated: true, NextContinuationToken: 'next' })
      .resolvesOnce({ Contents: page(1000, 3), IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({});
    // Act
    const deleted = await deletePayloadObjectsUnder(
      new S3Client({ region: 'eu-west-1' }),
      'payloads',
      `bodies/events/${CONVERSATION}/`,
    );
    // Assess
    expect(deleted).toBe(1003);
    const lists = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(lists).toEqual([
      { Bucket: 'payloads', Prefix: `bodies/events/${CONVERSATION}/`, MaxKeys: 1000 },
      {
        Bucket: 'payloads',
        Prefix: `bodies/events/${CONVERSATION}/`,
        MaxKeys: 1000,
        ContinuationToken: 'next',
      },
    ]);
    const deletes = s3
      .commandCalls(DeleteObjectsCommand)
      .map((call) => call.args[0].input.Delete?.Objects?.length);
    expect(deletes).toEqual([1000, 3]);
    s3.restore();
  });
});

const PHONE = '+306912340300';
const ENDPOINT_ID = '+15550000300';

const smsMessage = (sid: string, phone: string, text: string): HubEvent =>
  smsReceived(phone, sid, minute(1), { endpointId: ENDPOINT_ID, text });

describe('erasure of a person with claim-checked events, against the local DynamoDB and S3', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  const person = contactIdFor('sms', { identities: [{ type: 'phone', value: PHONE }] }, '');
  const theirs = smsMessage(
    'SM0000000000000000000000000000c301',
    PHONE,
    `claim-check canary ${'x'.repeat(4000)}`,
  );
  const others = smsMessage(
    'SM0000000000000000000000000000c302',
    '+306912340399',
    `someone else ${'y'.repeat(4000)}`,
  );

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    const recorder = quietRecorder(context);
    for (const event of [theirs, others]) await recorder.recordEvent(event);
    // Both events queued as claim checks (a small queue limit stands in for 1 MiB).
    await new SqsEventPublisher({
      client: emulators.clients.sqs,
      queueUrl: emulators.resources.helpdeskQueueUrl,
      maxMessageBytes: 2048,
      overflow: {
        store: new S3BlobStore(emulators.clients.s3, emulators.resources.bucketName),
        bucket: emulators.resources.bucketName,
      },
    }).publish([theirs, others]);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const bucketKeys = async () =>
    (
      (
        await emulators.clients.s3.send(
          new ListObjectsV2Command({ Bucket: emulators.resources.bucketName, Prefix: 'bodies/' }),
        )
      ).Contents ?? []
    ).map((object) => object.Key ?? '');

  it("exports the person's conversations' claim checks, and only theirs, as objects erasure deletes", async () => {
    // Prepare
    const bucket = emulators.resources.bucketName;
    const theirsPrefix = claimCheckPrefixFor(theirs.subject) ?? 'none';
    const othersPrefix = claimCheckPrefixFor(others.subject) ?? 'none';
    // Act
    const exported = await exportPerson(
      {
        table: context,
        pseudonymKey: localPseudonymKey,
        listObjectsUnder: (prefix) => listPayloadObjectsUnder(emulators.clients.s3, bucket, prefix),
      },
      person,
    );
    // Assess
    const claimChecks = (exported?.objects ?? []).filter((key) => key.startsWith('bodies/events/'));
    expect(claimChecks).toHaveLength(1);
    expect(claimChecks[0]?.startsWith(theirsPrefix)).toBe(true);
    expect(exported?.objects.some((key) => key.startsWith(othersPrefix))).toBe(false);
    expect(await bucketKeys()).toContain(claimChecks[0]);
  });

  it("deletes the person's conversations' claim checks and only theirs, with calls the API's IAM allows", async () => {
    // Prepare
    const before = await bucketKeys();
    const s3Calls = new Set<string>();
    const IAM_ACTION_OF: Record<string, string> = {
      ListObjectsV2Command: 's3:ListBucket',
      DeleteObjectsCommand: 's3:DeleteObject',
    };
    const counting = {
      send: ((command: { constructor: { name: string } }) => {
        s3Calls.add(IAM_ACTION_OF[command.constructor.name] ?? command.constructor.name);
        return emulators.clients.s3.send(command as never);
      }) as S3Client['send'],
    };
    const bucket = emulators.resources.bucketName;
    // Act
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: (keys) => deletePayloadObjects(counting, bucket, keys),
        deleteObjectsUnder: (prefix) => deletePayloadObjectsUnder(counting, bucket, prefix),
      },
      person,
    );
    const after = await bucketKeys();
    // Assess
    const theirsPrefix = claimCheckPrefixFor(theirs.subject) ?? 'none';
    const othersPrefix = claimCheckPrefixFor(others.subject) ?? 'none';
    expect(before.filter((key) => key.startsWith(theirsPrefix))).toHaveLength(1);
    expect(after.filter((key) => key.startsWith(theirsPrefix))).toEqual([]);
    expect(after.filter((key) => key.startsWith(othersPrefix))).toHaveLength(1);
    expect(report?.objectsDeleted).toBe(1);
    // Within the API's grants (aborting uploads: tests/contacts/interrupted-upload-erasure.test.ts).
    expect(HELPDESK_API_PAYLOAD_ACTIONS).toEqual(expect.arrayContaining([...s3Calls]));
    expect([...s3Calls].sort()).toEqual(['s3:DeleteObject', 's3:ListBucket']);
  });
});
