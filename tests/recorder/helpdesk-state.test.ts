import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { applyEvent, isMessageEvent, type MessageEvent } from '#shared/domain/conversation.ts';
import { applyPatch, wakeIfDue } from '#shared/domain/conversation-change.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { loadConversation, saveConversation } from '#shared/store/conversations.ts';
import { indexShardOf } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from './factories.ts';

const message = (...args: Parameters<typeof messageEvent>): MessageEvent => {
  const event = messageEvent(...args);
  if (!isMessageEvent(event)) throw new Error('factory built a non-message');
  return event;
};

describe('helpdesk fields of a conversation (domain)', () => {
  it('waits from the oldest unanswered customer message and stops waiting on an answer', () => {
    // Prepare
    const first = applyEvent(undefined, message('w1', 'm1', minute(0))).model;
    // Act
    const second = applyEvent(first, message('w1', 'm2', minute(3))).model;
    const answered = applyEvent(second, message('w1', 'm3', minute(5), 'outbound')).model;
    const again = applyEvent(answered, message('w1', 'm4', minute(9))).model;
    // Assess
    expect(first.state.waitingSince).toBe(minute(0));
    expect(second.state.waitingSince).toBe(minute(0));
    expect(answered.state.waitingSince).toBeNull();
    expect(again.state.waitingSince).toBe(minute(9));
  });

  it('keeps a late answer from ending a wait it did not cover', () => {
    // Prepare
    const asked = applyEvent(
      applyEvent(undefined, message('w2', 'm1', minute(0))).model,
      message('w2', 'm2', minute(8)),
    ).model;
    // Act: an answer written at minute 4 arrives after the customer's minute-8 message
    const late = applyEvent(asked, message('w2', 'm3', minute(4), 'outbound')).model;
    // Assess
    expect(late.state.waitingSince).toBe(minute(8));
    expect(late.state.unreadCount).toBe(2);
  });

  it('changes only what a patch names, counts a version per real change and lists the fields', () => {
    // Prepare
    const model = applyEvent(undefined, message('p1', 'm1', minute(0))).model;
    // Act
    const patched = applyPatch(model, { assignee: 'agent-7', labels: ['vip', 'vip', 'billing'] });
    const same = applyPatch(patched.model, { assignee: 'agent-7' });
    // Assess
    expect(patched.changes).toEqual(['assignee', 'labels']);
    expect(patched.model.state).toMatchObject({
      assignee: 'agent-7',
      labels: ['vip', 'billing'],
      status: 'open',
      version: 2,
    });
    expect(same.changes).toEqual([]);
    expect(same.model).toBe(patched.model);
  });

  it('reopens a snoozed conversation on a new customer message and at its time, not before', () => {
    // Prepare
    const model = applyEvent(undefined, message('s1', 'm1', minute(0))).model;
    const snoozed = applyPatch(model, { status: 'snoozed', snoozedUntil: minute(60) }).model;
    // Act
    const early = wakeIfDue(snoozed, new Date(minute(59)));
    const due = wakeIfDue(snoozed, new Date(minute(60)));
    const written = applyEvent(snoozed, message('s1', 'm2', minute(30)));
    // Assess
    expect(snoozed.state).toMatchObject({ status: 'snoozed', snoozedUntil: minute(60) });
    expect(early.changes).toEqual([]);
    expect(due.changes).toEqual(['status', 'snoozedUntil']);
    expect(due.model.state).toMatchObject({ status: 'open', snoozedUntil: null });
    expect(written.previousStatus).toBe('snoozed');
    expect(written.model.state).toMatchObject({ status: 'open', snoozedUntil: null });
  });
});

describe('the attention index (gsi4)', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let context: TableContext;

  beforeAll(async () => {
    emulators = await startEmulators();
    const now = () => new Date('2026-11-22T12:00:00.000Z');
    context = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: now,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const entries = async (partition: string) => {
    const output = await emulators.clients.dynamodb.send(
      new QueryCommand({
        TableName: emulators.resources.tableName,
        IndexName: 'gsi4',
        KeyConditionExpression: 'gsi4pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': partition }),
      }),
    );
    return (output.Items ?? []).map((raw) => unmarshall(raw));
  };

  it('lists a waiting conversation by its wait, drops it on the answer, and lists a snooze by its time', async () => {
    // Prepare
    const { conversationId } = conversationFor('attention');
    const pk = `CONV#${conversationId}`;
    // Its shard of the waiting customers (shared/store/keys.ts INDEX_SHARDS)
    const waitingShard = `WAITING#${indexShardOf(conversationId)}`;
    // Act
    await recorder.recordEvent(messageEvent('attention', 'a1', minute(1)));
    const waiting = await entries(waitingShard);
    await recorder.recordEvent(messageEvent('attention', 'a2', minute(2), 'outbound'));
    const answered = await entries(waitingShard);
    const stored = await loadConversation(context, conversationId);
    if (!stored.model) throw new Error('not recorded');
    const snooze = applyPatch(stored.model, { status: 'snoozed', snoozedUntil: minute(90) });
    const saved = await saveConversation(context, {
      model: snooze.model,
      previous: stored.model,
      recentEventIds: stored.recentEventIds,
      lastChange: { eventId: 'chg_test', previousStatus: 'open', changes: snooze.changes },
    });
    const snoozed = await entries('SNOOZED');
    const reloaded = await loadConversation(context, conversationId);
    // Assess
    expect(waiting).toEqual([{ pk, sk: 'STATE', gsi4pk: waitingShard, gsi4sk: minute(1) }]);
    expect(answered).toEqual([]);
    expect(saved).toBe('saved');
    expect(snoozed).toEqual([{ pk, sk: 'STATE', gsi4pk: 'SNOOZED', gsi4sk: minute(90) }]);
    expect(reloaded.model?.state).toMatchObject({ status: 'snoozed', snoozedUntil: minute(90), version: 3 });
    expect(reloaded.lastChange?.changes).toEqual(['status', 'snoozedUntil']);
  });
});
