import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { RECORDER_TABLE_ACTIONS } from '#infra/constructs/recorder.ts';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { deduplicationIdOf } from '#shared/aws/event-publisher.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { InMemoryReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import { parseSesReceiptEvent } from '#shared/channels/email/inbound/ses.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { processSesReceipts } from '#shared/intake/process-ses-email.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { kindOfKey, unreadableEmailTombstoneKey } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { sqsEvent } from '#tests/recorder/factories.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT, webhookRequest } from '#tests/support/requests.ts';

/*
 * E-mail the hub cannot read becomes a `provider.unsupported` event naming its raw object, which no
 * message record names. Where the hub still knows the sender (SES's commonHeaders.from, Mailgun's
 * `from` field, the From a parse found, the envelope sender), the recorder files the object under
 * them, and erasing them deletes it (until 2026-12-03 it stayed until the bucket's lifecycle took
 * it, found by a review). Mail from nobody the hub knows stays as it was. Erasure leaves a tombstone
 * without the address, so a redelivery of the event does not file the object under the sender again.
 * A receipt of a recorded e-mail that the recorder skips (SES's second receipt of one mail, Mailgun's
 * post of it for a second business address) is filed the same way: the objects it stored that the
 * record does not name (until 2026-12-05 only SES's second raw object, found by a review).
 */
const sesFixture = JSON.parse(
  readFileSync(join(EVENTS_DIR, 'email/ses-receipt-event.envelope.json'), 'utf8'),
) as { Records: [{ ses: { mail: Record<string, unknown> } }] };
/** More lines than the hub parses (MAX_LINES): kept as `provider.unsupported`, `email.too_many_lines`. */
const unreadable = (marker: string) => Buffer.from(`Subject: ${marker}\r\n\r\n${'\n'.repeat(200_001)}`);
/** Senders at domains of their own (an address at a reserved domain is a placeholder: nobody to erase). */
const MARIA = 'maria.keller@keller-family.eu';
const readable = Buffer.from(
  [
    `From: Maria Keller <${MARIA}>`,
    'To: support@switchboard.example',
    'Subject: canary-unreadable-Rd5',
    'Message-ID: <readable-1@keller-family.eu>',
    '',
    'canary-unreadable-Rd5 hello',
    '',
  ].join('\r\n'),
);

const personOf = (address: string): string =>
  contactIdFor('email', { identities: [{ type: 'email', value: address }] }, '');

/** The SES fixture's receipt for another message id, From header and envelope sender. */
const sesReceipt = (messageId: string, from: string | undefined, source: string) => {
  const event = structuredClone(sesFixture);
  const mail = event.Records[0].ses.mail;
  mail.messageId = messageId;
  mail.source = source;
  mail.commonHeaders = from === undefined ? {} : { from: [from] };
  return parseSesReceiptEvent(event, FIXTURE_RECEIVED_AT);
};

const mailgunPost = (fields: [string, string | Buffer][], token: string) => {
  const timestamp = String(Math.floor(FIXTURE_RECEIVED_AT.getTime() / 1000));
  const boundary = 'mg-unreadable';
  const all: [string, string | Buffer][] = [
    ['timestamp', timestamp],
    ['token', token],
    ['signature', signMailgun(LOCAL_DEV_SECRETS.mailgun.signingKey, timestamp, token)],
    ...fields,
  ];
  return webhookRequest({
    path: '/webhooks/email/mailgun',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat([
      ...all.flatMap(([name, value]) => [
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
        Buffer.from(value),
        Buffer.from('\r\n'),
      ]),
      Buffer.from(`--${boundary}--\r\n`),
    ]),
  });
};

/** Jonas writes one mail with an attachment to two business addresses: Mailgun posts it once for each. */
const JONAS = 'jonas.berg@berg-family.eu';
const toTwoAddresses = (messageId: string, marker: string) =>
  Buffer.from(
    [
      `From: Jonas Berg <${JONAS}>`,
      'To: sales@switchboard.example, support@switchboard.example',
      `Subject: ${marker}`,
      `Message-ID: <${messageId}@berg-family.eu>`,
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `${marker} my passport scan attached`,
      '--b',
      'Content-Type: image/png',
      'Content-Disposition: attachment; filename="passport.png"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(`${marker}-passport-bytes`).toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );

describe('erasure reaches the raw object of e-mail the hub could not read', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  let payloads: S3BlobStore;
  /** What the recorder published to the helpdesk. */
  const published: HubEvent[] = [];
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void logLines.push(line) });
  /** Every DynamoDB action sent, by whom, to hold against their IAM grants. */
  const calls = { recorder: new Set<string>(), erasure: new Set<string>(), test: new Set<string>() };
  let caller: keyof typeof calls = 'recorder';
  /** The erasure's BatchWriteItem requests, in the order sent (each as its JSON). */
  const erasureBatches: string[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    emulators.clients.dynamodb.middlewareStack.add(
      (next, handlerContext) => async (args) => {
        calls[caller].add(`dynamodb:${String(handlerContext.commandName).replace(/Command$/, '')}`);
        if (caller === 'erasure' && handlerContext.commandName === 'BatchWriteItemCommand')
          erasureBatches.push(JSON.stringify(args.input));
        return next(args);
      },
      { step: 'initialize', name: 'recordTableCalls' },
    );
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async (events) => void published.push(...events) },
      clock: () => new Date(),
      logger,
    });
    payloads = new S3BlobStore(emulators.clients.s3, PAYLOAD_BUCKET.name);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const record = async (events: readonly HubEvent[]) => {
    caller = 'recorder';
    for (const event of events) await recorder.recordEvent(event);
  };
  const erase = async (contactId: string) => {
    caller = 'erasure';
    return erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: async (keys) => {
          if (keys.length === 0) return;
          await emulators.clients.s3.send(
            new DeleteObjectsCommand({
              Bucket: PAYLOAD_BUCKET.name,
              Delete: { Objects: keys.map((Key) => ({ Key })) },
            }),
          );
        },
      },
      contactId,
    );
  };
  /** An export is the helpdesk API's, as an erasure is: its calls are held against that role, not the recorder's. */
  const exportOf = async (contactId: string) => {
    caller = 'erasure';
    return exportPerson({ table: context, pseudonymKey: localPseudonymKey }, contactId);
  };
  /**
   * Mailgun's post of Jonas's mail for one business address, as the webhook takes it: its objects
   * stored (the attachment under the post's own conversation), its events to queue.
   */
  const takePost = async (recipient: string, mime: Buffer, token: string) => {
    const outcome = await handleMailgunWebhook(
      mailgunPost(
        [
          ['recipient', recipient],
          ['sender', JONAS],
          ['from', `Jonas Berg <${JONAS}>`],
          ['body-mime', mime],
        ],
        token,
      ),
      {
        secrets: LOCAL_DEV_SECRETS,
        replayGuard: new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime()),
      },
    );
    if (outcome.kind !== 'accept') throw new Error('not accepted');
    for (const blob of outcome.blobs) await payloads.put(blob);
    const keys = outcome.blobs.map((blob) => blob.key);
    const attachmentKey = keys.find((key) => key.startsWith(PAYLOAD_BUCKET.prefixes.attachments));
    const [event] = outcome.events;
    if (attachmentKey === undefined || event === undefined) throw new Error('no attachment or event');
    return { event, rawKey: keys[0] ?? '', attachmentKey };
  };
  /** The unreadable e-mail items of an export, each as its JSON. */
  const filedIn = (exported: Awaited<ReturnType<typeof exportPerson>>): string[] =>
    (exported?.items ?? [])
      .filter((entry) => entry.kind === 'unreadableEmail')
      .map((entry) => JSON.stringify(entry.item));
  const bucketKeys = async () =>
    (
      (await emulators.clients.s3.send(new ListObjectsV2Command({ Bucket: PAYLOAD_BUCKET.name }))).Contents ??
      []
    ).map((object) => object.Key);
  const tableText = async () => {
    caller = 'test';
    return JSON.stringify(
      ((await context.client.send(new ScanCommand({ TableName: context.tableName }))).Items ?? []).map(
        (raw) => unmarshall(raw),
      ),
      (_key, value) => (value instanceof Set ? [...value] : value),
    );
  };

  it('SES: the sender its receipt names (commonHeaders.from) is erased with the raw object; mail from nobody stays', async () => {
    // Prepare: an unreadable mail from Jane (From header; the envelope sender is a bounce address
    // of her provider), and one with neither a From header nor an envelope sender (a bounce).
    const sender = 'jane.roe@roe-mail.eu';
    const known = sesReceipt('ses-unreadable-1', 'Jane Roe <Jane.Roe@Roe-Mail.eu>', 'bounces@mailer.example');
    const nobody = sesReceipt('ses-unreadable-2', undefined, '');
    const queued: HubEvent[] = [];
    for (const [receipt, marker] of [
      [known, 'canary-unreadable-Jr1'],
      [nobody, 'canary-unreadable-Nb2'],
    ] as const) {
      const [first] = receipt;
      if (!first) throw new Error('no receipt');
      await payloads.put({ key: first.objectKey, contentType: 'message/rfc822', bytes: unreadable(marker) });
    }
    await processSesReceipts([...known, ...nobody], {
      payloads,
      publisher: { publish: async (events) => void queued.push(...events) },
      logger,
      normalize: normalizeInboundEmail,
      replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
    });
    await record(queued);
    // Act
    const exported = await exportOf(personOf(sender));
    const report = await erase(personOf(sender));
    const objects = await bucketKeys();
    const table = await tableText();
    // Assess
    expect(queued.map((event) => event.type)).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.provider.unsupported',
    ]);
    expect(queued[0]?.data).toMatchObject({ contact: { identities: [{ type: 'email', value: sender }] } });
    expect(queued[1]?.data).not.toHaveProperty('contact');
    expect(exported?.objects).toEqual(['ses-inbound/ses-unreadable-1']);
    expect(exported?.items.map((entry) => entry.kind)).toEqual(['unreadableEmail']);
    expect(report).toMatchObject({ itemsDeleted: 1, objectsDeleted: 1 });
    expect(objects).not.toContain('ses-inbound/ses-unreadable-1');
    // Nobody to erase it for: it goes with the bucket's lifecycle, as before.
    expect(objects).toContain('ses-inbound/ses-unreadable-2');
    expect(table).not.toContain(sender);
    expect(table).not.toContain('ses-unreadable-1');
  });

  it("Mailgun: the `from` field's sender, who also wrote a readable mail, is erased with both raw objects", async () => {
    // Prepare: a readable mail and an unreadable one from Maria, each posted with its raw MIME.
    const fields = (mime: Buffer, from: string): [string, string | Buffer][] => [
      ['recipient', 'support@switchboard.example'],
      ['sender', 'bounce-7@mailer.example'],
      ['from', from],
      ['body-mime', mime],
    ];
    const queued: HubEvent[] = [];
    const rawKeys: string[] = [];
    for (const [request, token] of [
      [fields(readable, `Maria Keller <${MARIA}>`), 'token-unreadable-readable-0001'],
      [
        fields(unreadable('canary-unreadable-Mk3'), `"Keller, Maria" <Maria.Keller@Keller-Family.eu>`),
        'token-unreadable-0002',
      ],
    ] as const) {
      const outcome = await handleMailgunWebhook(mailgunPost([...request], token), {
        secrets: LOCAL_DEV_SECRETS,
        replayGuard: new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime()),
      });
      if (outcome.kind !== 'accept') throw new Error('not accepted');
      for (const blob of outcome.blobs) await payloads.put(blob);
      rawKeys.push(outcome.blobs[0]?.key ?? '');
      queued.push(...outcome.events);
    }
    await record(queued);
    const unsupported = queued.find((event) => event.type === 'switchboard.provider.unsupported');
    // Act
    const report = await erase(personOf(MARIA));
    const objects = await bucketKeys();
    const table = await tableText();
    // Assess
    expect(unsupported?.data).toMatchObject({ contact: { identities: [{ type: 'email', value: MARIA }] } });
    expect(rawKeys.every((key) => key.startsWith(PAYLOAD_BUCKET.prefixes.rawEmail))).toBe(true);
    for (const key of rawKeys) expect(objects).not.toContain(key);
    expect(report?.objectsDeleted).toBe(2);
    expect(table).not.toContain(MARIA);
    expect(table).not.toContain(rawKeys[1]);
  });

  it('a mail the hub parsed but could place nowhere (no business recipient) is filed under its From', async () => {
    // Prepare: no envelope recipient and no To or Cc: `email.without_parties`.
    const sender = 'lone.sender@lone-mail.eu';
    const mime = Buffer.from(
      `From: Lone <${sender}>\r\nSubject: canary-unreadable-Ls4\r\nMessage-ID: <lone-1@lone-mail.eu>\r\n\r\nhello\r\n`,
    );
    const { events, blobs } = await normalizeInboundEmail(mime, {
      provider: 'ses',
      receivedAt: FIXTURE_RECEIVED_AT,
      envelopeRecipients: [],
      envelopeSender: '',
      rawMimeKey: 'ses-inbound/ses-unreadable-3',
    });
    await payloads.put({ key: 'ses-inbound/ses-unreadable-3', contentType: 'message/rfc822', bytes: mime });
    await record(events);
    // Act
    await erase(personOf(sender));
    // Assess
    expect(blobs).toEqual([]);
    expect(events[0]?.data).toMatchObject({
      providerType: 'email.without_parties',
      contact: { identities: [{ type: 'email', value: sender }] },
    });
    expect(await bucketKeys()).not.toContain('ses-inbound/ses-unreadable-3');
    expect(await tableText()).not.toContain(sender);
  });

  it("a redelivery of the event after the sender's erasure leaves no item with the address and is acked unpublished", async () => {
    // Prepare: an unreadable mail from Rosa, recorded (filed under her), then Rosa erased.
    const sender = 'rosa.vogel@vogel-post.eu';
    const rawMimeKey = 'ses-inbound/ses-unreadable-5';
    const receipt = sesReceipt('ses-unreadable-5', 'Rosa Vogel <Rosa.Vogel@Vogel-Post.eu>', sender);
    await payloads.put({
      key: rawMimeKey,
      contentType: 'message/rfc822',
      bytes: unreadable('canary-unreadable-Rv5'),
    });
    const queued: HubEvent[] = [];
    await processSesReceipts(receipt, {
      payloads,
      publisher: { publish: async (events) => void queued.push(...events) },
      logger,
      normalize: normalizeInboundEmail,
      replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
    });
    await record(queued);
    const filed = await tableText();
    erasureBatches.length = 0;
    const report = await erase(personOf(sender));
    published.length = 0;
    // Act: the ingest queue delivers the same event again (its first receive's answer was lost).
    caller = 'recorder';
    const response = await recorder.handleSqsEvent(
      sqsEvent(
        queued.map((event, index) => ({ id: `rv5-${index}`, group: 'rv5', body: JSON.stringify(event) })),
      ),
    );
    const table = await tableText();
    // Assess
    expect(queued.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
    expect(filed).toContain(sender);
    // Acked without error, and no item holds her address (nor names the deleted object).
    expect(response.batchItemFailures).toEqual([]);
    expect(table.toLowerCase()).not.toContain(sender);
    expect(table).not.toContain(rawMimeKey);
    // Skipped as a replay of an erased message is: not published (the event names the address).
    expect(published).toEqual([]);
    expect(await bucketKeys()).not.toContain(rawMimeKey);
    expect(report).toMatchObject({ itemsDeleted: 1, objectsDeleted: 1, tombstones: 1 });
    // What stops it: a bare tombstone under the hash of the object's key (no address, no key).
    const tombstone = JSON.parse(table).find(
      (item: { pk: string; sk: string }) =>
        item.pk === unreadableEmailTombstoneKey(rawMimeKey).pk && item.sk === 'ERASED',
    );
    expect(tombstone).toMatchObject({ erased: true, expiresAt: expect.any(Number) });
    expect(Object.keys(tombstone).sort()).toEqual(['erased', 'expiresAt', 'pk', 'sk']);
    expect(kindOfKey(tombstone)).toBe('unreadableEmailTombstone');
    // Sent in a batch before the one deleting the item: DynamoDB applies a batch's requests in no
    // stated order, and may leave the tombstone unprocessed after the delete went through.
    const tombstoneBatch = erasureBatches.findIndex((batch) =>
      batch.includes(`"PutRequest":{"Item":{"pk":{"S":"${unreadableEmailTombstoneKey(rawMimeKey).pk}"`),
    );
    const deleteBatch = erasureBatches.findIndex(
      (batch) => batch.includes('"DeleteRequest"') && batch.includes('"sk":{"S":"UNREADABLE#'),
    );
    expect(tombstoneBatch).toBeGreaterThanOrEqual(0);
    expect(deleteBatch).toBeGreaterThan(tombstoneBatch);
  });

  it('a new unreadable mail from an erased sender is filed under them again (only the erased object is stopped)', async () => {
    // Prepare: Rosa, erased above, writes again; the hub cannot read this mail either.
    const sender = 'rosa.vogel@vogel-post.eu';
    const receipt = sesReceipt('ses-unreadable-6', `Rosa Vogel <${sender}>`, sender);
    await payloads.put({
      key: 'ses-inbound/ses-unreadable-6',
      contentType: 'message/rfc822',
      bytes: unreadable('canary-unreadable-Rv6'),
    });
    const queued: HubEvent[] = [];
    await processSesReceipts(receipt, {
      payloads,
      publisher: { publish: async (events) => void queued.push(...events) },
      logger,
      normalize: normalizeInboundEmail,
      replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
    });
    published.length = 0;
    // Act
    await record(queued);
    const exported = await exportOf(personOf(sender));
    await erase(personOf(sender));
    // Assess
    expect(published.map((event) => event.id)).toEqual(queued.map((event) => event.id));
    expect(exported?.objects).toEqual(['ses-inbound/ses-unreadable-6']);
    expect((await tableText()).toLowerCase()).not.toContain(sender);
  });

  it('SES received one mail twice: the second raw object passes the queue, and erasure deletes both', async () => {
    // Prepare: Lena's readable mail (with a Message-ID), received twice by SES (the sending
    // server retried after a lost answer): two receipts, two raw objects, one event id.
    const sender = 'lena.brandt@brandt-mail.eu';
    const mime = Buffer.from(
      [
        `From: Lena Brandt <${sender}>`,
        'To: support@switchboard.example',
        'Subject: canary-unreadable-Lb7',
        'Message-ID: <twice-1@brandt-mail.eu>',
        '',
        'canary-unreadable-Lb7 hello',
        '',
      ].join('\r\n'),
    );
    const keys = ['ses-inbound/ses-twice-1', 'ses-inbound/ses-twice-2'];
    const queued: HubEvent[] = [];
    for (const [index, key] of keys.entries()) {
      await payloads.put({ key, contentType: 'message/rfc822', bytes: mime });
      await processSesReceipts(sesReceipt(`ses-twice-${index + 1}`, `Lena Brandt <${sender}>`, sender), {
        payloads,
        publisher: { publish: async (events) => void queued.push(...events) },
        logger,
        normalize: normalizeInboundEmail,
        replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
      });
    }
    const [first, second] = queued;
    if (!first || !second) throw new Error('two events expected');
    published.length = 0;
    // Act: both receipts, and a redelivery of the first (its object is the record's)
    await record([...queued, first]);
    const exported = await exportOf(personOf(sender));
    const report = await erase(personOf(sender));
    const objects = await bucketKeys();
    // SES's receipts delivered again after the erasure: nothing of hers comes back
    await record([second, first]);
    // Assess: one message, one event id; the queue tells the receipts apart, not a retry of one.
    expect(queued.map((event) => [event.type, event.id])).toEqual([
      ['switchboard.message.received', first.id],
      ['switchboard.message.received', first.id],
    ]);
    expect(deduplicationIdOf(first)).not.toBe(deduplicationIdOf(second));
    expect(deduplicationIdOf(structuredClone(first))).toBe(deduplicationIdOf(first));
    expect(
      published.filter((event) => event.type === 'switchboard.message.received').map((event) => event.id),
    ).toEqual([first.id]);
    expect([...(exported?.objects ?? [])].sort()).toEqual(keys);
    expect(exported?.items.filter((entry) => entry.kind === 'unreadableEmail')).toHaveLength(1);
    expect(report?.objectsDeleted).toBe(2);
    for (const key of keys) expect(objects).not.toContain(key);
    expect((await tableText()).toLowerCase()).not.toContain(sender);
  });

  it("Mailgun posted one mail for two business addresses: the skipped post's objects are filed, and erasure deletes every copy", async () => {
    // Prepare: the webhook took Mailgun's posts for sales@ and support@ (the same ids; each stored
    // the attachment under its own conversation, the raw MIME under its content)
    const mime = toTwoAddresses('second-post-1', 'canary-second-post-Jb8');
    const sales = await takePost('sales@switchboard.example', mime, 'token-second-post-0001');
    const support = await takePost('support@switchboard.example', mime, 'token-second-post-0002');
    // Act: sales@'s post recorded, support@'s skipped, sales@'s delivered again; Jonas exported and
    // erased; then both posts delivered again
    await record([sales.event, support.event, sales.event]);
    const exported = await exportOf(personOf(JONAS));
    const report = await erase(personOf(JONAS));
    const objects = await bucketKeys();
    await record([support.event, sales.event]);
    const table = await tableText();
    // Assess
    expect(support.attachmentKey).not.toBe(sales.attachmentKey);
    expect(support.rawKey).toBe(sales.rawKey);
    expect([...(exported?.objects ?? [])].sort()).toEqual(
      [sales.rawKey, sales.attachmentKey, support.attachmentKey].sort(),
    );
    // One item, for the skipped post, naming only what the record does not (the redelivery of the
    // recorded post filed nothing).
    const filed = filedIn(exported);
    expect(filed).toHaveLength(1);
    expect(filed[0]).toContain(support.attachmentKey);
    expect(filed[0]).not.toContain(sales.attachmentKey);
    expect(filed[0]).not.toContain(sales.rawKey);
    expect(report?.objectsDeleted).toBe(3);
    for (const key of [sales.rawKey, sales.attachmentKey, support.attachmentKey])
      expect(objects).not.toContain(key);
    // Delivered again after the erasure: nothing of his comes back.
    expect(table.toLowerCase()).not.toContain(JONAS);
    expect(table).not.toContain(support.attachmentKey);
  });

  it('a post skipped while the conversation that claimed the mail has not recorded it files every object it names but the raw MIME', async () => {
    // Prepare: sales@'s delivery claimed the mail, then failed before its record
    const mime = toTwoAddresses('second-post-2', 'canary-second-post-Jb9');
    const sales = await takePost('sales@switchboard.example', mime, 'token-second-post-0003');
    const support = await takePost('support@switchboard.example', mime, 'token-second-post-0004');
    const failing = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger,
      afterStep: (step) => {
        if (step === 'claim-message') throw new Error('Lambda timed out');
      },
    });
    caller = 'recorder';
    await expect(failing.recordEvent(sales.event)).rejects.toThrow('Lambda timed out');
    // Act: support@'s post finds sales@'s claim; sales@'s delivered again; Jonas exported and erased
    await record([support.event, sales.event]);
    const exported = await exportOf(personOf(JONAS));
    await erase(personOf(JONAS));
    const objects = await bucketKeys();
    // Assess: its attachment is filed; the raw MIME, content-addressed, is the record's (one key for
    // both posts) and not filed; erasure deletes each once.
    const filed = filedIn(exported);
    expect(filed).toHaveLength(1);
    expect(support.rawKey).toBe(sales.rawKey);
    expect(filed[0]).toContain(support.attachmentKey);
    expect(filed[0]).not.toContain(support.rawKey);
    for (const key of [sales.rawKey, sales.attachmentKey, support.attachmentKey])
      expect(objects).not.toContain(key);
    expect((await tableText()).toLowerCase()).not.toContain(JONAS);
  });

  it('a skipped post naming more objects than one item lists files the first 128 and logs how many it left', async () => {
    // Prepare: a recorded mail, and a post of it naming 150 more attachments (the webhook lists
    // 100 at most; a message put on the queue by other means could name any number)
    const mime = toTwoAddresses('second-post-3', 'canary-second-post-Jb10');
    const sales = await takePost('sales@switchboard.example', mime, 'token-second-post-0005');
    const support = await takePost('support@switchboard.example', mime, 'token-second-post-0006');
    const forged = Array.from(
      { length: 150 },
      (_, index) => `${PAYLOAD_BUCKET.prefixes.attachments}forged/${String(index).padStart(3, '0')}`,
    );
    const many = structuredClone(support.event) as HubEvent & {
      data: { email: { attachments: unknown[] } };
    };
    many.data.email.attachments = forged.map((key) => ({
      type: 'media',
      kind: 'file',
      ref: { store: 's3', key },
    }));
    logLines.length = 0;
    // Act
    await record([sales.event, many]);
    const exported = await exportOf(personOf(JONAS));
    await erase(personOf(JONAS));
    // Assess: its own attachment (in its parts) and the first 127 forged keys, in key order
    const [filed] = filedIn(exported);
    expect(filed).toContain(support.attachmentKey);
    expect(filed).toContain(forged[126]);
    expect(filed).not.toContain(forged[127]);
    const warning = logLines.map((line) => JSON.parse(line)).find((entry) => entry.level === 'warn');
    expect(warning).toMatchObject({ eventId: support.event.id, blobCount: 23 });
    expect((await tableText()).toLowerCase()).not.toContain(JONAS);
  });

  it('writes and erases within the IAM grants, and logs no address', () => {
    // Assess (after the scenarios above)
    expect(calls.recorder).toContain('dynamodb:PutItem');
    for (const action of calls.recorder)
      expect(RECORDER_TABLE_ACTIONS as readonly string[]).toContain(action);
    for (const action of calls.erasure)
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(action);
    const logs = logLines.join('\n').toLowerCase();
    expect(calls.recorder).toContain('dynamodb:GetItem');
    for (const address of [
      'jane.roe@',
      'maria.keller@',
      'lone.sender@',
      'rosa.vogel@',
      'lena.brandt@',
      'jonas.berg@',
      'canary-unreadable',
      'canary-second-post',
    ])
      expect(logs).not.toContain(address);
    expect(kindOfKey({ pk: 'CONTACT#email#email:a@b.example', sk: 'UNREADABLE#00' })).toBe('unreadableEmail');
  });
});
