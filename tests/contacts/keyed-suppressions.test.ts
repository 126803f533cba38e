import { createHash } from 'node:crypto';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDER_TABLE_ACTIONS } from '#infra/constructs/recorder.ts';
import { SENDER_TABLE_ACTIONS } from '#infra/constructs/sender.ts';
import {
  cachedPseudonymKey,
  localPseudonymKey,
  PseudonymKeyError,
  pseudonymKeyOf,
} from '#shared/aws/pseudonym-key.ts';
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
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { readContactConsent } from '#shared/store/contacts.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import {
  contactKeyFor,
  type ItemKey,
  kindOfKey,
  legacySuppressionKey,
  type PseudonymKey,
  suppressionKey,
  suppressionKeyOfLegacy,
} from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { appliedIdOf, timeOrder } from '#shared/store/registers.ts';
import {
  keptSuppressionOf,
  moveLegacySuppression,
  rekeyLegacySuppressions,
  suppressionReadKeys,
} from '#shared/store/suppressions.ts';
import { batchGetItems, type TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';

/*
 * Kept opt-outs under a keyed hash (HMAC-SHA256 with the deployment's pseudonym key), and the items
 * an earlier version kept under the plain SHA-256 of the contact key: every reader still finds
 * those, moves them to the keyed key (then finds them there, and the legacy item is gone), and what
 * the suppression tests of tests/contacts/erasure.test.ts hold through the keyed key holds through
 * the legacy one: a STOP outlives erasure, a late retry of an erased contact's STOP brings nothing
 * back, a second erasure merges what the first kept.
 */

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the keyed pseudonym of kept opt-outs', () => {
  it('is an HMAC under the pseudonym key: not the SHA-256 of the contact key, and another key files it elsewhere', () => {
    // Prepare
    const contactKey = 'sms#phone:+306912340900';
    const mine = pseudonymKeyOf('a-deployment-key-of-at-least-32-characters');
    const same = pseudonymKeyOf('a-deployment-key-of-at-least-32-characters');
    const another = pseudonymKeyOf('another-deployment-key-of-32-characters');
    // Act
    const keyed = suppressionKey(mine, contactKey);
    const legacy = legacySuppressionKey(contactKey);
    // Assess
    expect(keyed.pk).toMatch(/^SUPPRESS#HMAC#[0-9a-f]{64}$/);
    expect(keyed.pk).not.toContain(sha256(contactKey));
    expect(legacy.pk).toBe(`SUPPRESS#${sha256(contactKey)}`);
    expect(suppressionKey(same, contactKey)).toEqual(keyed);
    expect(suppressionKey(another, contactKey).pk).not.toBe(keyed.pk);
    expect(suppressionKey(mine, 'sms#phone:+306912340901').pk).not.toBe(keyed.pk);
    // The rekey moves an item knowing only its legacy key: it lands where readers look.
    expect(suppressionKeyOfLegacy(mine, legacy)).toEqual(keyed);
    expect([kindOfKey(keyed), kindOfKey(legacy)]).toEqual(['suppression', 'legacySuppression']);
  });

  it('refuses a key shorter than 32 characters, without quoting it', () => {
    // Act
    const refused = (() => {
      try {
        pseudonymKeyOf('short-secret-value');
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(refused).toBeInstanceOf(PseudonymKeyError);
    expect(String(refused)).not.toContain('short-secret-value');
  });

  it('is read once per process: concurrent callers share the read, and a failed read is tried again', async () => {
    // Prepare
    const reads: string[] = [];
    let throttled = true;
    const source = cachedPseudonymKey(
      {
        getSecretValue: async ({ SecretId }) => {
          reads.push(SecretId);
          if (throttled) {
            throttled = false;
            throw new Error('ThrottlingException');
          }
          return { SecretString: 'k'.repeat(64) };
        },
      },
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/pseudonym-key',
    );
    // Act
    const failed = await source().catch((error: unknown) => error);
    const [first, second] = await Promise.all([source(), source()]);
    const later = await source();
    // Assess
    expect(String(failed)).toContain('ThrottlingException');
    expect(reads).toHaveLength(2);
    expect(second).toBe(first);
    expect(later).toBe(first);
    expect(suppressionKey(later, 'sms#phone:+1').pk).toBe(
      suppressionKey(pseudonymKeyOf('k'.repeat(64)), 'sms#phone:+1').pk,
    );
  });
});

const smsEndpoint = { type: 'phone_number' as const, id: '+15550000300' };
const identitiesOf = (phone: string): [ChannelIdentity] => [{ type: 'phone', value: `+${phone}` }];

const smsStop = (phone: string, at: string, trigger: 'STOP' | 'START' = 'STOP'): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('sms', 'consent', phone, trigger, at), {
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    contact: { identities: identitiesOf(phone) },
    conversationId: contactConversationId('sms', smsEndpoint, identitiesOf(phone)[0]),
    providerTimestamp: at,
    receivedAt: at,
    scope: 'sms',
    consent: trigger === 'STOP' ? 'opted_out' : 'opted_in',
    trigger,
  });

const smsMessage = (phone: string, sid: string, at: string): HubEvent =>
  buildEvent('switchboard.message.received', eventIdFor('sms', 'message', sid), {
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    contact: { identities: identitiesOf(phone) },
    conversationId: contactConversationId('sms', smsEndpoint, identitiesOf(phone)[0]),
    hubMessageId: hubMessageIdFor('sms', sid),
    direction: 'inbound',
    providerMessageId: sid,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: 'back again' }],
  });

const contactKeyOf = (phone: string): string => contactKeyFor('sms', { identities: identitiesOf(phone) });
const personOf = (phone: string): string => contactIdFor('sms', { identities: identitiesOf(phone) }, '');

/** A kept SMS opt-out as an erasure writes it: the register and the events' applied ids. */
const keptStop = (at: string, eventIds: readonly string[]) => ({
  smsConsent: {
    order: timeOrder(at, undefined, eventIds[0] ?? 'evt'),
    eventId: eventIds[0] ?? 'evt',
    value: JSON.stringify({ consent: 'opted_out', trigger: 'STOP', at }),
  },
  applied: new Set(eventIds.map(appliedIdOf)),
});

describe('kept opt-outs under the legacy key, against the local DynamoDB', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  let key: PseudonymKey;
  /** The commands each role sent, as `dynamodb:<Operation>`, with the partition key of each delete. */
  const calls = { recorder: [] as string[], sender: [] as string[] };
  const counting = (base: TableContext, into: string[]): TableContext => ({
    ...base,
    client: {
      send: ((command: {
        constructor: { name: string };
        input: { Key?: Record<string, { S?: string }> };
      }) => {
        const operation = `dynamodb:${command.constructor.name.replace(/Command$/, '')}`;
        into.push(
          operation === 'dynamodb:DeleteItem' ? `${operation} ${command.input.Key?.pk?.S ?? ''}` : operation,
        );
        return base.client.send(command as never);
      }) as TableContext['client']['send'],
    },
  });
  const erase = (phone: string) =>
    erasePerson(
      { table: context, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      personOf(phone),
    );

  /** What the previous version kept: the keyed item put back under the plain SHA-256 of its contact key. */
  const keptByPreviousVersion = async (contactKey: string): Promise<void> => {
    const keyed = suppressionKey(key, contactKey);
    const found = await context.client.send(
      new GetItemCommand({ TableName: context.tableName, Key: marshall(keyed), ConsistentRead: true }),
    );
    if (!found.Item) throw new Error('nothing kept under the keyed key');
    await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: { ...found.Item, ...marshall(legacySuppressionKey(contactKey)) },
      }),
    );
    await context.client.send(new DeleteItemCommand({ TableName: context.tableName, Key: marshall(keyed) }));
  };
  const putItem = (item: Record<string, unknown>) =>
    context.client.send(new PutItemCommand({ TableName: context.tableName, Item: marshall(item) }));
  const scan = async (): Promise<Record<string, unknown>[]> =>
    ((await context.client.send(new ScanCommand({ TableName: context.tableName }))).Items ?? []).map((raw) =>
      unmarshall(raw),
    );
  const tableText = async (): Promise<string> =>
    JSON.stringify(await scan(), (_key, value) => (value instanceof Set ? [...value] : value));
  /** The kept items of a contact, by kind. */
  const keptOf = async (contactKey: string) => {
    const [keyed, legacy] = suppressionReadKeys(key, contactKey).map((itemKey: ItemKey) => itemKey.pk);
    const items = (await scan()).filter((item) => item.pk === keyed || item.pk === legacy);
    return items.map((item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }));
  };
  const legacyItems = async () =>
    (await scan()).filter(
      (item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }) === 'legacySuppression',
    );
  /** Every command a role sent is one its IAM policy allows: its table actions, and deletes of kept opt-outs. */
  const expectAllowed = (sent: readonly string[], allowed: readonly string[]) => {
    for (const call of sent) {
      if (call.startsWith('dynamodb:DeleteItem ')) expect(call).toMatch(/^dynamodb:DeleteItem SUPPRESS#/);
      else expect(allowed).toContain(call);
    }
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    key = await localPseudonymKey();
    recorder = createRecorderService({
      store: createRecorderStore(counting(context, calls.recorder), localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('keeps an erased contact’s STOP under the keyed key only: the table holds no SHA-256 of its key', async () => {
    // Prepare
    const phone = '306912340301';
    await recorder.recordEvent(smsStop(phone, minute(1)));
    // Act
    const report = await erase(phone);
    const text = await tableText();
    // Assess
    expect(report).toMatchObject({ optOutsKept: 1 });
    expect(await keptOf(contactKeyOf(phone))).toEqual(['suppression']);
    expect(text).not.toContain(phone);
    expect(text).not.toContain(sha256(contactKeyOf(phone)));
  });

  it('finds a STOP kept under the legacy key when the person writes again, moves it, and finds it under the keyed key after', async () => {
    // Prepare: a STOP, the erasure, kept as the previous version kept it; the person writes again.
    const phone = '306912340302';
    const contactKey = contactKeyOf(phone);
    await recorder.recordEvent(smsStop(phone, minute(1)));
    await erase(phone);
    await keptByPreviousVersion(contactKey);
    await recorder.recordEvent(smsMessage(phone, 'SMkeyed302', minute(30)));
    const before = await keptOf(contactKey);
    calls.sender.length = 0;
    // Act
    const first = await readContactConsent(counting(context, calls.sender), localPseudonymKey, contactKey);
    const after = await keptOf(contactKey);
    const again = await readContactConsent(context, localPseudonymKey, contactKey);
    // Assess
    expect(before).toEqual(['legacySuppression']);
    expect(first.smsConsent?.consent).toBe('opted_out');
    expect(after).toEqual(['suppression']);
    expect(again.smsConsent?.consent).toBe('opted_out');
    expect(await tableText()).not.toContain(sha256(contactKey));
    // One read of the contact and the legacy key, then one of the keyed key (after it: see
    // tests/contacts/kept-opt-out-races.test.ts); the move's put and delete, all the sender may do.
    expect(calls.sender).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      `dynamodb:DeleteItem ${legacySuppressionKey(contactKey).pk}`,
    ]);
    expectAllowed(calls.sender, SENDER_TABLE_ACTIONS);
  });

  it('refuses a late retry of an erased contact’s STOP kept under the legacy key, and moves it', async () => {
    // Prepare
    const phone = '306912340303';
    const contactKey = contactKeyOf(phone);
    await recorder.recordEvent(smsStop(phone, minute(1)));
    await erase(phone);
    await keptByPreviousVersion(contactKey);
    calls.recorder.length = 0;
    // Act: Twilio retries the STOP's webhook late.
    await recorder.recordEvent(smsStop(phone, minute(1)));
    const text = await tableText();
    // Assess: known, recorded nowhere, and the kept item now keyed.
    expect(text).not.toContain(phone);
    expect(await keptOf(contactKey)).toEqual(['suppression']);
    expect(calls.recorder).toContain(`dynamodb:DeleteItem ${legacySuppressionKey(contactKey).pk}`);
    expectAllowed(calls.recorder, RECORDER_TABLE_ACTIONS);
  });

  it('merges what an erasure kept under the legacy key into the next one, written under the keyed key only', async () => {
    // Prepare: a STOP, an erasure kept by the previous version; the person writes again, is erased again.
    const stopped = '306912340304';
    await recorder.recordEvent(smsStop(stopped, minute(1)));
    await erase(stopped);
    await keptByPreviousVersion(contactKeyOf(stopped));
    await recorder.recordEvent(smsMessage(stopped, 'SMkeyed304', minute(30)));
    // …and one who said START after the first erasure: the later word stands.
    const started = '306912340305';
    await recorder.recordEvent(smsStop(started, minute(5)));
    await erase(started);
    await keptByPreviousVersion(contactKeyOf(started));
    await recorder.recordEvent(smsStop(started, minute(6), 'START'));
    // Act
    const reports = [await erase(stopped), await erase(started)];
    const kept = [await keptOf(contactKeyOf(stopped)), await keptOf(contactKeyOf(started))];
    await recorder.recordEvent(smsStop(started, minute(5)));
    await recorder.recordEvent(smsStop(stopped, minute(1)));
    const text = await tableText();
    const consent = [
      await readContactConsent(context, localPseudonymKey, contactKeyOf(stopped)),
      await readContactConsent(context, localPseudonymKey, contactKeyOf(started)),
    ];
    // Assess
    expect(reports.map((report) => report?.optOutsKept)).toEqual([1, 0]);
    expect(kept).toEqual([['suppression'], ['suppression']]);
    expect(text).not.toContain(stopped);
    expect(text).not.toContain(started);
    expect(consent[0]?.smsConsent?.consent).toBe('opted_out');
    // The START, the later word, stands: nothing is kept of it but its event's id.
    expect(consent[1]?.smsConsent?.consent).not.toBe('opted_out');
  });

  it('moves idempotently: a move that stopped after its put only deletes, and one that raced a change leaves it for the next read', async () => {
    // Prepare: a move that crashed after its put (both items, the same content)…
    const crashed = contactKeyOf('306912340306');
    const content = keptStop(minute(2), ['evt_keyed_306']);
    await putItem({ ...legacySuppressionKey(crashed), ...content });
    await putItem({ ...suppressionKey(key, crashed), ...content });
    // …and a legacy item read by a move, then changed (an old erasure still running wrote to it).
    const raced = contactKeyOf('306912340307');
    await putItem({ ...legacySuppressionKey(raced), ...keptStop(minute(3), ['evt_keyed_307a']) });
    const stale = keptSuppressionOf(
      await batchGetItems(context, suppressionReadKeys(key, raced)),
      key,
      raced,
    );
    await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(legacySuppressionKey(raced)),
        UpdateExpression: 'ADD applied :id',
        ExpressionAttributeValues: marshall({ ':id': new Set([appliedIdOf('evt_keyed_307b')]) }),
      }),
    );
    // Act
    const crashedConsent = await readContactConsent(context, localPseudonymKey, crashed);
    const crashedAfter = await keptOf(crashed);
    const racedMove = await moveLegacySuppression(context, key, stale);
    const racedAfterMove = await keptOf(raced);
    const racedConsent = await readContactConsent(context, localPseudonymKey, raced);
    const racedAfterRead = await batchGetItems(context, suppressionReadKeys(key, raced));
    // Assess
    expect(crashedConsent.smsConsent?.consent).toBe('opted_out');
    expect(crashedAfter).toEqual(['suppression']);
    expect(racedMove).toBe(false);
    expect(racedAfterMove.sort()).toEqual(['legacySuppression', 'suppression']);
    expect(racedConsent.smsConsent?.consent).toBe('opted_out');
    expect(racedAfterRead.map((item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }))).toEqual([
      'suppression',
    ]);
    const applied = racedAfterRead[0]?.applied;
    expect(applied instanceof Set ? [...applied].sort() : applied).toEqual(
      [appliedIdOf('evt_keyed_307a'), appliedIdOf('evt_keyed_307b')].sort(),
    );
  });

  it('moves every legacy item with the rekey (npm run rekey-opt-outs), whoever it was for; a second run finds none', async () => {
    // Prepare: legacy items whose contact keys nobody knows any more, one already moved half-way.
    const contactKeys = ['306912340310', '306912340311', '306912340312'].map(contactKeyOf);
    for (const [index, contactKey] of contactKeys.entries())
      await putItem({
        ...legacySuppressionKey(contactKey),
        ...keptStop(minute(index), [`evt_rekey_${index}`]),
      });
    await putItem({ ...suppressionKey(key, contactKeys[2] ?? ''), ...keptStop(minute(2), ['evt_rekey_2']) });
    const legacyBefore = (await legacyItems()).length;
    // Act
    const dryRun = await rekeyLegacySuppressions(context, key, { dryRun: true });
    const afterDryRun = (await legacyItems()).length;
    const report = await rekeyLegacySuppressions(context, key);
    const again = await rekeyLegacySuppressions(context, key);
    const consent = await Promise.all(
      contactKeys.map((contactKey) => readContactConsent(context, localPseudonymKey, contactKey)),
    );
    const kept = await Promise.all(contactKeys.map(keptOf));
    // Assess
    expect(legacyBefore).toBeGreaterThanOrEqual(3);
    expect(dryRun).toEqual({ found: legacyBefore, moved: 0, left: 0 });
    expect(afterDryRun).toBe(legacyBefore);
    expect(report).toEqual({ found: legacyBefore, moved: legacyBefore, left: 0 });
    expect(again).toEqual({ found: 0, moved: 0, left: 0 });
    expect(await legacyItems()).toEqual([]);
    expect(consent.map((each) => each.smsConsent?.consent)).toEqual(['opted_out', 'opted_out', 'opted_out']);
    expect(kept).toEqual([['suppression'], ['suppression'], ['suppression']]);
  });
});
