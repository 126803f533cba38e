import type { AddressInfo } from 'node:net';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
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

  it('waits for the old table to be gone when the server deletes it late', async () => {
    // Prepare: a server that keeps a deleted table's name taken for a while, as a loaded one does.
    const server = dynalite({ createTableMs: 0, deleteTableMs: 150, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const older: TableDefinition = {
        ...HUB_TABLE,
        name: 'slow-delete',
        globalSecondaryIndexes: HUB_TABLE.globalSecondaryIndexes.slice(0, -1),
      };
      await createTable(client, older);
      // Act
      await createTable(client, { ...HUB_TABLE, name: older.name });
      // Assess
      const description = await client.send(new DescribeTableCommand({ TableName: older.name }));
      expect(description.Table?.TableStatus).toBe('ACTIVE');
      expect(description.Table?.GlobalSecondaryIndexes).toHaveLength(HUB_TABLE.globalSecondaryIndexes.length);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
