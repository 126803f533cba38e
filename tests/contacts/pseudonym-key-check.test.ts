import { createSecretKey } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWiredHelpdeskApi } from '#shared/api/wiring.ts';
import { cachedPseudonymKey, localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { createTable } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { PSEUDONYM_KEY_MISMATCH } from '#shared/observability/metric-names.ts';
import { createRecorder } from '#shared/recorder/wiring.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import {
  contactItemKey,
  contactKeyFor,
  kindOfKey,
  PSEUDONYM_KEY_CHECK_KEY,
  type PseudonymKey,
  suppressionKey,
} from '#shared/store/keys.ts';
import {
  checkedPseudonymKey,
  PseudonymKeyCheckMissingError,
  PseudonymKeyMismatchError,
  verifyPseudonymKey,
} from '#shared/store/pseudonym-key-check.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from '../outbound/harness.ts';
import { consentEvent, smsReceived, sqsEvent } from '../recorder/factories.ts';

/*
 * A replaced or regenerated pseudonym key is refused. The table holds an HMAC of a fixed constant
 * under the key the kept opt-outs are filed under, written at the first use of a key and compared
 * by each environment's first load of it (shared/store/pseudonym-key-check.ts). A key that does not
 * match makes the key source reject, so the sender sends no SMS to an erased contact who said STOP,
 * the recorder does not take a late retry of that STOP as new, and an erasure files nothing under the
 * wrong key; each logs the one fixed error line the alarm counts.
 */

/** The key the secret held when the kept opt-outs were filed: the local hub's. */
const original = localPseudonymKey;
/** The same secret after a put-secret-value, or regenerated with a recreated stack. */
const replacedKey = createSecretKey(
  Buffer.from('a-replaced-pseudonym-key-of-sixty-four-characters-0123456789abc'),
);
const replaced: PseudonymKeySource = async () => replacedKey;

/** A logger that keeps its lines, parsed. */
const capturingLogger = () => {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) }),
    refusals: () => lines.filter((line) => line.message === PSEUDONYM_KEY_MISMATCH.logMessage),
  };
};

/** An SMS from `phone` as the recorder receives it. */
const smsFrom = (phone: string, providerMessageId: string, at: string): HubEvent =>
  smsReceived(phone, providerMessageId, at);

const minutesBefore = (minutes: number): string => new Date(T0.getTime() - minutes * 60_000).toISOString();

describe('the pseudonym key check', () => {
  const hub = useOutboundHarness();
  let hubTable: TableContext;
  let tables = 0;

  beforeAll(async () => {
    const { clients, resources } = hub.pipeline.emulators;
    hubTable = { client: clients.dynamodb, tableName: resources.tableName, now: () => hub.now };
  });

  /** A table of the hub's shape that no key was ever used on, with its own clock. */
  const freshTable = async (): Promise<TableContext & { at: Date }> => {
    tables += 1;
    const tableName = `pseudonym-key-check-${tables}`;
    await createTable(hub.pipeline.emulators.clients.dynamodb, { ...HUB_TABLE, name: tableName });
    const table = {
      client: hub.pipeline.emulators.clients.dynamodb,
      tableName,
      at: T0,
      now: () => table.at,
    };
    return table;
  };

  const checkItemOf = async (table: TableContext) => {
    const { Item } = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: marshall(PSEUDONYM_KEY_CHECK_KEY),
        ConsistentRead: true,
      }),
    );
    return Item ? unmarshall(Item) : undefined;
  };

  it('writes the check at the first use of a key: an HMAC, not the key, under its own catalogued key', async () => {
    // Prepare
    const table = await freshTable();
    const key = await original();
    // Act
    const outcome = await verifyPseudonymKey(table, key);
    const item = await checkItemOf(table);
    // Assess
    expect(outcome).toBe('written');
    expect(kindOfKey(PSEUDONYM_KEY_CHECK_KEY)).toBe('pseudonymKeyCheck');
    expect(item).toMatchObject({
      ...PSEUDONYM_KEY_CHECK_KEY,
      algorithm: 'HMAC-SHA256',
      writtenAt: T0.toISOString(),
    });
    expect(item?.hmac).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(item)).not.toContain(key.export().toString('utf8'));
  });

  it('writes no first check for an operator tool (compare only), and compares where there is one', async () => {
    // Prepare
    const table = await freshTable();
    const key = await original();
    const log = capturingLogger();
    const compareOnly = checkedPseudonymKey(table, original, { logger: log.logger, firstWrite: false });
    // Act
    const onFresh = await compareOnly().catch((error: unknown) => error);
    const itemAfterRefusal = await checkItemOf(table);
    await verifyPseudonymKey(table, key);
    const onChecked = await checkedPseudonymKey(table, original, { logger: log.logger, firstWrite: false })();
    // Assess
    expect(onFresh).toBeInstanceOf(PseudonymKeyCheckMissingError);
    expect(itemAfterRefusal).toBeUndefined();
    expect(onChecked.equals(key)).toBe(true);
  });

  it('passes the same key in a later environment, which only reads the check', async () => {
    // Prepare: the first environment wrote the check
    const table = await freshTable();
    await verifyPseudonymKey(table, await original());
    const before = await checkItemOf(table);
    let secretReads = 0;
    const later = checkedPseudonymKey(
      table,
      async () => {
        secretReads += 1;
        return original();
      },
      { logger: capturingLogger().logger },
    );
    // Act
    const keys = await Promise.all([later(), later(), later()]);
    // Assess: one load for the environment, the same key each time, the check untouched
    expect(secretReads).toBe(1);
    expect(keys.every((key) => key.equals(keys[0] as PseudonymKey))).toBe(true);
    expect(await checkItemOf(table)).toEqual(before);
  });

  it('refuses a different key, loudly and without quoting it, and takes the secret up again once set back', async () => {
    // Prepare: filed under the original key; the secret then replaced
    const table = await freshTable();
    await verifyPseudonymKey(table, await original());
    let secret = 'a-replaced-pseudonym-key-of-sixty-four-characters-0123456789abc';
    let secretReads = 0;
    const source = cachedPseudonymKey(
      {
        getSecretValue: async () => {
          secretReads += 1;
          return { SecretString: secret };
        },
      },
      'arn:aws:secretsmanager:eu-west-1:000000000000:secret:switchboard/pseudonym-key',
    );
    const log = capturingLogger();
    const checked = checkedPseudonymKey(table, source, { logger: log.logger });
    // Act: the first load, another need within the minute, then the secret set back and a minute on
    const first = await checked().catch((error: unknown) => error);
    const again = await checked().catch((error: unknown) => error);
    const readsWhileRefused = secretReads;
    secret = (await original()).export().toString('utf8');
    table.at = new Date(T0.getTime() + 61_000);
    const recovered = await checked();
    // Assess
    expect(first).toBeInstanceOf(PseudonymKeyMismatchError);
    expect(again).toBe(first);
    expect(String((first as Error).message)).not.toContain('a-replaced-pseudonym-key');
    expect(readsWhileRefused).toBe(1);
    expect(log.refusals()).toEqual([
      expect.objectContaining({ level: 'error', reason: 'differs', errorName: 'PseudonymKeyMismatchError' }),
    ]);
    expect(JSON.stringify(log.lines)).not.toContain('a-replaced-pseudonym-key');
    expect(recovered.equals(await original())).toBe(true);
    expect(secretReads).toBe(2);
  });

  it('refuses any key when the check item is not one', async () => {
    // Prepare
    const table = await freshTable();
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: marshall({ ...PSEUDONYM_KEY_CHECK_KEY, hmac: 'not-an-hmac' }),
      }),
    );
    // Act
    const refusal = await verifyPseudonymKey(table, await original()).catch((error: unknown) => error);
    // Assess
    expect(refusal).toBeInstanceOf(PseudonymKeyMismatchError);
    expect((refusal as PseudonymKeyMismatchError).reason).toBe('malformed');
  });

  it('lets two first uses at once agree: the same key passes both, a different one is refused', async () => {
    // Prepare: each pair's first reads of the (absent) check both answer before either puts
    const racing = async (keys: readonly PseudonymKey[]) => {
      const table = await freshTable();
      let firstReads = 0;
      let bothRead: () => void = () => {};
      const barrier = new Promise<void>((release) => {
        bothRead = release;
      });
      const client: TableContext['client'] = {
        send: (async (command: unknown) => {
          const answer = await table.client.send(command as never);
          if (command instanceof GetItemCommand && firstReads < keys.length) {
            firstReads += 1;
            if (firstReads === keys.length) bothRead();
            await barrier;
          }
          return answer;
        }) as TableContext['client']['send'],
      };
      const outcomes = await Promise.allSettled(
        keys.map((key) => verifyPseudonymKey({ ...table, client }, key)),
      );
      return {
        table,
        settled: outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason)),
      };
    };
    const key = await original();
    // Act
    const same = await racing([key, key]);
    const different = await racing([key, replacedKey]);
    // Assess
    expect([...same.settled].sort()).toEqual(['matched', 'written']);
    expect(different.settled.filter((value) => value === 'written')).toHaveLength(1);
    expect(different.settled.filter((value) => value instanceof PseudonymKeyMismatchError)).toHaveLength(1);
    // The table's check is the winner's: the winner's key matches it, the loser's is refused again.
    const [winner, loser] = different.settled[0] === 'written' ? [key, replacedKey] : [replacedKey, key];
    expect(await verifyPseudonymKey(different.table, winner)).toBe('matched');
    await expect(verifyPseudonymKey(different.table, loser)).rejects.toBeInstanceOf(
      PseudonymKeyMismatchError,
    );
  });

  /** A customer who texted, sent STOP, was erased and texted again: their conversation and contact. */
  const stoppedErasedAndBack = async (digits: string) => {
    const phone = `+1555030${digits}`;
    const contact = { identities: [{ type: 'phone' as const, value: phone }] };
    const first = smsFrom(phone, `SM-kc-${digits}-1`, minutesBefore(30));
    const stop = consentEvent(phone, 'opted_out', minutesBefore(29), 'STOP');
    await hub.pipeline.ingest([first, stop]);
    await hub.pipeline.drain();
    const report = await erasePerson(
      { table: hubTable, pseudonymKey: original, deleteObjects: async () => {} },
      contactIdFor('sms', contact, ''),
    );
    await hub.pipeline.ingest([smsFrom(phone, `SM-kc-${digits}-2`, minutesBefore(10))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    return {
      conversationId: (first.data as { conversationId: string }).conversationId,
      contactKey: contactKeyFor('sms', contact),
      person: contactIdFor('sms', contact, ''),
      stop,
      report,
    };
  };

  it('sends no SMS to an erased contact who said STOP when the sender reads a replaced key', async () => {
    // Prepare: the original key refuses the SMS (the kept STOP), so the refusal is what is at stake
    const { conversationId, report } = await stoppedErasedAndBack('0001');
    await hub.enqueue(sendCommand(conversationId, 'kc-original'));
    await hub.runOutbox();
    const withOriginal = outcomesOf(await hub.pipeline.takeHelpdesk());
    const log = capturingLogger();
    const sender = hub.sender(undefined, { pseudonymKey: replaced, logger: log.logger });
    // Act
    await hub.enqueue(sendCommand(conversationId, 'kc-replaced'));
    const run = await hub.runOutbox(sender);
    // Assess
    expect(report).toMatchObject({ optOutsKept: 1 });
    expect(withOriginal.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect((withOriginal[0] as HubEventOf<'switchboard.message.send_failed'>).data.reason).toBe('opted_out');
    expect(hub.provider.calls).toEqual([]);
    // Failed at every receive, then ended at the last one without a provider call.
    expect(run.failed).toBeGreaterThan(1);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    // Loud: the fixed line, once for the environment (the refusal is answered from memory after it).
    expect(log.refusals()).toHaveLength(1);
    expect(
      log.lines.filter((line) => line.errorName === 'PseudonymKeyMismatchError' && line.level === 'error')
        .length,
    ).toBeGreaterThan(1);
  });

  it('records a STOP under a replaced key all the same, and holds an opt-in back until the key is right', async () => {
    // Prepare: an erased customer who wrote again; a START and then a STOP arrive while the recorder
    // reads a replaced key
    const { contactKey } = await stoppedErasedAndBack('0002');
    const phone = '+15550300002';
    const { clients, resources } = hub.pipeline.emulators;
    const recorderWith = (pseudonymKey: PseudonymKeySource, logger = capturingLogger().logger) =>
      createRecorder({
        pseudonymKey,
        dynamodb: clients.dynamodb,
        sqs: clients.sqs,
        payloads: { s3: clients.s3, bucket: resources.bucketName },
        tableName: resources.tableName,
        helpdeskQueueUrl: resources.helpdeskQueueUrl,
        ingestDlqUrl: resources.ingestDlqUrl,
        logger,
        clock: () => hub.now,
      });
    const optIn = consentEvent(phone, 'opted_in', minutesBefore(5), 'START');
    const stop = consentEvent(phone, 'opted_out', minutesBefore(4), 'STOP');
    const delivery = (event: HubEvent, id: string) =>
      sqsEvent([{ id, group: event.subject ?? id, body: JSON.stringify(event) }]);
    const contactBefore = await itemAt(contactItemKey(contactKey));
    const log = capturingLogger();
    const replacedRecorder = recorderWith(replaced, log.logger);
    // Act
    const optInWithReplaced = await replacedRecorder.handleSqsEvent(delivery(optIn, 'start'));
    const contactAfterOptIn = await itemAt(contactItemKey(contactKey));
    const stopWithReplaced = await replacedRecorder.handleSqsEvent(delivery(stop, 'stop'));
    const contactAfterStop = await itemAt(contactItemKey(contactKey));
    const optInWithOriginal = await recorderWith(original).handleSqsEvent(delivery(optIn, 'start'));
    // Assess: the opt-in waits (retried later), nothing written; the STOP is recorded at once
    expect(optInWithReplaced.batchItemFailures).toEqual([{ itemIdentifier: 'start' }]);
    expect(log.refusals()).toHaveLength(1);
    expect(contactAfterOptIn).toEqual(contactBefore);
    expect(stopWithReplaced.batchItemFailures).toEqual([]);
    expect(JSON.stringify(contactAfterStop)).toContain(stop.id);
    expect(JSON.stringify(contactAfterStop)).not.toEqual(JSON.stringify(contactBefore));
    // Once the key is right the opt-in is recorded, behind the later STOP, which stands.
    expect(optInWithOriginal.batchItemFailures).toEqual([]);
    const contactAfter = JSON.stringify(await itemAt(contactItemKey(contactKey)));
    expect(contactAfter).toContain(stop.id);
    expect(contactAfter).toContain('opted_out');
  });

  it('erases nothing and files no opt-out under a replaced key', async () => {
    // Prepare: a customer who stopped; the helpdesk API reads a replaced key
    const phone = '+15550300003';
    const contact = { identities: [{ type: 'phone' as const, value: phone }] };
    await hub.pipeline.ingest([
      smsFrom(phone, 'SM-kc-0003-1', minutesBefore(30)),
      consentEvent(phone, 'opted_out', minutesBefore(29), 'STOP'),
    ]);
    await hub.pipeline.drain();
    const contactKey = contactKeyFor('sms', contact);
    const { clients, resources } = hub.pipeline.emulators;
    const log = capturingLogger();
    const api = createWiredHelpdeskApi({
      pseudonymKey: replaced,
      dynamodb: clients.dynamodb,
      sqs: clients.sqs,
      s3: clients.s3,
      tableName: resources.tableName,
      payloadBucket: resources.bucketName,
      helpdeskQueueUrl: resources.helpdeskQueueUrl,
      outboxQueueUrl: resources.outboxQueueUrl,
      logger: log.logger,
    });
    // Act
    const response = await api({
      method: 'DELETE',
      path: `/v1/contacts/${contactIdFor('sms', contact, '')}`,
      query: {},
      headers: {},
      principal: 'operator:test',
    });
    // Assess
    expect(response.status).toBe(500);
    expect(log.refusals()).toHaveLength(1);
    expect(await itemAt(contactItemKey(contactKey))).toBeDefined();
    expect(await itemAt(suppressionKey(replacedKey, contactKey))).toBeUndefined();
  });

  const itemAt = async (key: { pk: string; sk: string }) => {
    const { Item } = await hubTable.client.send(
      new GetItemCommand({ TableName: hubTable.tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return Item ? unmarshall(Item) : undefined;
  };
});
