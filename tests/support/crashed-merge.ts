import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { personMergeIndexKeys, personMergeKey } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';

/**
 * What a merge of `discarded` into `surviving` that crashed right after its PutItem leaves: its item
 * (made `at`), never checked, nothing moved.
 */
export const putCrashedMerge = async (
  context: TableContext,
  surviving: string,
  discarded: string,
  at: string,
): Promise<void> => {
  await context.client.send(
    new PutItemCommand({
      TableName: context.tableName,
      Item: marshall({
        ...personMergeKey(discarded),
        ...personMergeIndexKeys(discarded, surviving),
        into: surviving,
        reason: `first try at ${at}`,
        mergedAt: at,
      }),
    }),
  );
};
