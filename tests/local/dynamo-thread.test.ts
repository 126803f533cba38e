import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startDynamoThread } from '#shared/local/dynamo-thread.ts';
import { createTable, localClients } from '#shared/local/emulators.ts';
import { threadCpuMicros } from '#shared/local/thread-cpu.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';

describe('the DynamoDB emulator in a thread of its own', () => {
  const folders: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  const clientFor = (port: number) => {
    const { dynamodb, sqs, s3 } = localClients({
      dynamodb: `http://127.0.0.1:${port}`,
      sqs: 'http://127.0.0.1:1',
      s3: 'http://127.0.0.1:1',
    });
    sqs.destroy();
    s3.destroy();
    stops.push(async () => dynamodb.destroy());
    return dynamodb;
  };

  it('closes its LevelDB files on stop, so a restart on the same folder reads what was written', async () => {
    // Prepare
    const path = mkdtempSync(join(tmpdir(), 'switchboard-dynamo-thread-'));
    folders.push(path);
    const key = { pk: { S: 'TEST#thread' }, sk: { S: 'A' } };
    const first = await startDynamoThread({ path, port: 0 });
    const writer = clientFor(first.port);
    await createTable(writer, HUB_TABLE);
    await writer.send(new PutItemCommand({ TableName: HUB_TABLE.name, Item: { ...key, n: { N: '7' } } }));
    // Act
    await first.stop();
    const second = await startDynamoThread({ path, port: 0 });
    stops.push(() => second.stop());
    const read = await clientFor(second.port).send(
      new GetItemCommand({ TableName: HUB_TABLE.name, Key: key }),
    );
    // Assess
    expect(read.Item?.n).toEqual({ N: '7' });
  });

  it('fails its start with the reason when its port is taken', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    // Act
    const started = startDynamoThread({ port });
    // Assess
    await expect(started).rejects.toThrow(/did not start: .*EADDRINUSE/);
  });

  it('reports its CPU while it runs, and answers none once stopped instead of leaving the reader waiting', async () => {
    // Prepare
    const thread = await startDynamoThread({ port: 0 });
    await createTable(clientFor(thread.port), HUB_TABLE);
    const measurable = threadCpuMicros() !== undefined;
    // Act
    const running = await thread.cpuMicros();
    const pendingAtStop = thread.cpuMicros();
    await thread.stop();
    const afterStop = await thread.cpuMicros();
    // Assess
    if (measurable) expect(running).toBeGreaterThan(0);
    expect(await pendingAtStop).toSatisfy((micros) => micros === undefined || typeof micros === 'number');
    expect(afterStop).toBeUndefined();
  });
});
