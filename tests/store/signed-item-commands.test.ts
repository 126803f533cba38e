import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeSignedRequests } from '#shared/aws/clients.ts';
import { SignedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_SIGNING_ENV } from '#shared/local/local-aws.ts';
import { createSendStore } from '#shared/store/sends.ts';
import { deadPort } from '#tests/support/dead-port.ts';

/*
 * The functions send the stores' item commands through SignedDynamoDbCommands instead of the SDK's
 * client: each command here goes both ways against the local DynamoDB, and the answers (and errors)
 * must be what the SDK's client gives, binary attributes included.
 */

type Sender = { send: (command: never) => Promise<unknown> };

const withoutMetadata = (output: unknown): Record<string, unknown> => {
  const { $metadata: _, ...rest } = output as Record<string, unknown>;
  return rest;
};

/** What a rejection carries that a store reads: its name and, for a failed condition, the old item. */
const rejectionOf = async (sending: Promise<unknown>) => {
  const error = await sending.then(
    () => undefined,
    (caught: unknown) => caught as { name?: string; Item?: unknown },
  );
  return error && { name: error.name, Item: error.Item };
};

/** A server that answers every request with this status and JSON text, as DynamoDB would. */
const answeringServer = async (status: number, text: string) => {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

const attributeValue: fc.Arbitrary<AttributeValue> = fc.letrec<{ value: AttributeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string().map((S) => ({ S })),
    fc.integer().map((n) => ({ N: String(n) })),
    fc.uint8Array({ maxLength: 40 }).map((B) => ({ B })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
    fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }).map((SS) => ({ SS })),
    fc
      .uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 8 }), {
        minLength: 1,
        maxLength: 3,
        selector: (bytes) => Buffer.from(bytes).toString('hex'),
      })
      .map((BS) => ({ BS })),
    fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })),
    fc
      .dictionary(fc.constantFrom('B', 'BS', 'S', 'name', 'M'), tie('value'), {
        maxKeys: 3,
        noNullPrototype: true,
      })
      .map((M) => ({ M })),
  ),
})).value;

describe('signed DynamoDB item commands', () => {
  let emulators: RunningEmulators;
  let sdk: Sender;
  let signed: Sender;
  let table: string;
  beforeAll(async () => {
    emulators = await startEmulators();
    sdk = emulators.clients.dynamodb as unknown as Sender;
    signed = new SignedDynamoDbCommands({
      endpoint: emulators.endpoints.dynamodb,
      env: LOCAL_SIGNING_ENV,
    }) as unknown as Sender;
    table = emulators.resources.tableName;
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const both = async (command: () => object) => {
    const viaSdk = await sdk.send(command() as never);
    const viaSigned = await signed.send(command() as never);
    return { viaSdk: withoutMetadata(viaSdk), viaSigned: withoutMetadata(viaSigned) };
  };

  it('writes and reads any attribute value as the SDK does, binary and nested ones included', async () => {
    // Prepare
    let count = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('a', 'B', 'BS', 'model'), attributeValue, { noNullPrototype: true }),
        async (attributes) => {
          count += 1;
          const keyBySigned = { pk: { S: `SIGNED#${count}` }, sk: { S: 'ITEM' } };
          const keyBySdk = { pk: { S: `SDK#${count}` }, sk: { S: 'ITEM' } };

          // Act
          await signed.send(
            new PutItemCommand({ TableName: table, Item: { ...attributes, ...keyBySigned } }) as never,
          );
          await sdk.send(
            new PutItemCommand({ TableName: table, Item: { ...attributes, ...keyBySdk } }) as never,
          );
          const readBySdk = (await sdk.send(
            new GetItemCommand({ TableName: table, Key: keyBySigned, ConsistentRead: true }) as never,
          )) as { Item?: unknown };
          const readBySigned = (await signed.send(
            new GetItemCommand({ TableName: table, Key: keyBySdk, ConsistentRead: true }) as never,
          )) as { Item?: unknown };

          // Assess
          expect(readBySdk.Item).toStrictEqual({ ...attributes, ...keyBySigned });
          expect(readBySigned.Item).toStrictEqual({ ...attributes, ...keyBySdk });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers updates, queries, scans, batches and deletes as the SDK does', async () => {
    // Prepare
    const key = (sk: string) => ({ pk: { S: 'CONV#parity' }, sk: { S: sk } });
    for (const sk of ['A', 'B', 'C']) {
      await sdk.send(
        new PutItemCommand({ TableName: table, Item: { ...key(sk), blob: { B: Buffer.from(sk) } } }) as never,
      );
    }

    // Act
    const updated = await both(
      () =>
        new UpdateItemCommand({
          TableName: table,
          Key: key('A'),
          UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
          ReturnConsumedCapacity: 'TOTAL',
        }),
    );
    const firstPage = await both(
      () =>
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'CONV#parity' } },
          Limit: 2,
        }),
    );
    const scanned = await both(
      () =>
        new ScanCommand({
          TableName: table,
          FilterExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'CONV#parity' } },
        }),
    );
    const batchRead = await both(
      () =>
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: [key('B'), key('C')], ConsistentRead: true } },
        }),
    );
    const batchWritten = await both(
      () =>
        new BatchWriteItemCommand({
          RequestItems: {
            [table]: [{ PutRequest: { Item: { ...key('D'), blob: { B: Buffer.from('D') } } } }],
          },
        }),
    );
    const deleted = await both(
      () => new DeleteItemCommand({ TableName: table, Key: key('D'), ReturnValues: 'ALL_OLD' }),
    );

    // Assess
    expect(updated.viaSdk).toStrictEqual({
      Attributes: { n: { N: '1' } },
      ConsumedCapacity: expect.anything(),
    });
    expect(updated.viaSigned).toStrictEqual({
      Attributes: { n: { N: '2' } },
      ConsumedCapacity: updated.viaSdk.ConsumedCapacity,
    });
    expect(firstPage.viaSigned).toStrictEqual(firstPage.viaSdk);
    expect(firstPage.viaSigned).toHaveProperty('LastEvaluatedKey', key('B'));
    expect(scanned.viaSigned).toStrictEqual(scanned.viaSdk);
    // A batch read answers in no order.
    const readItems = (output: Record<string, unknown>) =>
      ((output as { Responses: Record<string, { sk: { S: string } }[]> }).Responses[table] ?? []).toSorted(
        (a, b) => a.sk.S.localeCompare(b.sk.S),
      );
    expect(readItems(batchRead.viaSigned)).toStrictEqual(readItems(batchRead.viaSdk));
    expect(readItems(batchRead.viaSigned)).toHaveLength(2);
    expect(batchRead.viaSigned).toStrictEqual({ ...batchRead.viaSdk, Responses: expect.anything() });
    expect(batchWritten.viaSigned).toStrictEqual(batchWritten.viaSdk);
    expect(deleted.viaSdk).toStrictEqual({
      Attributes: { ...key('D'), blob: { B: new Uint8Array(Buffer.from('D')) } },
    });
    expect(deleted.viaSigned).toStrictEqual({});
  });

  it('rejects a failed condition with the SDK’s name and the old item, bytes as bytes', async () => {
    // Prepare: the local DynamoDB returns no old item, so a server answers as DynamoDB documents it.
    const oldItem = { pk: { S: 'SEND#parity' }, blob: { B: Buffer.from([0, 1, 255]).toString('base64') } };
    const { server, endpoint } = await answeringServer(
      400,
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: oldItem,
      }),
    );
    const sdkAtServer = new DynamoDBClient({
      endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const signedAtServer = new SignedDynamoDbCommands({ endpoint, env: LOCAL_SIGNING_ENV, maxAttempts: 1 });
    const conditional = () =>
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'SEND#parity' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });

    // Act
    const bySdk = await rejectionOf(sdkAtServer.send(conditional()));
    const bySigned = await rejectionOf(signedAtServer.send(conditional()));
    sdkAtServer.destroy();
    await new Promise((resolve) => server.close(resolve));

    // Assess
    expect(bySdk).toStrictEqual({
      name: 'ConditionalCheckFailedException',
      Item: { pk: { S: 'SEND#parity' }, blob: { B: new Uint8Array([0, 1, 255]) } },
    });
    expect(bySigned).toStrictEqual(bySdk);
  });

  it('lets a store run over it unchanged: a send claimed twice is refused the second time', async () => {
    // Prepare
    const sends = createSendStore({ client: signed as never, tableName: table, now: () => new Date() });
    const record = {
      hubMessageId: 'msg_signed-claim',
      conversationId: 'conv_signed',
      commandId: 'cmd-1',
      commandHash: 'hash',
      state: 'sending' as const,
      acceptedAt: new Date().toISOString(),
      messageCount: 1,
      next: 0,
      providerIds: [],
      links: {},
    };

    // Act
    const first = await sends.claim(record);
    const second = await sends.claim({ ...record, commandId: 'cmd-2' });

    // Assess
    expect(first).toBe('claimed');
    expect(second).toBe('exists');
    expect(await sends.get(record.hubMessageId)).toMatchObject({ commandId: 'cmd-1' });
  });

  it('keeps an attribute named __proto__ as an attribute, never as the item’s prototype', async () => {
    // Prepare: the answer's text names an attribute `__proto__` (JSON.parse makes it an own member;
    // an assignment while decoding would set the item's prototype instead).
    const { server, endpoint } = await answeringServer(
      200,
      '{"Item":{"pk":{"S":"PROTO#1"},"__proto__":{"M":{"polluted":{"S":"yes"}}}}}',
    );
    const client = new SignedDynamoDbCommands({ endpoint, env: LOCAL_SIGNING_ENV, maxAttempts: 1 });

    // Act
    const read = (await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'PROTO#1' } } }),
    )) as unknown as { Item: Record<string, unknown> };
    await new Promise((resolve) => server.close(resolve));

    // Assess
    expect(Object.getPrototypeOf(read.Item)).toBe(Object.prototype);
    expect(Object.hasOwn(read.Item, '__proto__')).toBe(true);
    expect((read.Item as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('makes as many attempts as AWS_MAX_ATTEMPTS says, as the SDK client does, else 3', async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${await deadPort()}`;
    const attemptsWith = async (env: NodeJS.ProcessEnv) => {
      const client = new SignedDynamoDbCommands({ endpoint, env, sleep: async () => {} });
      let attempts = 0;
      const stop = observeSignedRequests((_operation, kind) => {
        if (kind === 'attempt') attempts += 1;
      });
      const refused = await rejectionOf(
        client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: 'b' } } })),
      );
      stop();
      return { attempts, refused: refused?.name };
    };

    // Act
    const once = await attemptsWith({ ...LOCAL_SIGNING_ENV, AWS_MAX_ATTEMPTS: '1' });
    const byDefault = await attemptsWith(LOCAL_SIGNING_ENV);
    const unreadable = await attemptsWith({ ...LOCAL_SIGNING_ENV, AWS_MAX_ATTEMPTS: 'many' });

    // Assess
    expect(once).toStrictEqual({ attempts: 1, refused: 'Error' });
    expect(byDefault.attempts).toBe(3);
    expect(unreadable.attempts).toBe(3);
  });

  it('refuses a command that is not an item command, sending nothing', async () => {
    // Act
    const refused = await rejectionOf(signed.send(new DescribeTableCommand({ TableName: table }) as never));

    // Assess
    expect(refused?.name).toBe('Error');
  });
});
