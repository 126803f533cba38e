import { BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { abortPayloadUploadsUnder, deletePayloadObjectsUnder } from '#shared/aws/blob-store.ts';
import { conversationObjectPrefixes } from '#shared/aws/payload-keys.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  emailThreadConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
  outboundHubMessageId,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { readContactConsent } from '#shared/store/contacts.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import { createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Right of access and erasure for one person across channels, against the local DynamoDB and S3:
 * the export holds every canary; after erasure a scan of the table and the bucket finds none, a
 * replayed old webhook (a message, a STOP) does not bring them back, a STOP still counts, and a new message starts afresh.
 */
const PHONE = '306912340200';
const CANARY = 'canary-erasure-7Qx';
const whatsappEndpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-erasure' };
const smsEndpoint = { type: 'phone_number' as const, id: '+15550000200' };
const attachmentKey = `${PAYLOAD_BUCKET.prefixes.attachments}${CANARY}.pdf`;
/** Someone else's object, whose key the person types into a message: erasing them must not delete it. */
const othersKey = `${PAYLOAD_BUCKET.prefixes.attachments}someone-else.pdf`;

const whatsappMessage = (
  wamid: string,
  at: string,
  text: string,
  direction: 'inbound' | 'outbound' = 'inbound',
  phone = PHONE,
): HubEvent => {
  const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
  return buildEvent(
    direction === 'inbound' ? 'switchboard.message.received' : 'switchboard.message.sent',
    eventIdFor('whatsapp', 'message', wamid),
    {
      channel: 'whatsapp',
      provider: 'meta',
      endpoint: whatsappEndpoint,
      contact: { identities, displayName: phone === PHONE ? `${CANARY} name` : 'Other' },
      conversationId: contactConversationId('whatsapp', whatsappEndpoint, identities[0]),
      hubMessageId: hubMessageIdFor('whatsapp', wamid),
      direction,
      providerMessageId: wamid,
      providerTimestamp: at,
      receivedAt: at,
      parts: [
        { type: 'text', text },
        ...(phone === PHONE
          ? [
              {
                type: 'media' as const,
                kind: 'file' as const,
                ref: { store: 's3' as const, key: attachmentKey },
              },
            ]
          : []),
      ],
    },
  );
};

const smsStop = (at: string, phone = PHONE, trigger: 'STOP' | 'START' = 'STOP'): HubEvent => {
  const identities: [ChannelIdentity] = [{ type: 'phone', value: `+${phone}` }];
  return buildEvent('switchboard.contact.consent_changed', eventIdFor('sms', 'consent', phone, trigger, at), {
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    contact: { identities },
    conversationId: contactConversationId('sms', smsEndpoint, identities[0]),
    providerTimestamp: at,
    receivedAt: at,
    scope: 'sms',
    consent: trigger === 'STOP' ? 'opted_out' : 'opted_in',
    trigger,
  });
};

const smsMessage = (sid: string, at: string): HubEvent => {
  const identities: [ChannelIdentity] = [{ type: 'phone', value: `+${PHONE}` }];
  return buildEvent('switchboard.message.received', eventIdFor('sms', 'message', sid), {
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    contact: { identities },
    conversationId: contactConversationId('sms', smsEndpoint, identities[0]),
    hubMessageId: hubMessageIdFor('sms', sid),
    direction: 'inbound',
    providerMessageId: sid,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: `${CANARY} by sms` }],
  });
};

describe('export and erasure of one person across channels', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  const person = contactIdFor('sms', { identities: [{ type: 'phone', value: `+${PHONE}` }] }, '');
  const oldMessage = whatsappMessage('wamid.erasure-1', minute(1), `${CANARY} hello`);

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = quietRecorder(context);
    await emulators.clients.s3.send(
      new PutObjectCommand({ Bucket: PAYLOAD_BUCKET.name, Key: attachmentKey, Body: `%PDF ${CANARY}` }),
    );
    await emulators.clients.s3.send(
      new PutObjectCommand({ Bucket: PAYLOAD_BUCKET.name, Key: othersKey, Body: '%PDF other' }),
    );
    for (const event of [
      oldMessage,
      whatsappMessage('wamid.erasure-3', minute(1), othersKey),
      whatsappMessage('wamid.erasure-2', minute(2), `${CANARY} answer`, 'outbound'),
      smsMessage('SMerasure1', minute(3)),
      smsStop(minute(4)),
    ])
      await recorder.recordEvent(event);
    // Someone else, who must survive.
    await recorder.recordEvent(
      whatsappMessage('wamid.erasure-other', minute(1), 'another customer', 'inbound', '306912340299'),
    );
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const tableText = async () => {
    const output = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    return JSON.stringify(
      (output.Items ?? []).map((raw) => unmarshall(raw)),
      (_key, value) => (value instanceof Set ? [...value] : value),
    );
  };
  const bucketKeys = async () =>
    (
      (await emulators.clients.s3.send(new ListObjectsV2Command({ Bucket: PAYLOAD_BUCKET.name }))).Contents ??
      []
    ).map((object) => object.Key);

  it('exports every item and object of the person, on both channels', async () => {
    // Act
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, person);
    // Assess
    const text = JSON.stringify(exported);
    expect(text).toContain(`${CANARY} hello`);
    expect(text).toContain(`${CANARY} answer`);
    expect(text).toContain(`${CANARY} by sms`);
    expect(text).toContain(`${CANARY} name`);
    expect(text).toContain(PHONE);
    expect(exported?.objects).toEqual([attachmentKey]);
    expect(new Set(exported?.items.map((entry) => entry.kind))).toEqual(
      new Set(['conversation', 'message', 'contact', 'identity', 'identityClaim', 'consentChange']),
    );
    expect(text).not.toContain('another customer');
  });

  it('erases them from the table and the bucket; a replayed webhook brings nothing back, a STOP still counts, a new message starts afresh', async () => {
    // Act
    const erasureCalls = new Set<string>();
    const counting = {
      ...context,
      client: {
        send: ((command: { constructor: { name: string } }) => {
          erasureCalls.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
          return context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    };
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: counting,
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
      person,
    );
    const afterErasure = await tableText();
    const objectsAfter = await bucketKeys();
    await recorder.recordEvent(oldMessage);
    await recorder.recordEvent(smsStop(minute(4)));
    const afterReplay = await tableText();
    const consent = await readContactConsent(
      context,
      localPseudonymKey,
      contactKeyFor('sms', { identities: [{ type: 'phone', value: `+${PHONE}` }] }),
    );
    await recorder.recordEvent(whatsappMessage('wamid.erasure-new', minute(60), 'a fresh start'));
    const afresh = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, person);
    // Assess
    expect(report).toMatchObject({ objectsDeleted: 1, optOutsKept: 1 });
    // Nothing the helpdesk API's IAM policy (which erases) does not allow.
    for (const action of erasureCalls)
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(action);
    expect(erasureCalls).toContain('dynamodb:BatchWriteItem');
    expect(report?.itemsDeleted).toBeGreaterThan(5);
    for (const text of [afterErasure, afterReplay]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(PHONE);
    }
    expect(afterErasure).toContain('another customer');
    expect(objectsAfter).not.toContain(attachmentKey);
    expect(objectsAfter).toContain(othersKey);
    expect(consent.smsConsent?.consent).toBe('opted_out');
    expect(JSON.stringify(afresh)).toContain('a fresh start');
    expect(JSON.stringify(afresh)).not.toContain(`${CANARY} hello`);
    expect(JSON.stringify(afresh)).not.toContain(`${CANARY} by sms`);
  });

  it('reaches a person known only by a consent event (a STOP to a campaign, no conversation)', async () => {
    // Prepare
    const phone = '306912340777';
    await recorder.recordEvent(smsStop(minute(5), phone));
    const stranger = contactIdFor('sms', { identities: [{ type: 'phone', value: `+${phone}` }] }, '');
    // Act
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, stranger);
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      stranger,
    );
    await recorder.recordEvent(smsStop(minute(5), phone));
    const after = await tableText();
    const consent = await readContactConsent(
      context,
      localPseudonymKey,
      contactKeyFor('sms', { identities: [{ type: 'phone', value: `+${phone}` }] }),
    );
    // Assess
    expect(new Set(exported?.items.map((entry) => entry.kind))).toEqual(
      new Set(['contact', 'identity', 'consentChange']),
    );
    expect(report).toMatchObject({ optOutsKept: 1 });
    expect(after).not.toContain(phone);
    expect(consent.smsConsent?.consent).toBe('opted_out');
  });

  it('merges what a second erasure keeps with the first’s: a late retry of the first STOP still brings nothing back', async () => {
    // Prepare: a STOP, an erasure, then a START (the contact comes back with it), erased again.
    const phone = '306912340778';
    const person = contactIdFor('sms', { identities: [{ type: 'phone', value: `+${phone}` }] }, '');
    const erase = () =>
      erasePerson({ pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} }, person);
    await recorder.recordEvent(smsStop(minute(5), phone));
    await erase();
    await recorder.recordEvent(smsStop(minute(6), phone, 'START'));
    await erase();
    // Act: Twilio retries the first STOP's webhook late.
    await recorder.recordEvent(smsStop(minute(5), phone));
    const after = await tableText();
    const consent = await readContactConsent(
      context,
      localPseudonymKey,
      contactKeyFor('sms', { identities: [{ type: 'phone', value: `+${phone}` }] }),
    );
    // Assess: the retry is known and recorded nowhere; the START, the later word, stands.
    expect(after).not.toContain(phone);
    expect(consent.smsConsent?.consent).not.toBe('opted_out');
  });

  it('keeps the ids of consent events that moved no register: a retry of one stale on arrival brings nothing back', async () => {
    // Prepare: a STOP, then a START dated before it (stale on arrival: in the ledger, no register moved)
    const phone = '306912340779';
    const person = contactIdFor('sms', { identities: [{ type: 'phone', value: `+${phone}` }] }, '');
    await recorder.recordEvent(smsStop(minute(5), phone));
    await recorder.recordEvent(smsStop(minute(3), phone, 'START'));
    const before = await tableText();
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      person,
    );
    // Act: Twilio retries the stale START late
    await recorder.recordEvent(smsStop(minute(3), phone, 'START'));
    // Assess: it was entered in the ledger; after the erasure, its retry is recorded nowhere
    expect(before.match(/CONSENT#/g)?.length).toBe(2);
    expect(await tableText()).not.toContain(phone);
  });

  /** A WhatsApp customer `phone` with one recorded message saying `text`; their person id. */
  const customerWith = async (phone: string, wamid: string, text: string) => {
    await recorder.recordEvent(whatsappMessage(wamid, minute(10), text, 'inbound', phone));
    return contactIdFor('sms', { identities: [{ type: 'phone', value: `+${phone}` }] }, '');
  };
  const noObjects = async () => undefined;

  it('erases the messages of a person known only by a placeholder (a withheld caller id), and exports them', async () => {
    // Prepare: an SMS from Twilio's withheld caller id, a person of its conversation alone
    const identities: [ChannelIdentity] = [{ type: 'phone', value: '+266696687' }];
    const conversationId = contactConversationId('sms', smsEndpoint, identities[0]);
    const text = 'canary-withheld-Zq9 my card is 4111';
    await recorder.recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('sms', 'message', 'SMwithheld1'), {
        channel: 'sms',
        provider: 'twilio',
        endpoint: smsEndpoint,
        contact: { identities },
        conversationId,
        hubMessageId: hubMessageIdFor('sms', 'SMwithheld1'),
        direction: 'inbound',
        providerMessageId: 'SMwithheld1',
        providerTimestamp: minute(7),
        receivedAt: minute(7),
        parts: [{ type: 'text', text }],
      }),
    );
    const withheld = contactIdFor('sms', { identities }, conversationId);
    const redacted: string[] = [];
    // Act
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, withheld);
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: noObjects,
        redactAtProviders: async (items) => {
          redacted.push(...items.map((item) => JSON.stringify(item)));
          return {
            twilio: { messages: 0, media: 0, failed: 0 },
            whatsapp: { uploads: 0, failed: 0 },
            unfinished: [],
          };
        },
      },
      withheld,
    );
    const after = await tableText();
    // Assess: the message was exported, handed to the providers' redaction, and left no text behind
    expect(exported?.items.map((entry) => entry.kind)).toContain('message');
    expect(JSON.stringify(exported)).toContain(text);
    expect(redacted.some((item) => item.includes(text))).toBe(true);
    expect(report?.tombstones).toBeGreaterThanOrEqual(2);
    expect(after).not.toContain('canary-withheld-Zq9');
  });

  it('tells the erasure after the content is gone; a failed telling leaves the person for the retry, which tells it', async () => {
    // Prepare
    const phone = '306912340311';
    const told: string[] = [];
    const customer = await customerWith(phone, 'wamid.erasure-told', 'canary-told-Zq1');
    // Act
    const first = erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: noObjects,
        announce: async () => {
          throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        },
      },
      customer,
    );
    await expect(first).rejects.toThrow('throttled');
    const afterFailure = await tableText();
    const retry = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: noObjects,
        announce: async (report) => void told.push(report.contactId),
      },
      customer,
    );
    const again = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: noObjects,
        announce: async (report) => void told.push(report.contactId),
      },
      customer,
    );
    // Assess: the content went at once; the retry found the person and told; nothing was left after
    expect(afterFailure).not.toContain('canary-told-Zq1');
    expect(retry).toMatchObject({ contactId: customer, alreadyErased: false });
    expect(told).toEqual([customer]);
    expect(again).toBeUndefined();
    expect(await tableText()).not.toContain(phone);
  });

  it('keeps what a provider did not redact for the retry even when telling the erasure failed', async () => {
    // Prepare: Twilio refuses one redaction; the event's publish fails once
    const phone = '306912340314';
    const customer = await customerWith(phone, 'wamid.erasure-pending', 'canary-pending');
    const seen: string[][] = [];
    const redactAtProviders = async (items: readonly Record<string, unknown>[]) => {
      seen.push(items.map((item) => String(item.sk)));
      return {
        twilio: { messages: 0, media: 0, failed: seen.length === 1 ? 1 : 0 },
        whatsapp: { uploads: 0, failed: 0 },
        unfinished:
          seen.length === 1
            ? [
                {
                  provider: 'twilio' as const,
                  providerMessageId: 'SMpending0001',
                  endpoint: smsEndpoint,
                  code: '20429',
                },
              ]
            : [],
      };
    };
    let fail = true;
    const announce = async () => {
      if (!fail) return;
      fail = false;
      throw new Error('publish failed');
    };
    // Act
    await expect(
      erasePerson(
        {
          pseudonymKey: localPseudonymKey,
          table: context,
          deleteObjects: noObjects,
          redactAtProviders,
          announce,
        },
        customer,
      ),
    ).rejects.toThrow('publish failed');
    await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: noObjects,
        redactAtProviders,
        announce,
      },
      customer,
    );
    // Assess: the retry was handed the pending redaction to try again
    expect(seen).toHaveLength(2);
    expect(seen[1]?.some((sk) => sk.includes('SMpending0001'))).toBe(true);
  });

  it('keeps a late edit of an erased message from writing its text anywhere', async () => {
    // Prepare: a message without any state item (no status, reaction or edit yet), then erasure
    const phone = '306912340312';
    const customer = await customerWith(phone, 'wamid.erasure-edit', 'canary-before-edit');
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: noObjects },
      customer,
    );
    const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
    const edit = buildEvent(
      'switchboard.message.edited',
      eventIdFor('whatsapp', 'edit', 'wamid.erasure-edit', minute(11)),
      {
        channel: 'whatsapp',
        provider: 'meta',
        endpoint: whatsappEndpoint,
        contact: { identities },
        conversationId: contactConversationId('whatsapp', whatsappEndpoint, identities[0]),
        providerTimestamp: minute(11),
        receivedAt: minute(11),
        targetProviderMessageId: 'wamid.erasure-edit',
        parts: [{ type: 'text', text: 'canary-edited-after-erasure' }],
        actor: 'customer',
      },
    );
    // Act: the customer's edit arrives after the erasure
    await recorder.recordEvent(edit);
    // Assess
    expect(await tableText()).not.toContain('canary-edited-after-erasure');
  });

  it("reaches the statuses and reactions of the hub's own replies, kept under their provider ids, and refuses late ones", async () => {
    // Prepare: the customer writes; the hub answers (recorded under its own id, sent as one provider
    // message); the reply fails with the provider's error and the customer reacts to it
    const phone = '306912340313';
    const customer = await customerWith(phone, 'wamid.erasure-asks', 'canary-asks');
    const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
    const conversationId = contactConversationId('whatsapp', whatsappEndpoint, identities[0]);
    const shared = {
      channel: 'whatsapp' as const,
      provider: 'meta' as const,
      endpoint: whatsappEndpoint,
      contact: { identities },
      conversationId,
    };
    const wamid = 'wamid.erasure-hub-reply';
    const later = (at: string) => ({ ...shared, providerTimestamp: at, receivedAt: at });
    const reaction = (at: string, emoji: string) =>
      buildEvent('switchboard.message.reaction_changed', eventIdFor('whatsapp', 'reaction', wamid, at), {
        ...later(at),
        action: 'added' as const,
        emoji,
        targetProviderMessageId: wamid,
        actor: 'customer' as const,
      });
    for (const event of [
      buildEvent('switchboard.message.sent', eventIdFor('whatsapp', 'sent', wamid), {
        ...later(minute(12)),
        hubMessageId: outboundHubMessageId(conversationId, 'erasure-reply-1'),
        direction: 'outbound',
        providerMessageId: wamid,
        providerMessageIds: [wamid],
        sentBy: 'hub',
        idempotencyKey: 'erasure-reply-1',
        parts: [{ type: 'text', text: 'canary-hub-reply' }],
      }),
      buildEvent('switchboard.message.status_updated', eventIdFor('whatsapp', 'status', wamid, 'failed'), {
        ...later(minute(13)),
        status: 'failed',
        providerStatus: 'failed',
        providerMessageIds: [wamid],
        errors: [{ code: '131026', title: 'canary-provider-error' }],
      }),
      reaction(minute(14), '🙏'),
    ])
      await recorder.recordEvent(event);
    const state = `MSG#${hubMessageIdFor('whatsapp', wamid)}`;
    const stateItems = async () =>
      (await context.client.send(new ScanCommand({ TableName: context.tableName }))).Items?.map((raw) =>
        unmarshall(raw),
      ).filter((item) => item.pk === state);
    const before = await stateItems();
    // Act: erasure, then a reaction that comes late
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: noObjects },
      customer,
    );
    const afterErasure = await stateItems();
    await recorder.recordEvent(reaction(minute(20), '👍'));
    const afterLate = await stateItems();
    // Assess: the state was there, holding the error and the reaction; then only a bare tombstone
    expect(JSON.stringify(before)).toContain('canary-provider-error');
    expect(JSON.stringify(before)).toContain('🙏');
    for (const items of [afterErasure, afterLate]) {
      // The state's tombstone, and the record's (a late echo of the part reads as recorded)
      expect((items ?? []).map((item) => item.sk).sort()).toEqual(['MSG', 'STATE']);
      for (const item of items ?? [])
        expect(Object.keys(item).sort()).toEqual(['erased', 'expiresAt', 'pk', 'sk']);
    }
  });

  it('finds the raw mail of an e-mail too large to keep its details in the record', async () => {
    // Prepare: a reply of about 80 KB, which the record cannot keep (from a real domain: an
    // address at a reserved one is a placeholder, its person one conversation's)
    const rawMimeKey = `${PAYLOAD_BUCKET.prefixes.rawEmail}canary-large-mail.eml`;
    const raw = Buffer.from(
      [
        'From: large-mail@erasure-test.net',
        'To: support@switchboard.example',
        'Message-ID: <large-mail@customer.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'A long paste. '.repeat(6_000),
      ].join('\r\n'),
    );
    const { events } = await normalizeInboundEmail(raw, {
      provider: 'mailgun',
      receivedAt: new Date(minute(13)),
      envelopeRecipients: ['support@switchboard.example'],
      rawMimeKey,
    });
    const [message] = events;
    if (message?.type !== 'switchboard.message.received') throw new Error('no message');
    await recorder.recordEvent(message);
    // Act
    const exported = await exportPerson(
      { table: context, pseudonymKey: localPseudonymKey },
      contactIdFor('email', message.data.contact, message.data.conversationId),
    );
    // Assess
    expect(JSON.stringify(exported?.items)).toContain('"omitted"');
    expect(exported?.objects).toContain(rawMimeKey);
  });

  it('deletes what a conversation owns in the bucket by key, and a send plan’s files, even when no record names them', async () => {
    // Prepare: an attachment and a body under the conversation, a file of a failed send in its plan
    const phone = '306912340313';
    const customer = await customerWith(phone, 'wamid.erasure-owned', 'canary-owned');
    const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
    const conversationId = contactConversationId('whatsapp', whatsappEndpoint, identities[0]);
    const owned = [
      `${PAYLOAD_BUCKET.prefixes.attachments}${conversationId}/msg_x/0`,
      `${PAYLOAD_BUCKET.prefixes.bodies}${conversationId}/msg_y/${'a'.repeat(64)}.txt`,
      // Events a webhook spilled when SQS refused them, not yet queued by the drain.
      `${PAYLOAD_BUCKET.prefixes.spill}${conversationId}/${'b'.repeat(64)}.json`,
    ];
    const planned = `${PAYLOAD_BUCKET.prefixes.outboundMedia}2026/canary-invoice.pdf`;
    await createSendStore(context).claim({
      hubMessageId: 'msg_erasure_send',
      conversationId,
      commandId: 'cmd-erasure-send',
      commandHash: 'h',
      state: 'failed',
      acceptedAt: minute(12),
      messageCount: 1,
      next: 0,
      providerIds: [],
      links: {},
      plan: {
        channel: 'whatsapp',
        provider: 'meta',
        endpoint: whatsappEndpoint,
        recipient: identities[0],
        withinWindow: true,
        humanAgentTag: false,
        media: { '0': { s3Key: planned, bytes: 10, contentType: 'application/pdf' } },
      },
    });
    const deleted: string[] = [];
    const listed: string[] = [];
    // Act
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, customer);
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: async (keys) => void deleted.push(...keys),
        deleteObjectsUnder: async (prefix) => {
          listed.push(prefix);
          return owned.filter((key) => key.startsWith(prefix)).length;
        },
      },
      customer,
    );
    // Assess
    expect(exported?.objects).toContain(planned);
    expect(deleted).toContain(planned);
    expect(listed).toEqual(
      expect.arrayContaining([
        `${PAYLOAD_BUCKET.prefixes.attachments}${conversationId}/`,
        `${PAYLOAD_BUCKET.prefixes.bodies}${conversationId}/`,
        `${PAYLOAD_BUCKET.claimCheckPrefix}${conversationId}/`,
        `${PAYLOAD_BUCKET.prefixes.spill}${conversationId}/`,
      ]),
    );
    expect(report?.objectsDeleted).toBe(1 + owned.length);
  });

  it('hands S3 only the keys it can take: one a record names with a character XML cannot carry, or over 1024 bytes, is skipped', async () => {
    // Prepare: a failed send naming files the contract took (1–1024 characters): one fine, one with
    // U+0010 and one with U+FFFF (S3's DeleteObjects XML cannot carry them: MalformedXML), one of
    // 1024 characters but more bytes (S3 keys are at most 1024 bytes of UTF-8): S3 holds none of those
    const phone = '306912340314';
    const customer = await customerWith(phone, 'wamid.erasure-unsafe', 'canary-unsafe');
    const conversationId = contactConversationId('whatsapp', whatsappEndpoint, {
      type: 'wa_id',
      value: phone,
    });
    const fine = `${PAYLOAD_BUCKET.prefixes.outboundMedia}2026/canary-fine.pdf`;
    const control = `${PAYLOAD_BUCKET.prefixes.outboundMedia}abc\u0010def/file.png`;
    const nonCharacter = `${PAYLOAD_BUCKET.prefixes.outboundMedia}abc\uffffdef/file.png`;
    const prefix = PAYLOAD_BUCKET.prefixes.outboundMedia;
    const tooManyBytes = `${prefix}${'é'.repeat(1024 - prefix.length)}`;
    await createSendStore(context).claim({
      hubMessageId: 'msg_erasure_unsafe',
      conversationId,
      commandId: 'cmd-erasure-unsafe',
      commandHash: 'h',
      state: 'failed',
      acceptedAt: minute(12),
      messageCount: 0,
      next: 0,
      providerIds: [],
      links: {},
      files: [{ s3Key: fine }, { s3Key: control }, { s3Key: nonCharacter }, { s3Key: tooManyBytes }],
    });
    // DeleteObjects as AWS S3 answers it: a body with a key XML 1.0 cannot carry, or a key over 1024
    // bytes, is refused whole (nothing deleted); the local S3 does not check
    const refusedByS3 = (key: string) =>
      [...key].some(
        (char) =>
          ((char.codePointAt(0) ?? 0) < 0x20 && !'\t\n\r'.includes(char)) ||
          char === '\uffff' ||
          char === '\ufffe',
      ) || new TextEncoder().encode(key).length > 1024;
    const deleted: string[] = [];
    const deleteObjects = async (keys: readonly string[]) => {
      if (keys.some(refusedByS3))
        throw Object.assign(new Error('The XML you provided was not well-formed'), { name: 'MalformedXML' });
      deleted.push(...keys);
    };
    // Act
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, customer);
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects },
      customer,
    );
    // Assess: the erasure completes; the fine key is exported and deleted, the others neither
    expect(report?.alreadyErased).toBe(false);
    expect(exported?.objects).toContain(fine);
    expect(exported?.objects).not.toContain(control);
    expect(exported?.objects).not.toContain(nonCharacter);
    expect(exported?.objects).not.toContain(tooManyBytes);
    expect(deleted).toContain(fine);
    expect(deleted.some(refusedByS3)).toBe(false);
    expect(await tableText()).not.toContain('canary-unsafe');
  });

  it('reads and lists the footprint of a person with many e-mail threads many at a time, keeps the batches in order, and erases it all', async () => {
    // Prepare: 40 one-message threads of one e-mail customer (each its own conversation, as mails
    // forging a From make), an attachment stored under each conversation
    const address = 'canary-many-threads@erasure-test.net';
    const endpoint = { type: 'email_address' as const, id: 'support@switchboard.example' };
    const identities: [ChannelIdentity] = [{ type: 'email', value: address }];
    const THREADS = 40;
    const conversationIds: string[] = [];
    for (let n = 1; n <= THREADS; n++) {
      const root = `canary-thread-${n}@erasure-test.net`;
      const conversationId = emailThreadConversationId(endpoint.id, root, address);
      conversationIds.push(conversationId);
      await recorder.recordEvent(
        buildEvent('switchboard.message.received', eventIdFor('email', 'message', root), {
          channel: 'email',
          provider: 'mailgun',
          endpoint,
          contact: { identities },
          conversationId,
          hubMessageId: hubMessageIdFor('email', root),
          direction: 'inbound',
          providerMessageId: root,
          providerTimestamp: minute(n),
          receivedAt: minute(n),
          parts: [{ type: 'text', text: `canary-many-threads ${n}` }],
        }),
      );
      await emulators.clients.s3.send(
        new PutObjectCommand({
          Bucket: PAYLOAD_BUCKET.name,
          Key: `${PAYLOAD_BUCKET.prefixes.attachments}${conversationId}/msg_x/0`,
          Body: 'canary-many-threads',
        }),
      );
    }
    const customer = contactIdFor('email', { identities }, conversationIds[0] as string);
    // Every request counted while in flight, DynamoDB's and S3's apart; each BatchWriteItem's
    // erasure batch told by what it holds (states' tombstones, then records', then conversations)
    const peak = { dynamodb: 0, s3: 0, writes: 0 };
    const inFlight = { dynamodb: 0, s3: 0 };
    const writing = new Set<number>();
    let highestRankStarted = -1;
    const misordered: string[] = [];
    const rankOf = (request: { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }) => {
      const key = (request.PutRequest?.Item ?? request.DeleteRequest?.Key) as
        | Record<string, { S?: string }>
        | undefined;
      const pk = key?.pk?.S ?? '';
      const sk = key?.sk?.S ?? '';
      if (request.PutRequest && pk.startsWith('MSG#') && sk === 'STATE') return 0;
      if (request.PutRequest && sk === 'MSG') return 1;
      if (request.DeleteRequest && pk.startsWith('CONV#') && sk === 'STATE') return 2;
      return undefined;
    };
    const ranksOfWrite = new Map<number, number>();
    let writeId = 0;
    const metered = async <T>(kind: 'dynamodb' | 's3', work: () => Promise<T>): Promise<T> => {
      inFlight[kind]++;
      peak[kind] = Math.max(peak[kind], inFlight[kind]);
      try {
        return await work();
      } finally {
        inFlight[kind]--;
      }
    };
    const table: TableContext = {
      ...context,
      client: {
        send: (async (command: unknown) => {
          if (!(command instanceof BatchWriteItemCommand))
            return metered('dynamodb', () => context.client.send(command as never));
          const ranks = new Set(
            (command.input.RequestItems?.[context.tableName] ?? []).flatMap((request) => {
              const rank = rankOf(request);
              return rank === undefined ? [] : [rank];
            }),
          );
          const id = writeId++;
          const [rank] = ranks;
          if (ranks.size > 1) misordered.push(`one request holds batches ${[...ranks]}`);
          if (rank !== undefined) {
            if (rank < highestRankStarted) misordered.push(`batch ${rank} after batch ${highestRankStarted}`);
            for (const other of writing) {
              const otherRank = ranksOfWrite.get(other);
              if (otherRank !== undefined && otherRank !== rank)
                misordered.push(`batch ${rank} while batch ${otherRank} is in flight`);
            }
            highestRankStarted = Math.max(highestRankStarted, rank);
            ranksOfWrite.set(id, rank);
          }
          writing.add(id);
          peak.writes = Math.max(peak.writes, writing.size);
          try {
            return await metered('dynamodb', () => context.client.send(command));
          } finally {
            writing.delete(id);
          }
        }) as TableContext['client']['send'],
      },
    };
    const listed: string[] = [];
    // Act
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table,
        deleteObjects: (keys) =>
          metered('s3', async () => {
            if (keys.length > 0)
              await emulators.clients.s3.send(
                new DeleteObjectsCommand({
                  Bucket: PAYLOAD_BUCKET.name,
                  Delete: { Objects: keys.map((Key) => ({ Key })) },
                }),
              );
          }),
        deleteObjectsUnder: (prefix) => {
          listed.push(prefix);
          return metered('s3', () =>
            deletePayloadObjectsUnder(emulators.clients.s3, PAYLOAD_BUCKET.name, prefix),
          );
        },
        abortUploadsUnder: (prefix) =>
          metered('s3', () => abortPayloadUploadsUnder(emulators.clients.s3, PAYLOAD_BUCKET.name, prefix)),
      },
      customer,
    );
    const afterErasure = await tableText();
    const objectsAfter = await bucketKeys();
    // Assess: many requests at once (before, one at a time), the batches still one after another
    expect(peak.dynamodb).toBeGreaterThanOrEqual(8);
    expect(peak.s3).toBeGreaterThanOrEqual(8);
    expect(peak.writes).toBeGreaterThanOrEqual(2);
    expect(misordered).toEqual([]);
    expect(highestRankStarted).toBe(2);
    // …and everything of the person is gone: every thread, every conversation's objects
    expect(report).toMatchObject({ objectsDeleted: THREADS, alreadyErased: false });
    expect(new Set(listed)).toEqual(new Set(conversationIds.flatMap(conversationObjectPrefixes)));
    expect(afterErasure).not.toContain('canary-many-threads');
    expect(afterErasure).not.toContain(address);
    for (const conversationId of conversationIds) expect(afterErasure).not.toContain(conversationId);
    expect(afterErasure).toContain('another customer');
    expect(objectsAfter.filter((key) => key?.includes('canary-many-threads'))).toEqual([]);
    for (const conversationId of conversationIds)
      expect(objectsAfter.some((key) => key?.includes(conversationId))).toBe(false);
  });
});
