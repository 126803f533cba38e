import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  DeleteItemCommand,
  GetItemCommand,
  type KeysAndAttributes,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { readContactConsent } from '#shared/store/contacts.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import {
  contactKeyFor,
  legacySuppressionKey,
  type PseudonymKey,
  suppressionKey,
} from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { appliedIdOf } from '#shared/store/registers.ts';
import { MAX_KEPT_EVENT_IDS, rekeyLegacySuppressions } from '#shared/store/suppressions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { consentEvent, minute } from '#tests/recorder/factories.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Kept opt-outs while another process moves or writes them. A reader (the sender's consent, the
 * recorder's check of an erased contact's late retry, an erasure) must find a kept opt-out however
 * its reads interleave with a move of the legacy item to the keyed key (put keyed, then delete
 * legacy) by another process. DynamoDB reads a BatchGetItem's keys independently, in no stated
 * order, and asks unprocessed keys again later: the adversary below reads every BatchGetItem one key
 * at a time, keyed keys first, and runs the move right before the reader's first or second read of
 * a kept key. An erasure's write of the kept item must not overwrite what another erasure wrote
 * there since it read it, and the rekey counts an item a reader moved meanwhile as moved.
 */

const phoneOf = (digits: string): string => `+${digits}`;
const contactKeyOf = (digits: string): string =>
  contactKeyFor('sms', { identities: [{ type: 'phone', value: phoneOf(digits) }] });
const personOf = (digits: string): string =>
  contactIdFor('sms', { identities: [{ type: 'phone', value: phoneOf(digits) }] }, '');
const stop = (digits: string, at: string) => consentEvent(phoneOf(digits), 'opted_out', at, 'STOP');
const start = (digits: string, at: string) => consentEvent(phoneOf(digits), 'opted_in', at, 'START');

type Command = { input: Record<string, unknown> };

describe('kept opt-outs moved or written while read, against the local DynamoDB', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  let key: PseudonymKey;

  /**
   * `context`'s client, with every BatchGetItem read one key at a time (keyed kept keys first), and
   * `move` run once, right before the `moveBefore`-th read of one of `contactKey`'s kept keys.
   */
  const interleaved = (
    contactKey: string,
    moveBefore: number,
    move: () => Promise<unknown>,
  ): TableContext => {
    const kept = [suppressionKey(key, contactKey).pk, legacySuppressionKey(contactKey).pk];
    let reads = 0;
    const beforeRead = async (pk: unknown) => {
      if (!kept.includes(String(pk))) return;
      reads++;
      if (reads === moveBefore) await move();
    };
    const send = async (command: Command) => {
      if (command instanceof BatchGetItemCommand) {
        const [[table, request]] = Object.entries(command.input.RequestItems ?? {}) as [
          [string, KeysAndAttributes],
        ];
        const keyedFirst = [...(request.Keys ?? [])].sort(
          (a, b) =>
            Number(b.pk?.S?.startsWith('SUPPRESS#HMAC#') ?? false) -
            Number(a.pk?.S?.startsWith('SUPPRESS#HMAC#') ?? false),
        );
        const responses = [];
        for (const one of keyedFirst) {
          await beforeRead(one.pk?.S);
          const output: BatchGetItemCommandOutput = await context.client.send(
            new BatchGetItemCommand({ RequestItems: { [table]: { ...request, Keys: [one] } } }),
          );
          responses.push(...(output.Responses?.[table] ?? []));
        }
        return { Responses: { [table]: responses }, UnprocessedKeys: {}, $metadata: {} };
      }
      if (command instanceof GetItemCommand)
        await beforeRead((command.input.Key as Record<string, { S?: string }> | undefined)?.pk?.S);
      return context.client.send(command as never);
    };
    return { ...context, client: { send: send as unknown as TableContext['client']['send'] } };
  };

  /** Another sender environment reads the contact's consent: it moves a legacy item it finds. */
  const anotherReader = (contactKey: string) => () =>
    readContactConsent(context, localPseudonymKey, contactKey);

  /** A table whose first write of this contact's kept item waits for `race` to run first. */
  const racedBeforeKeptWrite = (contactKey: string, race: () => Promise<void>) => {
    let raced = false;
    const racing: TableContext = {
      ...context,
      client: {
        send: (async (command: Command) => {
          const target = command instanceof PutItemCommand ? unmarshall(command.input.Item as never).pk : '';
          if (!raced && target === suppressionKey(key, contactKey).pk) {
            raced = true;
            await race();
          }
          return context.client.send(command as never);
        }) as unknown as TableContext['client']['send'],
      },
    };
    return { context: racing, raced: () => raced };
  };
  const erase = (digits: string, table: TableContext = context) =>
    erasePerson({ table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} }, personOf(digits));

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

  const keyedItem = async (contactKey: string) => {
    const found = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(suppressionKey(key, contactKey)),
        ConsistentRead: true,
      }),
    );
    return found.Item ? unmarshall(found.Item) : undefined;
  };

  const tableText = async (): Promise<string> =>
    JSON.stringify(
      ((await context.client.send(new ScanCommand({ TableName: context.tableName }))).Items ?? []).map(
        (raw) => unmarshall(raw),
      ),
      (_key, value) => (value instanceof Set ? [...value] : value),
    );

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    key = await localPseudonymKey();
    recorder = quietRecorder(context);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('the sender finds a STOP kept under the legacy key while another reader moves it, whenever the move comes', async () => {
    // Prepare: two erased contacts whose STOP the previous version kept.
    const numbers = ['306912350401', '306912350402'];
    for (const digits of numbers) {
      await recorder.recordEvent(stop(digits, minute(1)));
      await erase(digits);
      await keptByPreviousVersion(contactKeyOf(digits));
    }
    // Act: each read with the move right before its first, then its second read of a kept key.
    const consent = [];
    for (const [index, digits] of numbers.entries()) {
      const contactKey = contactKeyOf(digits);
      const reader = interleaved(contactKey, index + 1, anotherReader(contactKey));
      consent.push(await readContactConsent(reader, localPseudonymKey, contactKey));
    }
    // Assess
    expect(consent.map((each) => each.smsConsent?.consent)).toEqual(['opted_out', 'opted_out']);
  });

  it('the recorder refuses a late retry of an erased contact’s STOP while another reader moves what was kept', async () => {
    // Prepare
    const numbers = ['306912350403', '306912350404'];
    for (const digits of numbers) {
      await recorder.recordEvent(stop(digits, minute(1)));
      await erase(digits);
      await keptByPreviousVersion(contactKeyOf(digits));
    }
    // Act: Twilio retries each STOP's webhook late, the move before the first, then the second read.
    for (const [index, digits] of numbers.entries()) {
      const contactKey = contactKeyOf(digits);
      const late = createRecorderService({
        store: createRecorderStore(
          interleaved(contactKey, index + 1, anotherReader(contactKey)),
          localPseudonymKey,
        ),
        publisher: { publish: async () => undefined },
        clock: () => new Date(),
        logger: createLogger({ level: 'error', write: () => {} }),
      });
      await late.recordEvent(stop(digits, minute(1)));
    }
    const text = await tableText();
    // Assess: known, and recorded nowhere.
    for (const digits of numbers) expect(text).not.toContain(digits);
  });

  it('an erasure keeps the STOP an earlier one kept under the legacy key while another reader moves it', async () => {
    // Prepare: a STOP, the erasure (kept by the previous version); the number comes back and a START
    // dated before the STOP is delivered late, then the person is erased again.
    const numbers = ['306912350405', '306912350406'];
    for (const digits of numbers) {
      const contactKey = contactKeyOf(digits);
      await recorder.recordEvent(stop(digits, minute(1)));
      await erase(digits);
      await keptByPreviousVersion(contactKey);
      await recorder.recordEvent(start(digits, minute(0)));
      // (the recorder moved it on its way: the previous version's item again)
      await keptByPreviousVersion(contactKey);
    }
    // Act: the second erasure, the move before its first, then its second read of a kept key.
    for (const [index, digits] of numbers.entries()) {
      const contactKey = contactKeyOf(digits);
      await erase(digits, interleaved(contactKey, index + 1, anotherReader(contactKey)));
    }
    const consent = await Promise.all(
      numbers.map((digits) => readContactConsent(context, localPseudonymKey, contactKeyOf(digits))),
    );
    // Assess: the STOP, the later word, still stands.
    expect(consent.map((each) => each.smsConsent?.consent)).toEqual(['opted_out', 'opted_out']);
  });

  it('an erasure does not overwrite what another erasure of the contact kept after it read', async () => {
    // Prepare: a STOP; the erasure reads what was kept (nothing) and, before it writes, the person
    // sends STOP again and a second erasure (a retried DELETE) keeps both STOPs' ids.
    const digits = '306912350407';
    const contactKey = contactKeyOf(digits);
    await recorder.recordEvent(stop(digits, minute(1)));
    const race = racedBeforeKeptWrite(contactKey, async () => {
      await recorder.recordEvent(stop(digits, minute(5)));
      await erase(digits);
    });
    // Act
    await erase(digits, race.context);
    const kept = await keyedItem(contactKey);
    await recorder.recordEvent(stop(digits, minute(5)));
    // Assess: both STOPs' ids kept, the later STOP the register; its late retry brings nothing back.
    expect(race.raced()).toBe(true);
    expect([...((kept?.applied as Set<string> | undefined) ?? [])].sort()).toEqual(
      [appliedIdOf(stop(digits, minute(1)).id), appliedIdOf(stop(digits, minute(5)).id)].sort(),
    );
    expect((kept?.smsConsent as { eventId?: string } | undefined)?.eventId).toBe(stop(digits, minute(5)).id);
    expect(await tableText()).not.toContain(digits);
  });

  it.each([
    ['written before kept items carried a version', '306912350409', undefined],
    ['at a version', '306912350410', 7],
  ])(
    'an erasure does not overwrite what another erasure kept after it read, the ids at their cap (%s)',
    async (_name, digits, version) => {
      // Prepare: an earlier erasure kept as many ids as an item holds; a STOP; the erasure reads what
      // was kept and, before it writes, the person sends START and a second erasure keeps its id in
      // the place of an old one (opt-ins first): as many ids as before.
      const contactKey = contactKeyOf(digits);
      const filler = Array.from({ length: MAX_KEPT_EVENT_IDS }, (_, index) => appliedIdOf(`filler-${index}`));
      await context.client.send(
        new PutItemCommand({
          TableName: context.tableName,
          Item: marshall({
            ...suppressionKey(key, contactKey),
            applied: new Set(filler),
            ...(version !== undefined ? { version } : {}),
          }),
        }),
      );
      await recorder.recordEvent(stop(digits, minute(1)));
      const race = racedBeforeKeptWrite(contactKey, async () => {
        await recorder.recordEvent(start(digits, minute(5)));
        await erase(digits);
      });
      // Act
      await erase(digits, race.context);
      const kept = await keyedItem(contactKey);
      await recorder.recordEvent(start(digits, minute(5)));
      // Assess: the START's id kept (its late retry brings nothing back), the ids at their cap.
      const applied = (kept?.applied as Set<string> | undefined) ?? new Set<string>();
      expect(race.raced()).toBe(true);
      expect(applied.has(appliedIdOf(start(digits, minute(5)).id))).toBe(true);
      expect(applied.has(appliedIdOf(stop(digits, minute(1)).id))).toBe(true);
      expect(applied.size).toBe(MAX_KEPT_EVENT_IDS);
      expect(await tableText()).not.toContain(digits);
    },
  );

  it('the rekey counts an item a reader moved after its scan as moved, not left', async () => {
    // Prepare: an erased contact's STOP kept by the previous version.
    const digits = '306912350408';
    const contactKey = contactKeyOf(digits);
    await recorder.recordEvent(stop(digits, minute(1)));
    await erase(digits);
    await keptByPreviousVersion(contactKey);
    // Act: the sender reads the contact's consent (moving it) between the rekey's scan and its move.
    let scanned = false;
    const rekeying: TableContext = {
      ...context,
      client: {
        send: (async (command: Command) => {
          if (scanned && !(command instanceof ScanCommand)) {
            scanned = false;
            await anotherReader(contactKey)();
          }
          if (command instanceof ScanCommand) scanned = true;
          return context.client.send(command as never);
        }) as unknown as TableContext['client']['send'],
      },
    };
    const report = await rekeyLegacySuppressions(rekeying, key);
    // Assess
    expect(report.found).toBeGreaterThanOrEqual(1);
    expect(report).toEqual({ found: report.found, moved: report.found, left: 0 });
    expect((await readContactConsent(context, localPseudonymKey, contactKey)).smsConsent?.consent).toBe(
      'opted_out',
    );
  });
});
