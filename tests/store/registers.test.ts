import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusOrder } from '#shared/domain/status.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { conversationKey, messageStateKey } from '#shared/store/keys.ts';
import {
  MESSAGE_STATE_REGISTERS,
  type RegisterWrite,
  readRegisters,
  timeOrder,
  timeTie,
  watermarkRegister,
  writeRegister,
} from '#shared/store/registers.ts';
import type { TableContext } from '#shared/store/table.ts';

describe('registers against the local DynamoDB server', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    };
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const statusWrite = (
    hubMessageId: string,
    status: 'delivered' | 'read',
    eventId: string,
  ): RegisterWrite => ({
    target: { key: messageStateKey(hubMessageId), attribute: 'status' },
    order: statusOrder('whatsapp', status),
    eventId,
    value: { status, providerStatus: status, at: '2026-11-22T11:00:00.000Z' },
  });

  it('keeps a register from moving backwards and recognizes its own rewrite', async () => {
    // Prepare
    const read = statusWrite('msg_a', 'read', 'e-read');
    // Act
    const first = await writeRegister(context, read);
    const behind = await writeRegister(context, statusWrite('msg_a', 'delivered', 'e-delivered'));
    const again = await writeRegister(context, read);
    // Assess
    expect([first, behind, again]).toEqual(['written', 'stale', 'written']);
  });

  it("keeps a message state's first expiry: a later status does not push it past the message record's", async () => {
    // Prepare: delivered on the message's first day, read on its 29th (each write's expiry is its
    // own arrival plus the retention)
    const day = 86_400;
    const first = 1_795_000_000;
    const withExpiry = (write: RegisterWrite, expiresAt: number): RegisterWrite => ({
      ...write,
      target: { ...write.target, expiresAt },
    });
    // Act
    await writeRegister(context, withExpiry(statusWrite('msg_expiry', 'delivered', 'e-1'), first));
    const later = await writeRegister(
      context,
      withExpiry(statusWrite('msg_expiry', 'read', 'e-2'), first + 28 * day),
    );
    // Assess
    expect(later).toBe('written');
    const item = await context.client.send(
      new GetItemCommand({ TableName: context.tableName, Key: marshall(messageStateKey('msg_expiry')) }),
    );
    expect(unmarshall(item.Item ?? {}).expiresAt).toBe(first);
  });

  it('keeps a reaction the hub dated itself stale on its retry, after a later reaction moved past its second', async () => {
    // Prepare: H has no provider time (dated at receipt, 10:00:00.123); P has one, a later second
    const reaction = (
      eventId: string,
      at: string,
      dating: { tie: string } | { undated: true },
    ): RegisterWrite => ({
      target: { key: messageStateKey('msg_undated'), attribute: 'customerReaction' },
      order: timeOrder(at, undefined, eventId),
      eventId,
      value: { action: 'added', emoji: eventId === 'e-h' ? '👍' : '❤️', at },
      ...dating,
    });
    const first = await writeRegister(
      context,
      reaction('e-h', '2026-11-22T10:00:00.123Z', { undated: true }),
    );
    const later = await writeRegister(
      context,
      reaction('e-p', '2026-11-22T10:00:30.000Z', { tie: timeTie('2026-11-22T10:00:30.000Z') }),
    );
    // Act: the provider retries H, which the hub dates by its new receipt
    const retried = await writeRegister(
      context,
      reaction('e-h', '2026-11-22T10:01:00.000Z', { undated: true }),
    );
    // Assess
    expect([first, later, retried]).toEqual(['written', 'written', 'stale']);
  });

  it('reads back what was written, typed by its schema', async () => {
    // Prepare
    await writeRegister(context, statusWrite('msg_b', 'delivered', 'e-b'));
    // Act
    const output = await context.client.send(
      new GetItemCommand({ TableName: context.tableName, Key: marshall(messageStateKey('msg_b')) }),
    );
    const live = readRegisters(output.Item ? unmarshall(output.Item) : undefined, MESSAGE_STATE_REGISTERS);
    // Assess
    expect(live).toEqual({
      status: { status: 'delivered', providerStatus: 'delivered', at: '2026-11-22T11:00:00.000Z' },
    });
  });

  it('keeps a conversation watermark forward-only without a set of the receipts that moved it', async () => {
    // Prepare: a conversation item as an earlier version left it, with a set of applied receipts
    const conversationId = 'conv_watermarks';
    const key = conversationKey(conversationId);
    const seconds = (n: number) => new Date(Date.UTC(2026, 10, 22, 11, 0, n)).toISOString();
    const receipt = (n: number, eventId: string): RegisterWrite => ({
      target: watermarkRegister(conversationId, 'read'),
      order: seconds(n),
      eventId,
      value: { watermark: seconds(n) },
    });
    await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({ ...key, readWatermarkApplied: new Set(['0123456789abcdef']) }),
      }),
    );
    // Act: 300 receipts, each a second later; then one overtaken, one of equal time, one redelivered
    for (let n = 1; n <= 300; n++) await writeRegister(context, receipt(n, `e-read-${n}`));
    const outcomes = [
      await writeRegister(context, receipt(100, 'e-read-100')),
      await writeRegister(context, receipt(300, 'e-read-other-300')),
      await writeRegister(context, receipt(300, 'e-read-300')),
    ];
    const output = await context.client.send(
      new GetItemCommand({ TableName: context.tableName, Key: marshall(key) }),
    );
    const item = output.Item ? unmarshall(output.Item) : {};
    // Assess
    expect(outcomes).toEqual(['stale', 'stale', 'written']);
    expect(item.readWatermarkApplied).toBeUndefined();
    expect(JSON.parse(String(item.readWatermark?.value))).toEqual({ watermark: seconds(300) });
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(400);
  });
});
