import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_PAYLOAD_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { createWiredHelpdeskApi } from '#shared/api/wiring.ts';
import {
  abortPayloadUploadsUnder,
  deletePayloadObjects,
  deletePayloadObjectsUnder,
} from '#shared/aws/blob-store.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { mediaObjectKey } from '#shared/media/job.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { createMediaFetchStore } from '#shared/store/media-fetches.ts';
import type { TableContext } from '#shared/store/table.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * A multipart upload whose media fetcher was killed (a Lambda timeout, a crash) keeps its parts, which
 * no object listing shows, until the bucket's abort-incomplete-uploads rule a day later. Erasure lists
 * each erased conversation's `attachments/<conversationId>/` with ListMultipartUploads and aborts
 * every upload there (found by a security review: such parts survived an erasure for up to a day).
 * The local S3 (fauxqs 2.4.1) answers ListMultipartUploads with its object listing, which the SDK
 * reads as no upload, so the uploads are a stub S3 here; against the local S3 the call must not fail.
 */

const BUCKET = 'payloads';
const CONVERSATION = `conv_${'0123456789abcdef'.repeat(2)}`;
const PREFIX = `attachments/${CONVERSATION}/`;
/** The stub S3 of uploads (one client, not the class: the local S3's client stays real). */
const stub = new S3Client({ region: 'eu-west-1' });
const s3 = mockClient(stub);
afterEach(() => s3.reset());
afterAll(() => s3.restore());

describe('abortPayloadUploadsUnder', () => {
  it('aborts every upload under the prefix, page by page; one completed meanwhile is no error', async () => {
    // Prepare
    const upload = (message: string, id: string) => ({ Key: `${PREFIX}${message}/0`, UploadId: id });
    s3.on(ListMultipartUploadsCommand)
      .resolvesOnce({
        Uploads: [upload('msg_a', 'u-a'), upload('msg_b', 'u-b')],
        IsTruncated: true,
        NextKeyMarker: `${PREFIX}msg_b/0`,
        NextUploadIdMarker: 'u-b',
      })
      .resolvesOnce({ Uploads: [upload('msg_c', 'u-c')], IsTruncated: false });
    s3.on(AbortMultipartUploadCommand).resolves({});
    s3.on(AbortMultipartUploadCommand, { UploadId: 'u-b' }).rejects(
      Object.assign(new Error('The specified upload does not exist'), { name: 'NoSuchUpload' }),
    );
    // Act
    const aborted = await abortPayloadUploadsUnder(stub, BUCKET, PREFIX);
    // Assess
    expect(aborted).toBe(2);
    expect(s3.commandCalls(ListMultipartUploadsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Prefix: PREFIX, MaxUploads: 1000 },
      {
        Bucket: BUCKET,
        Prefix: PREFIX,
        MaxUploads: 1000,
        KeyMarker: `${PREFIX}msg_b/0`,
        UploadIdMarker: 'u-b',
      },
    ]);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, ...upload('msg_a', 'u-a') },
      { Bucket: BUCKET, ...upload('msg_b', 'u-b') },
      { Bucket: BUCKET, ...upload('msg_c', 'u-c') },
    ]);
  });

  it('stops at a truncated page that names no next position, and fails on any other refusal', async () => {
    // Prepare
    s3.on(ListMultipartUploadsCommand).resolves({ Uploads: [], IsTruncated: true });
    const listed = await abortPayloadUploadsUnder(stub, BUCKET, PREFIX);
    s3.reset();
    s3.on(ListMultipartUploadsCommand).resolves({ Uploads: [{ Key: `${PREFIX}m/0`, UploadId: 'u' }] });
    s3.on(AbortMultipartUploadCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    // Act
    const refused = await abortPayloadUploadsUnder(stub, BUCKET, PREFIX).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    // Assess
    expect(listed).toBe(0);
    expect(refused?.name).toBe('AccessDenied');
  });
});

const PHONE = '306912340455';
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-interrupted' };

const documentMessage = (phone: string, wamid: string): HubEvent => {
  const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
  const at = '2026-11-22T12:00:00.000Z';
  return buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', wamid), {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint,
    contact: { identities },
    conversationId: contactConversationId('whatsapp', endpoint, identities[0]),
    hubMessageId: hubMessageIdFor('whatsapp', wamid),
    direction: 'inbound',
    providerMessageId: wamid,
    providerTimestamp: at,
    receivedAt: at,
    parts: [
      {
        type: 'media',
        kind: 'file',
        mimeType: 'application/pdf',
        ref: { store: 'provider_media_id', mediaId: `media-${wamid}` },
      },
    ],
  });
};

describe('erasure of a person whose attachment upload was interrupted, against the local DynamoDB', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  const theirs = documentMessage(PHONE, 'wamid.interrupted-1');
  const others = documentMessage('306912340499', 'wamid.interrupted-2');
  const person = contactIdFor('whatsapp', { identities: [{ type: 'wa_id', value: PHONE }] }, '');

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    const recorder = quietRecorder(context);
    const claims = createMediaFetchStore(context);
    // Both documents recorded and claimed by a fetcher that then died mid-upload (the claim stays `fetching`).
    for (const event of [theirs, others]) {
      await recorder.recordEvent(event);
      const { hubMessageId, conversationId } = event.data as { hubMessageId: string; conversationId: string };
      const claim = await claims.claim({
        hubMessageId,
        partIndex: 0,
        conversationId,
        key: mediaObjectKey({ conversationId, hubMessageId, partIndex: 0 }),
        token: `dead-${hubMessageId}`,
        staleAfterSeconds: 360,
      });
      expect(claim.kind).toBe('claimed');
    }
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const uploadKeyOf = (event: HubEvent) => {
    const { hubMessageId, conversationId } = event.data as { hubMessageId: string; conversationId: string };
    return mediaObjectKey({ conversationId, hubMessageId, partIndex: 0 });
  };
  const attachmentsOf = (event: HubEvent) =>
    `attachments/${(event.data as { conversationId: string }).conversationId}/`;

  it("aborts the dead fetcher's upload under the person's conversation and no other, with calls the API's IAM allows", async () => {
    // Prepare: the S3 of uploads answers by prefix, as S3 does
    const uploads = [
      { Key: uploadKeyOf(theirs), UploadId: 'u-theirs' },
      { Key: uploadKeyOf(others), UploadId: 'u-others' },
    ];
    s3.on(ListMultipartUploadsCommand).callsFake((input: { Prefix?: string }) => ({
      Uploads: uploads.filter((upload) => upload.Key.startsWith(input.Prefix ?? '')),
      IsTruncated: false,
    }));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const s3Calls = new Set<string>();
    const IAM_ACTION_OF: Record<string, string> = {
      ListObjectsV2Command: 's3:ListBucket',
      DeleteObjectsCommand: 's3:DeleteObject',
      ListMultipartUploadsCommand: 's3:ListBucketMultipartUploads',
      AbortMultipartUploadCommand: 's3:AbortMultipartUpload',
    };
    const counting = (client: S3Client) => ({
      send: ((command: { constructor: { name: string } }) => {
        s3Calls.add(IAM_ACTION_OF[command.constructor.name] ?? command.constructor.name);
        return client.send(command as never);
      }) as S3Client['send'],
    });
    const bucket = emulators.resources.bucketName;
    // Act
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: (keys) => deletePayloadObjects(counting(emulators.clients.s3), bucket, keys),
        deleteObjectsUnder: (prefix) =>
          deletePayloadObjectsUnder(counting(emulators.clients.s3), bucket, prefix),
        abortUploadsUnder: (prefix) => abortPayloadUploadsUnder(counting(stub), bucket, prefix),
      },
      person,
    );
    // Assess
    expect(report).toBeDefined();
    expect(s3.commandCalls(ListMultipartUploadsCommand).map((call) => call.args[0].input.Prefix)).toEqual([
      attachmentsOf(theirs),
    ]);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: bucket, Key: uploadKeyOf(theirs), UploadId: 'u-theirs' },
    ]);
    expect([...s3Calls].sort()).toEqual([...HELPDESK_API_PAYLOAD_ACTIONS].sort());
  });

  it('carries on against the local S3, which lists no upload (fauxqs 2.4.1 has no ListMultipartUploads)', async () => {
    // Prepare: an upload left open in the local S3
    const bucket = emulators.resources.bucketName;
    const key = uploadKeyOf(others);
    await emulators.clients.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    // Act
    const aborted = await abortPayloadUploadsUnder(emulators.clients.s3, bucket, attachmentsOf(others));
    // Assess: no failure; and were the emulator to list uploads, this would say so
    expect(aborted).toBe(0);
  });

  it('aborts it through DELETE /v1/contacts/{contactId} of the wired API, as `npm run erase` erases', async () => {
    // Prepare: uploads from the stub, every other call to the local S3
    s3.on(ListMultipartUploadsCommand).resolves({
      Uploads: [{ Key: uploadKeyOf(others), UploadId: 'u-others' }],
      IsTruncated: false,
    });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const uploadCommands = new Set(['ListMultipartUploadsCommand', 'AbortMultipartUploadCommand']);
    const routed = {
      send: ((command: { constructor: { name: string } }) =>
        (uploadCommands.has(command.constructor.name) ? stub : emulators.clients.s3).send(
          command as never,
        )) as S3Client['send'],
    };
    const { clients, resources } = emulators;
    const api = createWiredHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      dynamodb: clients.dynamodb,
      sqs: clients.sqs,
      s3: routed,
      tableName: resources.tableName,
      payloadBucket: resources.bucketName,
      helpdeskQueueUrl: resources.helpdeskQueueUrl,
      outboxQueueUrl: resources.outboxQueueUrl,
      logger: createLogger({ level: 'error', write: () => undefined }),
    });
    const erased = contactIdFor('whatsapp', { identities: [{ type: 'wa_id', value: '306912340499' }] }, '');
    // Act
    const response = await api({
      method: 'DELETE',
      path: `/v1/contacts/${erased}`,
      query: {},
      headers: {},
      principal: 'operator:test',
    });
    // Assess
    expect(response.status).toBe(200);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: resources.bucketName, Key: uploadKeyOf(others), UploadId: 'u-others' },
    ]);
  });
});
