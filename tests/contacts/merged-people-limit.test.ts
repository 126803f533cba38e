import { BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { personMergeIndexKeys, personMergeKey } from '#shared/store/keys.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * An erasure walks at most 64 people merged into one another: a person with more is refused whole,
 * loudly, instead of erased in part (the merge items of people it did not walk deleted, and 200).
 */
describe('a merge tree larger than an erasure walks', () => {
  const table = useEmulatedTable();

  it('refuses the erasure and the export, naming the limit, and deletes nothing', async () => {
    // Prepare: 70 people merged into one
    const survivor = 'ct_0000000000000000000000000000limit';
    const merges = Array.from({ length: 70 }, (_, index) => {
      const discarded = `ct_limit${String(index).padStart(3, '0')}`;
      return {
        ...personMergeKey(discarded),
        ...personMergeIndexKeys(discarded, survivor),
        survivingContactId: survivor,
        reason: 'test',
        mergedAt: '2026-11-22T10:00:00.000Z',
      };
    });
    for (let start = 0; start < merges.length; start += 25)
      await table.context.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [table.context.tableName]: merges
              .slice(start, start + 25)
              .map((item) => ({ PutRequest: { Item: marshall(item) } })),
          },
        }),
      );
    const mergeItems = async () =>
      ((await table.context.client.send(new ScanCommand({ TableName: table.context.tableName }))).Items ?? [])
        .map((raw) => unmarshall(raw))
        .filter((item) => item.sk === 'MERGED').length;
    // Act
    const erasure = erasePerson(
      { pseudonymKey: localPseudonymKey, table: table.context, deleteObjects: async () => {} },
      survivor,
    );
    // Assess
    await expect(erasure).rejects.toThrow(/more than 64 people merged/);
    await expect(
      exportPerson({ table: table.context, pseudonymKey: localPseudonymKey }, survivor),
    ).rejects.toThrow(/more than 64 people merged/);
    expect(await mergeItems()).toBe(70);
  });
});
