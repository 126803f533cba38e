import { DescribeTableCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { HUB_TABLE, type TableDefinition } from '#shared/resources/definitions.ts';

describe('a local table from an earlier version of the hub', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('gains the indexes the definition added, keeping its items', async () => {
    // Prepare: a table as an older hub made it, without the last index, holding an item for it.
    const { dynamodb } = emulators.clients;
    const older: TableDefinition = {
      ...HUB_TABLE,
      name: 'older-hub',
      globalSecondaryIndexes: HUB_TABLE.globalSecondaryIndexes.slice(0, -1),
    };
    await createTable(dynamodb, older);
    const item = {
      pk: { S: 'CONV#c1' },
      sk: { S: 'STATE' },
      gsi3pk: { S: 'CONTACT#k' },
      gsi3sk: { S: 'CONV#c1' },
    };
    await dynamodb.send(new PutItemCommand({ TableName: older.name, Item: item }));
    // Act
    await createTable(dynamodb, { ...HUB_TABLE, name: older.name });
    // Assess
    const description = await dynamodb.send(new DescribeTableCommand({ TableName: older.name }));
    expect((description.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual(
      HUB_TABLE.globalSecondaryIndexes.map((index) => index.indexName).sort(),
    );
    const kept = await dynamodb.send(
      new GetItemCommand({ TableName: older.name, Key: { pk: item.pk, sk: item.sk } }),
    );
    expect(kept.Item).toEqual(item);
    const byContact = await dynamodb.send(
      new QueryCommand({
        TableName: older.name,
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'CONTACT#k' } },
      }),
    );
    expect(byContact.Items).toHaveLength(1);
  });
});
