import { BatchGetItemCommand, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AttentionSweeper,
  createAttentionSweeper,
  createSweepMemory,
  type SweepLimits,
  type SweepMemory,
} from '#shared/attention/sweeper.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { normalizeTwilioParams } from '#shared/channels/sms/inbound/normalize.ts';
import type { ResponseTargets } from '#shared/config/runtime.ts';
import {
  buildResponseOverdueEvent,
  type Channel,
  type ConversationState,
  type HubEvent,
  type HubEventOf,
  stableHash,
} from '#shared/contract/index.ts';
import { applyEvent, type ConversationModel, type MessageEvent } from '#shared/domain/conversation.ts';
import { applyPatch, SNOOZE_TIMER } from '#shared/domain/conversation-change.ts';
import { alreadyReported, overdueWait } from '#shared/domain/response-overdue.ts';
import { createTable, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger, type Logger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import { loadConversation, saveConversation } from '#shared/store/conversations.ts';
import { reshardLegacyIndexEntries } from '#shared/store/index-shards.ts';
import { conversationKey, INDEX_SHARDS } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';

/** The waiting customers' read: one Query of each shard of `WAITING`, and of the unsharded one of before. */
const waitingRead = Array.from({ length: INDEX_SHARDS + 1 }, () => 'Query');

/*
 * The attention sweeper against the local DynamoDB, one fresh table per test, counting every call
 * it makes: snoozes wake once and never over a concurrent change, waits are reported once, and a
 * crash at any step repeats the same event rather than adding one.
 */

const TARGETS: ResponseTargets = { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 };
/** A sweep's budget in these tests (by the clock the test gives it). */
const BUDGET_MS = 30_000;
/** Conversations a sweep handles at once (shared/attention/sweeper.ts CONCURRENCY). */
const AT_ONCE = 8;
const silent = createLogger({ level: 'error', write: () => {} });
const at = (n: number) => new Date(minute(n));

type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;
type Overdue = HubEventOf<'switchboard.conversation.response_overdue'>;

describe('attention sweeper', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let tableCount = 0;
  const calls: string[] = [];
  let table: TableContext;
  let published: HubEvent[];

  beforeAll(async () => {
    emulators = await startEmulators();
    dynamodb = emulators.clients.dynamodb;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countSweeperCalls' },
    );
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(async () => {
    tableCount += 1;
    const tableName = `sweeper-${tableCount}`;
    await createTable(dynamodb, { ...HUB_TABLE, name: tableName });
    table = { client: dynamodb, tableName, now: () => at(0) };
    published = [];
  });

  /** The table's client, but its first UpdateItem times out (a crash between a publish and its note). */
  const failingFirstUpdate = (): TableContext['client'] => {
    let failedOnce = false;
    return {
      send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
        if (command instanceof UpdateItemCommand && !failedOnce) {
          failedOnce = true;
          throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
        }
        return dynamodb.send(command as never);
      },
    } as TableContext['client'];
  };

  const sweeperWith = (
    options: {
      memory?: SweepMemory;
      limits?: SweepLimits;
      publish?: (event: HubEvent) => Promise<void>;
      client?: TableContext['client'];
      logger?: Logger;
      clock?: () => number;
    } = {},
  ): AttentionSweeper =>
    createAttentionSweeper({
      table: { ...table, ...(options.client ? { client: options.client } : {}) },
      publishEvent:
        options.publish ??
        (async (event) => {
          published.push(event);
        }),
      targets: TARGETS,
      memory: options.memory ?? createSweepMemory(),
      logger: options.logger ?? silent,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.clock ? { clock: options.clock, budgetMs: BUDGET_MS } : {}),
    });

  /**
   * A clock for the sweep's budget that has spent it once `spend` is called (the sweep's start then
   * reads it again): the sweep handles the conversations it started and starts no more.
   */
  const budgetClock = () => {
    let elapsed = 0;
    return { clock: () => elapsed, spend: () => (elapsed += BUDGET_MS) };
  };

  /** Sweeps at a time and returns the report with the DynamoDB calls it made. */
  const sweepAt = async (sweeper: AttentionSweeper, n: number) => {
    calls.length = 0;
    const report = await sweeper.sweep(at(n));
    return { report, calls: [...calls] };
  };

  const record = (event: HubEvent) =>
    createRecorderService({
      store: createRecorderStore(table, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(event.time),
      logger: silent,
    }).recordEvent(event);

  const customerWrites = (customer: string, id: string, n: number, channel: Channel = 'whatsapp') =>
    record(messageEvent(customer, id, minute(n), 'inbound', 'hello', channel));
  const businessAnswers = (customer: string, id: string, n: number, channel: Channel = 'whatsapp') =>
    record(messageEvent(customer, id, minute(n), 'outbound', 'hello', channel));
  /** A customer message written at one minute that reached the hub at a later one (a provider's retry of a failed webhook). */
  const customerWritesLate = (customer: string, id: string, writtenAt: number, receivedAt: number) => {
    const event = messageEvent(customer, id, minute(writtenAt));
    return record({ ...event, data: { ...event.data, receivedAt: minute(receivedAt) } } as HubEvent);
  };

  /** A helpdesk change as the API's PATCH saves it. */
  const patch = async (customer: string, change: Parameters<typeof applyPatch>[1], n: number) => {
    const stored = await loadConversation(table, conversationFor(customer).conversationId);
    const model = stored.model;
    if (!model) throw new Error('no conversation');
    const changed = applyPatch(model, change);
    const saved = await saveConversation(table, {
      model: changed.model,
      previous: model,
      recentEventIds: stored.recentEventIds,
      lastChange: {
        eventId: `chg_${customer}-${n}`,
        previousStatus: model.state.status,
        changedBy: { kind: 'agent', id: 'agent-1' },
        changes: changed.changes,
        at: minute(n),
      },
    });
    expect(saved).toBe('saved');
    return changed.model.state;
  };

  /** A snooze as the helpdesk API's PATCH saves it. */
  const snooze = (customer: string, untilMinute: number) =>
    patch(customer, { status: 'snoozed', snoozedUntil: minute(untilMinute) }, 2);

  const stateChanges = () =>
    published.filter(
      (event): event is StateChanged => event.type === 'switchboard.conversation.state_changed',
    );
  const overdueEvents = () =>
    published.filter((event): event is Overdue => event.type === 'switchboard.conversation.response_overdue');

  describe('snoozes', () => {
    it('wakes a due snooze once: saved with its state change behind an announcement marker, published by the snooze timer, then both cleared', async () => {
      // Prepare: answered (nothing waits), then snoozed until minute 30
      await customerWrites('sw-a', 'a1', 1);
      await businessAnswers('sw-a', 'a2', 2);
      const snoozed = await snooze('sw-a', 30);
      const sweeper = sweeperWith();
      // Act
      const early = await sweepAt(sweeper, 29);
      const due = await sweepAt(sweeper, 31);
      const after = await sweepAt(sweeper, 32);
      const stored = await loadConversation(table, snoozed.conversationId);
      // Assess
      expect(early.calls).toEqual(['Query', 'Query', ...waitingRead]);
      expect(early.report.snoozesWoken).toBe(0);
      // The marker, the save (the index entry moves with it), then after the publish the change
      // forgotten and the marker deleted.
      expect(due.calls).toEqual([
        'Query',
        'Query',
        'BatchGetItem',
        'PutItem',
        'UpdateItem',
        'UpdateItem',
        'DeleteItem',
        ...waitingRead,
      ]);
      expect(due.report).toMatchObject({ snoozesWoken: 1, failed: 0, complete: true });
      expect(stateChanges()).toHaveLength(1);
      expect(stateChanges()[0]?.data).toMatchObject({
        previousStatus: 'snoozed',
        changedBy: SNOOZE_TIMER,
        changes: ['status', 'snoozedUntil'],
        state: { status: 'open', snoozedUntil: null, version: snoozed.version + 1 },
      });
      expect(stateChanges()[0]?.data.changedBy?.kind).toBe('system');
      expect(after.calls).toEqual(['Query', 'Query', ...waitingRead]);
      expect(published).toHaveLength(1);
      expect(stored.model?.state).toMatchObject({ status: 'open', snoozedUntil: null });
      expect(stored.attentionEntry).toBeUndefined();
      expect(stored.unannounced).toBeUndefined();
      expect(stored.lastChange).toMatchObject({ changedBy: SNOOZE_TIMER, at: minute(31) });
    });

    it('leaves a conversation a customer reopened while the sweep woke it: the conflict is read again and nothing published', async () => {
      // Prepare: the customer writes between the sweep's read and its save
      await customerWrites('sw-b', 'b1', 1);
      await businessAnswers('sw-b', 'b2', 2);
      const snoozed = await snooze('sw-b', 30);
      let raced = false;
      const racing: TableContext['client'] = {
        send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
          if (command instanceof UpdateItemCommand && !raced) {
            raced = true;
            await customerWrites('sw-b', 'b3', 31);
          }
          return dynamodb.send(command as never);
        },
      } as TableContext['client'];
      // Act
      const { report, calls: made } = await sweepAt(sweeperWith({ client: racing }), 31);
      const stored = await loadConversation(table, snoozed.conversationId);
      // Assess
      expect(report.snoozesWoken).toBe(0);
      expect(stateChanges()).toEqual([]);
      expect(made).toContain('GetItem');
      expect(stored.model?.state).toMatchObject({
        status: 'open',
        snoozedUntil: null,
        waitingSince: minute(31),
        version: snoozed.version + 1,
      });
      expect(stored.lastChange?.changedBy).toBeUndefined();
    });

    it('re-checks a conversation changed in another way and wakes it on the new version', async () => {
      // Prepare: a label is added between the sweep's read and its save
      await customerWrites('sw-c', 'c1', 1);
      await businessAnswers('sw-c', 'c2', 2);
      const snoozed = await snooze('sw-c', 30);
      let raced = false;
      const racing = {
        send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
          if (command instanceof UpdateItemCommand && !raced) {
            raced = true;
            const stored = await loadConversation(table, snoozed.conversationId);
            const model = stored.model;
            if (!model) throw new Error('no conversation');
            const labelled = applyPatch(model, { labels: ['vip'] });
            await saveConversation(table, {
              model: labelled.model,
              previous: model,
              recentEventIds: stored.recentEventIds,
              lastChange: { eventId: 'chg_label', previousStatus: 'snoozed', changes: ['labels'] },
            });
          }
          return dynamodb.send(command as never);
        },
      } as TableContext['client'];
      // Act
      const { report } = await sweepAt(sweeperWith({ client: racing }), 31);
      const stored = await loadConversation(table, snoozed.conversationId);
      // Assess
      expect(report.snoozesWoken).toBe(1);
      expect(stateChanges()).toHaveLength(1);
      expect(stateChanges()[0]?.data.state).toMatchObject({
        status: 'open',
        labels: ['vip'],
        version: snoozed.version + 2,
      });
      expect(stored.model?.state.version).toBe(snoozed.version + 2);
    });

    it('after a crash between the save and the publish, the sweep that finds its marker due publishes the same event', async () => {
      // Prepare: the first publish fails as a crash would leave it
      await customerWrites('sw-d', 'd1', 1);
      const snoozed = await snooze('sw-d', 30);
      const attempted: HubEvent[] = [];
      const crashOnce = async (event: HubEvent) => {
        attempted.push(event);
        if (attempted.length === 1) throw new Error('lost');
        published.push(event);
      };
      const sweeper = sweeperWith({ publish: crashOnce });
      // Act
      const crashed = await sweepAt(sweeper, 31);
      const saved = await loadConversation(table, snoozed.conversationId);
      const retried = await sweepAt(sweeper, 32);
      const announced = await loadConversation(table, snoozed.conversationId);
      const quiet = await sweepAt(sweeper, 33);
      // Assess
      expect(crashed.report.failed).toBe(1);
      expect(saved.model?.state.status).toBe('open');
      expect(saved.unannounced?.map((change) => change.changedBy)).toEqual([SNOOZE_TIMER]);
      // The customer still waits: the entry moved to WAITING with the save, where the overdue side reads it.
      expect(saved.attentionEntry).toMatch(/^WAITING#\d+$/);
      expect(retried.report).toMatchObject({ failed: 0, changesAnnounced: 1, snoozesWoken: 0 });
      const wakes = stateChanges().filter((event) => event.data.changedBy?.kind === 'system');
      expect(wakes).toHaveLength(1);
      expect(wakes[0]?.id).toBe(attempted[0]?.id);
      expect(wakes[0]).toEqual(attempted[0]);
      expect(announced.unannounced).toBeUndefined();
      expect(quiet.report).toMatchObject({ snoozesWoken: 0, changesAnnounced: 0 });
      expect(stateChanges()).toHaveLength(1);
    });

    it('two sweeps at once publish one event id between them', async () => {
      // Prepare
      await customerWrites('sw-e', 'e1', 1);
      await businessAnswers('sw-e', 'e2', 2);
      await snooze('sw-e', 30);
      // Act
      const reports = await Promise.all([sweeperWith().sweep(at(31)), sweeperWith().sweep(at(31))]);
      // Assess
      expect(new Set(stateChanges().map((event) => event.id)).size).toBe(1);
      expect(reports.map((report) => report.failed)).toEqual([0, 0]);
      expect((await loadConversation(table, conversationFor('sw-e').conversationId)).attentionEntry).toBe(
        undefined,
      );
    });

    it('wakes no more snoozes once its time budget is spent: the rest stay due and the next sweep wakes them, each once', async () => {
      // Prepare: twelve answered conversations snoozed until minute 30; the budget is spent by the
      // time the first wake is published
      const customers = Array.from({ length: 12 }, (_, n) => `sw-budget-${n}`);
      for (const customer of customers) {
        await customerWrites(customer, `${customer}-1`, 1);
        await businessAnswers(customer, `${customer}-2`, 2);
        await snooze(customer, 30);
      }
      const budget = budgetClock();
      let spentOnce = false;
      const sweeper = sweeperWith({
        clock: budget.clock,
        publish: async (event) => {
          if (!spentOnce) {
            spentOnce = true;
            budget.spend();
          }
          published.push(event);
        },
      });
      // Act
      const first = await sweepAt(sweeper, 31);
      const second = await sweepAt(sweeper, 32);
      const third = await sweepAt(sweeper, 33);
      // Assess: the wakes started before the budget ran out finish; the others wait one sweep
      expect(first.report).toMatchObject({ snoozesWoken: AT_ONCE, failed: 0, complete: false });
      expect(second.report).toMatchObject({
        snoozesWoken: customers.length - AT_ONCE,
        failed: 0,
        complete: true,
      });
      expect(third.report.snoozesWoken).toBe(0);
      const woken = stateChanges().map((event) => event.data.state.conversationId);
      expect(new Set(woken).size).toBe(customers.length);
      expect(woken).toHaveLength(customers.length);
    });

    it('wakes a snooze kept with an offset before 2026-12-02 at its UTC time once reshard-indexes rewrote its index entry', async () => {
      // Prepare: answered, then snoozed as the API kept it before e0f83ba: until minute 30 (10:30 UTC)
      // written at +09:00, so the index's text order puts it at 19:30
      await customerWrites('sw-tz', 'tz1', 1);
      await businessAnswers('sw-tz', 'tz2', 2);
      const offsetUntil = '2026-11-22T19:30:00+09:00';
      expect(Date.parse(offsetUntil)).toBe(Date.parse(minute(30)));
      const snoozed = await patch('sw-tz', { status: 'snoozed', snoozedUntil: offsetUntil }, 2);
      // Act: a sweep at 10:31 UTC before the migration, the migration, then sweeps at 10:31 and 10:32
      const before = await sweepAt(sweeperWith(), 31);
      const migrated = await reshardLegacyIndexEntries(table);
      const again = await reshardLegacyIndexEntries(table);
      const sweeper = sweeperWith();
      const due = await sweepAt(sweeper, 31);
      const after = await sweepAt(sweeper, 32);
      const stored = await loadConversation(table, snoozed.conversationId);
      // Assess: missed while the index held the local time; due at its instant once rewritten, woken once
      expect(before.report.snoozesWoken).toBe(0);
      expect(migrated).toMatchObject({ offsetSnoozes: 1, offsetSnoozesFixed: 1 });
      expect(again).toMatchObject({ offsetSnoozes: 0, offsetSnoozesFixed: 0 });
      expect(due.report.snoozesWoken).toBe(1);
      expect(after.report.snoozesWoken).toBe(0);
      expect(stateChanges()).toHaveLength(1);
      expect(stateChanges()[0]?.data).toMatchObject({ previousStatus: 'snoozed', changedBy: SNOOZE_TIMER });
      expect(stored.model?.state).toMatchObject({ status: 'open', snoozedUntil: null });
      expect(stored.attentionEntry).toBeUndefined();
    });

    it('publishes a wake whose publish failed even when the customer writes before the next sweep', async () => {
      // Prepare: answered, snoozed until minute 30; the sweep at 31 saves the wake and its publish fails
      await customerWrites('sw-f', 'f1', 1);
      await businessAnswers('sw-f', 'f2', 2);
      await snooze('sw-f', 30);
      let refused = false;
      const sweeper = sweeperWith({
        publish: async (event) => {
          if (!refused) {
            refused = true;
            throw new Error('queue unavailable');
          }
          published.push(event);
        },
      });
      const crashed = await sweepAt(sweeper, 31);
      // The customer writes half a minute later (the recorder publishes its own state change, from `open`)
      await customerWrites('sw-f', 'f3', 31.5);
      // Act
      const retried = await sweepAt(sweeper, 32);
      const quiet = await sweepAt(sweeper, 33);
      // Assess: the snooze's wake (snoozed -> open, by the snooze timer) reached the helpdesk once
      expect(crashed.report.failed).toBe(1);
      expect(retried.report).toMatchObject({ changesAnnounced: 1, failed: 0 });
      expect(quiet.report).toMatchObject({ changesAnnounced: 0, snoozesWoken: 0, failed: 0 });
      expect(stateChanges()).toHaveLength(1);
      expect(stateChanges()[0]?.data).toMatchObject({
        previousStatus: 'snoozed',
        changedBy: SNOOZE_TIMER,
        state: { status: 'open', snoozedUntil: null },
      });
    });
  });

  describe('response targets', () => {
    it('reports a wait past its target once: read (again just before its report), noted once, then known from memory or the note', async () => {
      // Prepare: WhatsApp's target is 15 minutes
      await customerWrites('ov-a', 'a1', 0);
      const memory = createSweepMemory();
      const sweeper = sweeperWith({ memory });
      // Act
      const before = await sweepAt(sweeper, 14);
      const reached = await sweepAt(sweeper, 16);
      const remembered = await sweepAt(sweeper, 17);
      const fresh = await sweepAt(sweeperWith(), 18);
      // Assess
      expect(before.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0 });
      expect(before.calls).toEqual(['Query', 'Query', ...waitingRead]);
      // The slice's read, the conversation read again alone just before its report, the note.
      expect(reached.calls).toEqual([
        'Query',
        'Query',
        ...waitingRead,
        'BatchGetItem',
        'GetItem',
        'UpdateItem',
      ]);
      expect(reached.report).toMatchObject({ responsesOverdue: 1, conversationsOverdue: 1 });
      expect(remembered.calls).toEqual(['Query', 'Query', ...waitingRead]);
      expect(remembered.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 1 });
      expect(fresh.calls).toEqual(['Query', 'Query', ...waitingRead, 'BatchGetItem']);
      expect(fresh.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 1 });
      expect(overdueEvents()).toHaveLength(1);
      const [event] = overdueEvents();
      expect(event).toMatchObject({
        subject: conversationFor('ov-a').conversationId,
        time: minute(15),
        data: {
          conversationId: conversationFor('ov-a').conversationId,
          channel: 'whatsapp',
          provider: 'meta',
          endpoint: { id: 'phone-1' },
          contact: { identities: [{ type: 'wa_id', value: 'ov-a' }] },
          waitingSince: minute(0),
          targetSeconds: 900,
          waitedSeconds: 960,
          detectedAt: minute(16),
        },
      });
    });

    it('publishes nothing for a wait answered between the sweep’s read and its report: the conversation is read again just before', async () => {
      // Prepare: the customer waits past the target; the business answers right after the sweep read
      // the waiting conversations (the recorder saves it answered and publishes its state_changed)
      await customerWrites('ov-race', 'race-1', 0);
      let answered = false;
      const sweepCalls: string[] = [];
      const racing = {
        send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
          sweepCalls.push(command.constructor.name.replace(/Command$/, ''));
          const output = await dynamodb.send(command as never);
          if (command instanceof BatchGetItemCommand && !answered) {
            answered = true;
            await businessAnswers('ov-race', 'race-2', 16);
          }
          return output;
        },
      } as TableContext['client'];
      // Act
      const swept = await sweepAt(sweeperWith({ client: racing }), 16);
      const later = await sweepAt(sweeperWith(), 17);
      const stored = await loadConversation(table, conversationFor('ov-race').conversationId);
      // Assess: read (waiting), read again alone (answered), nothing published or noted
      expect(answered).toBe(true);
      expect(overdueEvents()).toEqual([]);
      expect(sweepCalls).toEqual(['Query', 'Query', ...waitingRead, 'BatchGetItem', 'GetItem']);
      expect(swept.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0, failed: 0 });
      expect(later.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0 });
      expect(stored.model?.state).toMatchObject({ waitingSince: null, unreadCount: 0 });
      expect(stored.overdueReported).toBeUndefined();
    });

    it('reports nothing after the business answers, and again for a new wait', async () => {
      // Prepare
      await customerWrites('ov-b', 'b1', 0);
      const sweeper = sweeperWith();
      await sweeper.sweep(at(16));
      await businessAnswers('ov-b', 'b2', 20);
      // Act
      const answered = await sweepAt(sweeper, 40);
      await customerWrites('ov-b', 'b3', 41);
      const waitingAgain = await sweepAt(sweeper, 50);
      const newWait = await sweepAt(sweeper, 57);
      // Assess
      expect(answered.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0 });
      expect(waitingAgain.report.responsesOverdue).toBe(0);
      expect(newWait.report.responsesOverdue).toBe(1);
      expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual([minute(0), minute(41)]);
      expect(new Set(overdueEvents().map((event) => event.id)).size).toBe(2);
    });

    it.each([
      { ended: 'an answer', customer: 'late-a', endWait: () => businessAnswers('late-a', 'R', 25) },
      {
        ended: 'a PATCH to resolved',
        customer: 'late-b',
        endWait: () => patch('late-b', { status: 'resolved' }, 25),
      },
    ])(
      'reports a new wait after $ended even when its message is dated before the wait reported',
      async ({ customer, endWait }) => {
        // Prepare: WhatsApp message A (minute 0) fails its webhook; B (minute 5) arrives; B's wait is
        // reported at minute 21; the wait ends at minute 25; Meta retries A, received at minute 40
        await customerWrites(customer, 'B', 5);
        const sweeper = sweeperWith();
        await sweeper.sweep(at(21));
        await endWait();
        await customerWritesLate(customer, 'A', 0, 40);
        const stored = await loadConversation(table, conversationFor(customer).conversationId);
        // The customer waits again (A came in after the wait ended), since minute 0
        expect(stored.model?.state).toMatchObject({ status: 'open', waitingSince: minute(0) });
        // Act: sweeps long past the new wait's target, from memory and afresh
        const remembered = await sweepAt(sweeper, 60);
        const fresh = await sweepAt(sweeperWith(), 120);
        // Assess: the second wait is announced once, beside the first
        expect(remembered.report.responsesOverdue).toBe(1);
        expect(fresh.report.responsesOverdue).toBe(0);
        expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual([minute(5), minute(0)]);
      },
    );

    it('reports a new wait that starts at the very time of the wait reported, with an id of its own', async () => {
      // Prepare: two customer messages of one second (WhatsApp times are whole seconds); the second
      // arrives, its wait is reported and answered, then the first arrives (a provider's retry)
      await customerWrites('same-a', 'B', 5);
      const memory = createSweepMemory();
      const sweeper = sweeperWith({ memory });
      await sweeper.sweep(at(21));
      await businessAnswers('same-a', 'R', 25);
      await customerWritesLate('same-a', 'A', 5, 40);
      // Act: its index entry looks like the one reported (same time): the sweeper's memory of that
      // report (from minute 21) spares the read for an hour, then the conversation is read again
      const sweeps = [];
      for (const n of [60, 82, 84, 200]) sweeps.push(await sweepAt(sweeper, n));
      const fresh = await sweepAt(sweeperWith(), 201);
      // Assess: two waits, two events, two ids
      expect(sweeps.map((sweep) => sweep.report.responsesOverdue)).toEqual([0, 1, 0, 0]);
      expect(fresh.report.responsesOverdue).toBe(0);
      expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual([minute(5), minute(5)]);
      expect(new Set(overdueEvents().map((event) => event.id)).size).toBe(2);
    });

    it('reports a wait stored before waits were numbered by its waitingSince alone, once, and the next wait afresh', async () => {
      // Prepare: a customer waiting since minute 5, as stored before 2026-12-05 (no wait number) and
      // reported then (the note holds its waitingSince)
      await customerWrites('old-a', 'B', 5);
      const conversationId = conversationFor('old-a').conversationId;
      const stored = await loadConversation(table, conversationId);
      const { waitVersion: _dropped, ...model } = stored.model ?? ({} as never);
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: conversationKey(conversationId).pk }, sk: { S: 'STATE' } },
          UpdateExpression: 'SET model = :model, overdueFor = :since',
          ExpressionAttributeValues: { ':model': { S: JSON.stringify(model) }, ':since': { S: minute(5) } },
        }),
      );
      // Act: the wait reported before is not reported again; the business answers, then a message
      // dated before it arrives late
      const before = await sweepAt(sweeperWith(), 30);
      await businessAnswers('old-a', 'R', 31);
      await customerWritesLate('old-a', 'A', 0, 40);
      const after = await sweepAt(sweeperWith(), 60);
      // Assess
      expect(before.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 1 });
      expect(after.report.responsesOverdue).toBe(1);
      expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual([minute(0)]);
    });

    it('judges each channel by its own target: e-mail waiting 20 minutes is not overdue, WhatsApp is', async () => {
      // Prepare
      await customerWrites('ov-c', 'c1', 0, 'email');
      await customerWrites('ov-d', 'd1', 0, 'whatsapp');
      const memory = createSweepMemory();
      const sweeper = sweeperWith({ memory });
      // Act
      const first = await sweepAt(sweeper, 20);
      const second = await sweepAt(sweeper, 21);
      const emailDue = await sweepAt(sweeper, 241);
      // Assess
      expect(first.report).toMatchObject({ responsesOverdue: 1, conversationsOverdue: 1 });
      expect(overdueEvents()[0]?.data.channel).toBe('whatsapp');
      // Both channels are known now: the e-mail is judged from the index entry, without a read.
      expect(second.calls).toEqual(['Query', 'Query', ...waitingRead]);
      expect(second.report.conversationsOverdue).toBe(1);
      expect(emailDue.report).toMatchObject({ responsesOverdue: 1, conversationsOverdue: 2 });
      expect(overdueEvents()[1]?.data).toMatchObject({ channel: 'email', targetSeconds: 14_400 });
    });

    it('after a crash between the publish and the note, the next sweep publishes the same event id', async () => {
      // Prepare: the note fails once
      await customerWrites('ov-e', 'e1', 0);
      const failing = failingFirstUpdate();
      // Act
      const crashed = await sweepAt(sweeperWith({ client: failing }), 16);
      const retried = await sweepAt(sweeperWith({ client: failing }), 17);
      const after = await sweepAt(sweeperWith(), 18);
      // Assess
      expect(crashed.report.failed).toBe(1);
      expect(retried.report).toMatchObject({ failed: 0, responsesOverdue: 1 });
      expect(after.report.responsesOverdue).toBe(0);
      expect(overdueEvents()).toHaveLength(2);
      expect(overdueEvents()[0]?.id).toBe(overdueEvents()[1]?.id);
    });

    it('after a crash between the publish and the note, an older message of the same wait recorded late does not change the id published again', async () => {
      // Prepare: the customer waits from minute 10; the sweep at minute 26 publishes, its note fails;
      // then the customer's earlier message (written at minute 5) reaches the hub: a provider's retry,
      // which moves the start of the same wait back
      await customerWrites('ov-moved', 'moved-2', 10);
      const failing = failingFirstUpdate();
      const crashed = await sweepAt(sweeperWith({ client: failing }), 26);
      await customerWritesLate('ov-moved', 'moved-1', 5, 26.5);
      const stored = await loadConversation(table, conversationFor('ov-moved').conversationId);
      // Act
      const retried = await sweepAt(sweeperWith(), 27);
      const after = await sweepAt(sweeperWith(), 28);
      // Assess: one wait (its version unchanged), so one event id, however its start moved
      expect(crashed.report.failed).toBe(1);
      expect(stored.model?.state.waitingSince).toBe(minute(5));
      expect(stored.model?.waitVersion).toBe(1);
      expect(retried.report.responsesOverdue).toBe(1);
      expect(after.report.responsesOverdue).toBe(0);
      expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual([minute(10), minute(5)]);
      expect(overdueEvents()[1]?.id).toBe(overdueEvents()[0]?.id);
    });

    it('a WhatsApp number-change notice (a system message nobody wrote) reopens no resolved conversation and is never overdue', async () => {
      // Prepare: asked, answered, resolved
      await customerWrites('ov-notice', 'notice-1', 0);
      await businessAnswers('ov-notice', 'notice-2', 1);
      await patch('ov-notice', { status: 'resolved' }, 2);
      const notice = messageEvent('ov-notice', 'notice-3', minute(10));
      // Act: Meta's `system` message `user_changed_number`, as the adapter normalizes it
      await record({
        ...notice,
        data: {
          ...notice.data,
          parts: [
            {
              type: 'system',
              kind: 'user_changed_number',
              body: 'User changed from 1 to 2',
              newIdentity: '4915223456789',
            },
          ],
        },
      } as HubEvent);
      const stored = await loadConversation(table, conversationFor('ov-notice').conversationId);
      const swept = await sweepAt(sweeperWith(), 30);
      // Assess
      expect(stored.model?.state).toMatchObject({
        status: 'resolved',
        waitingSince: null,
        unreadCount: 0,
        messageCount: 3,
      });
      expect(swept.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0 });
      expect(overdueEvents()).toEqual([]);
    });

    it('an e-mail dated 2001 by its sender waits from its arrival, not for 25 years', async () => {
      // Prepare: the mail reaches the hub at minute 0, its Date header saying 2001
      const mail = messageEvent('ov-2001', 'date-1', '2001-01-01T00:00:00.000Z', 'inbound', 'hello', 'email');
      await record({ ...mail, data: { ...mail.data, receivedAt: minute(0) } } as HubEvent);
      const stored = await loadConversation(table, conversationFor('ov-2001', 'email').conversationId);
      // Act: a minute after it came, then past the e-mail target (4 hours) from its arrival
      const early = await sweepAt(sweeperWith(), 1);
      const due = await sweepAt(sweeperWith(), 241);
      // Assess
      expect(stored.model?.state).toMatchObject({
        waitingSince: minute(0),
        lastInboundAt: minute(0),
        createdAt: minute(0),
      });
      expect(early.report.responsesOverdue).toBe(0);
      expect(due.report.responsesOverdue).toBe(1);
      expect(overdueEvents()[0]?.data).toMatchObject({ waitingSince: minute(0), waitedSeconds: 241 * 60 });
    });

    it('an e-mail dated 14 minutes ahead by its sender is overdue 4 hours after it came in, not 14 minutes later', async () => {
      // Prepare: the mail reaches the hub at minute 0, its Date header saying minute 14 (a time
      // within the 15 minutes ahead a provider's is believed)
      const mail = messageEvent('ov-ahead', 'ahead-1', minute(14), 'inbound', 'hello', 'email');
      await record({ ...mail, data: { ...mail.data, receivedAt: minute(0) } } as HubEvent);
      // Act: at the e-mail target (4 hours) from its arrival
      const due = await sweepAt(sweeperWith(), 240);
      // Assess
      expect(due.report.responsesOverdue).toBe(1);
      expect(overdueEvents()[0]?.data).toMatchObject({ waitingSince: minute(0), waitedSeconds: 240 * 60 });
    });

    it('stays within its limits, longest wait first, and reaches the rest on later sweeps', async () => {
      // Prepare: three customers waiting since minutes 0, 1 and 2
      for (const [index, customer] of ['ov-f', 'ov-g', 'ov-h'].entries())
        await customerWrites(customer, `${customer}-1`, index);
      const sweeper = sweeperWith({ limits: { maxEntries: 10, maxItems: 1, pageSize: 2 } });
      // Act
      const sweeps = [];
      for (const n of [30, 31, 32, 33]) sweeps.push(await sweepAt(sweeper, n));
      // Assess
      expect(sweeps.map((sweep) => sweep.report.responsesOverdue)).toEqual([1, 1, 1, 0]);
      expect(sweeps.map((sweep) => sweep.report.complete)).toEqual([false, false, false, true]);
      expect(sweeps[3]?.report.conversationsOverdue).toBe(3);
      expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual([
        minute(0),
        minute(1),
        minute(2),
      ]);
      // Two pages of the waiting customers (page size 2: every shard, then the one shard with more), one
      // item read, and read again before its report (after the announcement markers' and the snoozes' Query).
      expect(sweeps[0]?.calls).toEqual([
        'Query',
        'Query',
        ...waitingRead,
        'Query',
        'BatchGetItem',
        'GetItem',
        'UpdateItem',
      ]);
    });
    it('reports no more waits once its time budget is spent: the next sweep reads on from the first it left, each reported once', async () => {
      // Prepare: twelve customers waiting since minutes 0 to 11; the budget is spent by the time the
      // first report is published
      const customers = Array.from({ length: 12 }, (_, n) => `ov-budget-${n}`);
      for (const [n, customer] of customers.entries()) await customerWrites(customer, `${customer}-1`, n);
      const budget = budgetClock();
      let spentOnce = false;
      const sweeper = sweeperWith({
        clock: budget.clock,
        publish: async (event) => {
          if (!spentOnce) {
            spentOnce = true;
            budget.spend();
          }
          published.push(event);
        },
      });
      // Act
      const first = await sweepAt(sweeper, 40);
      const second = await sweepAt(sweeper, 41);
      const third = await sweepAt(sweeper, 42);
      // Assess: the longest waits first; the rest, and only the rest, a sweep later
      expect(first.report).toMatchObject({ responsesOverdue: AT_ONCE, failed: 0, complete: false });
      expect(second.report).toMatchObject({ responsesOverdue: customers.length - AT_ONCE, failed: 0 });
      expect(second.report.conversationsOverdue).toBe(customers.length);
      expect(third.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: customers.length });
      expect(overdueEvents().map((event) => event.data.waitingSince)).toEqual(
        customers.map((_, n) => minute(n)),
      );
    });

    it('tries a wait whose report failed again at the next sweep, while its pass has moved on', async () => {
      // Prepare: three customers waiting since minutes 0, 1 and 2, one read a sweep; the first report's
      // publish fails once
      for (const [index, customer] of ['ov-r1', 'ov-r2', 'ov-r3'].entries())
        await customerWrites(customer, `${customer}-1`, index);
      let refused = false;
      const sweeper = sweeperWith({
        limits: { maxEntries: 10, maxItems: 1, pageSize: 2 },
        publish: async (event) => {
          if (!refused) {
            refused = true;
            throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
          }
          published.push(event);
        },
      });
      // Act
      const sweeps = [];
      for (const n of [30, 31, 32, 33]) sweeps.push(await sweepAt(sweeper, n));
      // Assess: the first wait is reported at the second sweep, beside the pass's next one
      expect(sweeps.map((sweep) => sweep.report.failed)).toEqual([1, 0, 0, 0]);
      expect(sweeps.map((sweep) => sweep.report.responsesOverdue)).toEqual([0, 2, 1, 0]);
      expect(
        overdueEvents()
          .map((event) => event.data.waitingSince)
          .sort(),
      ).toEqual([minute(0), minute(1), minute(2)]);
      expect(sweeps[3]?.report.conversationsOverdue).toBe(3);
    });

    it('reports a wait past its target however many newer waits fill the limits', async () => {
      // Prepare: an e-mail customer waiting 5 hours behind three e-mail customers waiting 20 minutes
      await customerWrites('ov-i', 'ov-i-1', 0, 'email');
      for (const customer of ['ov-j', 'ov-k', 'ov-l'])
        await customerWrites(customer, `${customer}-1`, 280, 'email');
      const sweeper = sweeperWith({ limits: { maxEntries: 3, maxItems: 3, pageSize: 3 } });
      // Act
      const sweeps = [];
      for (const n of [300, 301, 302, 303, 304]) sweeps.push(await sweepAt(sweeper, n));
      // Assess
      expect(overdueEvents()).toHaveLength(1);
      expect(overdueEvents()[0]?.data).toMatchObject({
        conversationId: conversationFor('ov-i', 'email').conversationId,
        channel: 'email',
        waitingSince: minute(0),
        targetSeconds: 14_400,
      });
      expect(sweeps.map((sweep) => sweep.report.responsesOverdue)).toEqual([1, 0, 0, 0, 0]);
      expect(sweeps.map((sweep) => sweep.report.failed)).toEqual([0, 0, 0, 0, 0]);
    });

    it('reads on where the last sweep stopped: waits under their target that fill the limits do not hide a later one past its own', async () => {
      // Prepare: four e-mail customers (4 hours' target) waiting since minutes 0 to 3, a WhatsApp one (15 minutes) since minute 10
      for (const [index, customer] of ['ov-m', 'ov-n', 'ov-o', 'ov-q'].entries())
        await customerWrites(customer, `${customer}-1`, index, 'email');
      await customerWrites('ov-p', 'ov-p-1', 10, 'whatsapp');
      const sweeper = sweeperWith({ limits: { maxEntries: 3, maxItems: 3, pageSize: 3 } });
      // Act: the entry the first sweep stopped at leaves the index (answered) before the second
      const first = await sweepAt(sweeper, 30);
      await businessAnswers('ov-o', 'ov-o-2', 30, 'email');
      const second = await sweepAt(sweeper, 31);
      const third = await sweepAt(sweeper, 32);
      // Assess
      expect(first.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0, complete: false });
      expect(second.report).toMatchObject({ responsesOverdue: 1, conversationsOverdue: 1, complete: false });
      expect(overdueEvents().map((event) => event.data.conversationId)).toEqual([
        conversationFor('ov-p').conversationId,
      ]);
      // Then a pass starts again from the longest wait: channels known, nothing read, nothing reported.
      expect(third.report).toMatchObject({ responsesOverdue: 0, failed: 0, complete: false });
      expect(third.calls.filter((call) => call !== 'Query')).toEqual([]);
    });
    it('reports the overdue waits of a whole pass, not of its last slice: the gauge holds while a pass takes several sweeps', async () => {
      // Prepare: three WhatsApp customers waiting since minutes 0 to 2 (past 15 minutes), three e-mail ones since minutes 10 to 12 (under 4 hours)
      for (const [index, customer] of ['gg-a', 'gg-b', 'gg-c'].entries())
        await customerWrites(customer, `${customer}-1`, index, 'whatsapp');
      for (const [index, customer] of ['gg-d', 'gg-e', 'gg-f'].entries())
        await customerWrites(customer, `${customer}-1`, 10 + index, 'email');
      const sweeper = sweeperWith({ limits: { maxEntries: 3, maxItems: 2, pageSize: 3 } });
      // Act: two passes, of three sweeps and then two
      const sweeps = [];
      for (const n of [30, 31, 32, 33, 34]) sweeps.push(await sweepAt(sweeper, n));
      // Assess: the sweeps reading only e-mail waits under their target still report the three overdue
      expect(sweeps.map((sweep) => sweep.report.conversationsOverdue)).toEqual([2, 3, 3, 3, 3]);
      expect(sweeps.map((sweep) => sweep.report.responsesOverdue)).toEqual([2, 1, 0, 0, 0]);
      expect(overdueEvents()).toHaveLength(3);
    });

    it('an SMS STOP starts no wait: nothing overdue for it, while a question by SMS is reported', async () => {
      // Prepare: an inbound SMS as the Twilio webhook turns it into events
      const textsAt = (from: string, sid: string, body: string, n: number) =>
        normalizeTwilioParams(
          [
            ['MessageSid', sid],
            ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
            ['From', from],
            ['To', '+14155550100'],
            ['Body', body],
            ['NumMedia', '0'],
            ['SmsStatus', 'received'],
          ],
          at(n),
        );
      const stop = textsAt('+14155550123', 'SM000000000000000000000000000057a1', 'STOP', 0);
      for (const event of stop) await record(event);
      const sweeper = sweeperWith();
      // Act
      const afterStop = await sweepAt(sweeper, 16);
      const question = textsAt(
        '+14155550124',
        'SM000000000000000000000000000057a2',
        'Where is my order?',
        20,
      );
      for (const event of question) await record(event);
      const afterQuestion = await sweepAt(sweeper, 36);
      const stopped = await loadConversation(table, stop[0]?.subject ?? '');
      // Assess
      expect(stop.map((event) => event.type)).toEqual([
        'switchboard.message.received',
        'switchboard.contact.consent_changed',
      ]);
      expect(stop[0]?.data).toMatchObject({ consentKeyword: 'opted_out' });
      expect(afterStop.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0 });
      expect(stopped.model?.state).toMatchObject({
        status: 'open',
        waitingSince: null,
        unreadCount: 1,
        messageCount: 1,
      });
      expect(question).toHaveLength(1);
      expect(afterQuestion.report).toMatchObject({ responsesOverdue: 1, conversationsOverdue: 1 });
      expect(
        overdueEvents().map((event) => [event.subject, event.data.channel, event.data.waitingSince]),
      ).toEqual([[question[0]?.subject, 'sms', minute(20)]]);
    });

    it('an SMS STOP after a question ends its wait: no answer may go, so none is overdue', async () => {
      // Prepare: a question, then STOP a minute later, from the same number
      const textsAt = (sid: string, body: string, n: number) =>
        normalizeTwilioParams(
          [
            ['MessageSid', sid],
            ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
            ['From', '+14155550125'],
            ['To', '+14155550100'],
            ['Body', body],
            ['NumMedia', '0'],
            ['SmsStatus', 'received'],
          ],
          at(n),
        );
      const question = textsAt('SM000000000000000000000000000057b1', 'Where is my order?', 0);
      const stop = textsAt('SM000000000000000000000000000057b2', 'STOP', 1);
      for (const event of [...question, ...stop]) await record(event);
      // Act
      const swept = await sweepAt(sweeperWith(), 16);
      const stopped = await loadConversation(table, stop[0]?.subject ?? '');
      // Assess
      expect(stop[0]?.subject).toBe(question[0]?.subject);
      expect(swept.report).toMatchObject({ responsesOverdue: 0, conversationsOverdue: 0 });
      expect(overdueEvents()).toEqual([]);
      expect(stopped.model?.state).toMatchObject({ waitingSince: null, unreadCount: 2, messageCount: 2 });
    });

    it('a STOP Twilio reports on WhatsApp stops marketing only: the question before it still waits', async () => {
      // Prepare: a WhatsApp question through Twilio, then STOP (Twilio's OptOutType), from one number
      const whatsAppAt = (sid: string, body: string, n: number, optOut?: string) =>
        normalizeTwilioParams(
          [
            ['MessageSid', sid],
            ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
            ['From', 'whatsapp:+14155550126'],
            ['To', 'whatsapp:+14155550100'],
            ['Body', body],
            ['NumMedia', '0'],
            ['SmsStatus', 'received'],
            ...(optOut ? [['OptOutType', optOut] as [string, string]] : []),
          ],
          at(n),
        );
      const question = whatsAppAt('SM000000000000000000000000000057c1', 'Where is my order?', 0);
      const stop = whatsAppAt('SM000000000000000000000000000057c2', 'STOP', 1, 'STOP');
      for (const event of [...question, ...stop]) await record(event);
      // Act
      const swept = await sweepAt(sweeperWith(), 16);
      // Assess
      expect(stop[0]?.data).toMatchObject({ channel: 'whatsapp', consentKeyword: 'opted_out' });
      expect(swept.report).toMatchObject({ responsesOverdue: 1 });
      expect(overdueEvents().map((event) => event.subject)).toEqual([question[0]?.subject]);
    });
  });

  describe('items it cannot read', () => {
    /** Gives these customers' conversation items a last change from a newer version of the hub. */
    const holdNewerLastChange = async (customers: readonly string[]) => {
      const newer = JSON.stringify({ eventId: 'evt_newer', previousStatus: 'open', changes: ['bogus'] });
      for (const customer of customers)
        await dynamodb.send(
          new UpdateItemCommand({
            TableName: table.tableName,
            Key: {
              pk: { S: conversationKey(conversationFor(customer).conversationId).pk },
              sk: { S: 'STATE' },
            },
            UpdateExpression: 'SET lastChange = :newer',
            ExpressionAttributeValues: { ':newer': { S: newer } },
          }),
        );
    };

    it('skips a conversation item it cannot read, logged by its id alone, and handles the others', async () => {
      // Prepare: of two waiting and two snoozed conversations, one of each holds a last change from a newer version
      await customerWrites('bad-a', 'bad-a-1', 0);
      await customerWrites('bad-b', 'bad-b-1', 0);
      for (const customer of ['bad-c', 'bad-d']) {
        await customerWrites(customer, `${customer}-1`, 0);
        await businessAnswers(customer, `${customer}-2`, 1);
        await snooze(customer, 10);
      }
      await holdNewerLastChange(['bad-a', 'bad-d']);
      const lines: string[] = [];
      const sweeper = sweeperWith({
        logger: createLogger({ level: 'error', write: (line) => lines.push(line) }),
      });
      // Act
      const first = await sweepAt(sweeper, 16);
      const second = await sweepAt(sweeper, 17);
      // Assess
      expect(first.report).toMatchObject({
        responsesOverdue: 1,
        snoozesWoken: 1,
        conversationsOverdue: 1,
        unreadable: 2,
        failed: 2,
      });
      expect(overdueEvents().map((event) => event.subject)).toEqual([
        conversationFor('bad-b').conversationId,
      ]);
      expect(stateChanges().map((event) => event.subject)).toEqual([conversationFor('bad-c').conversationId]);
      expect(second.report).toMatchObject({ responsesOverdue: 0, unreadable: 2, failed: 2 });
      const skipped = lines
        .map((line) => JSON.parse(line))
        .filter((entry) => entry.message === 'attention sweep skipped a conversation item it cannot read');
      expect(
        skipped
          .slice(0, 2)
          .map((entry) => entry.conversationId)
          .sort(),
      ).toEqual([conversationFor('bad-a').conversationId, conversationFor('bad-d').conversationId].sort());
      expect(skipped[0]).toMatchObject({ reason: 'unreadable conversation item', errorName: 'ZodError' });
      expect(lines.join('\n')).not.toMatch(/bogus|evt_newer|hello|bad-a/);
    });
    it('reads past items it cannot read: unreadable due snoozes that fill the item limit do not keep a readable one behind them asleep', async () => {
      // Prepare: three snoozed conversations, due at minutes 5, 6 and 7; the two due first hold a last change from a newer version
      for (const [index, customer] of ['past-a', 'past-b', 'past-c'].entries()) {
        await customerWrites(customer, `${customer}-1`, 0);
        await businessAnswers(customer, `${customer}-2`, 1);
        await snooze(customer, 5 + index);
      }
      await holdNewerLastChange(['past-a', 'past-b']);
      const sweeper = sweeperWith({ limits: { maxEntries: 10, maxItems: 2, pageSize: 10 } });
      // Act
      const { report } = await sweepAt(sweeper, 16);
      // Assess
      expect(report).toMatchObject({ snoozesWoken: 1, unreadable: 2, failed: 2, complete: true });
      expect(stateChanges().map((event) => event.subject)).toEqual([
        conversationFor('past-c').conversationId,
      ]);
    });
  });

  describe('the rules themselves', () => {
    it('a wait is overdue from its target on, only while the conversation is open', () => {
      // Prepare
      const base: ConversationState = {
        conversationId: 'conv_rules',
        channel: 'whatsapp',
        endpoint: { type: 'whatsapp_phone_number', id: 'phone-1' },
        contact: { identities: [{ type: 'wa_id', value: 'r-a' }] },
        contactId: `ct_${'0'.repeat(32)}`,
        status: 'open',
        createdAt: minute(0),
        lastMessageAt: minute(0),
        lastInboundAt: minute(0),
        replyWindow: { applies: true, closesAt: null },
        unreadCount: 1,
        messageCount: 1,
        firstResponseAt: null,
        firstResponseSeconds: null,
        assignee: null,
        labels: [],
        priority: null,
        snoozedUntil: null,
        waitingSince: minute(0),
        version: 1,
      };
      // Act + Assess
      expect(overdueWait({ state: base }, TARGETS, at(14.99))).toBeUndefined();
      expect(overdueWait({ state: base }, TARGETS, at(15))).toEqual({
        waitingSince: minute(0),
        targetSeconds: 900,
        waitedSeconds: 900,
      });
      expect(overdueWait({ state: base, waitVersion: 1 }, TARGETS, at(15))).toMatchObject({ waitVersion: 1 });
      expect(overdueWait({ state: { ...base, status: 'pending' } }, TARGETS, at(60))).toBeUndefined();
      expect(overdueWait({ state: { ...base, waitingSince: null } }, TARGETS, at(60))).toBeUndefined();
      expect(overdueWait({ state: { ...base, channel: 'email' } }, TARGETS, at(60))).toBeUndefined();
    });

    it('names a wait by the version it began at: the same while it goes on, another once it ended, whatever its start', () => {
      // Prepare: customer messages written at one minute and received at another
      const asks = (
        model: ConversationModel | undefined,
        id: string,
        writtenAt: number,
        receivedAt = writtenAt,
      ) => {
        const event = messageEvent('names-a', id, minute(writtenAt));
        return applyEvent(model, {
          ...event,
          data: { ...event.data, receivedAt: minute(receivedAt) },
        } as MessageEvent).model;
      };
      const answers = (model: ConversationModel, id: string, n: number) =>
        applyEvent(model, messageEvent('names-a', id, minute(n), 'outbound') as MessageEvent).model;
      // Act
      const first = asks(undefined, 'B', 5);
      const reachingBack = asks(first, 'A', 3, 6);
      const snoozed = applyPatch(reachingBack, { status: 'snoozed', snoozedUntil: minute(60) }).model;
      const answered = answers(snoozed, 'R', 25);
      const again = asks(answered, 'C', 0, 40);
      const partly = answers(asks(again, 'D', 50), 'S', 45);
      const resolved = applyPatch(partly, { status: 'resolved' }).model;
      // Assess
      expect(
        [first, reachingBack, snoozed, answered, again, partly, resolved].map(({ state, waitVersion }) => [
          state.version,
          state.waitingSince,
          waitVersion,
        ]),
      ).toEqual([
        [1, minute(5), 1],
        [2, minute(3), 1],
        [3, minute(3), 1],
        [4, null, undefined],
        [5, minute(0), 5],
        [7, minute(50), 7],
        [8, null, undefined],
      ]);
      expect(alreadyReported({ waitVersion: 5 }, { waitingSince: minute(0), waitVersion: 5 })).toBe(true);
      expect(
        alreadyReported(
          { waitVersion: 1, waitingSince: minute(5) },
          { waitingSince: minute(0), waitVersion: 5 },
        ),
      ).toBe(false);
      // A wait begun before waits had versions: judged by its start, as then
      expect(alreadyReported({ waitingSince: minute(5) }, { waitingSince: minute(3) })).toBe(true);
      expect(alreadyReported({ waitingSince: minute(5) }, { waitingSince: minute(41) })).toBe(false);
      expect(alreadyReported(undefined, { waitingSince: minute(0), waitVersion: 5 })).toBe(false);
    });

    it("names a wait's response_overdue by the conversation and the wait's version, and one without a version as before", () => {
      // Prepare: one wait's report, as its start moves back (an older message recorded late)
      const data = {
        conversationId: 'conv_rules',
        channel: 'whatsapp' as const,
        endpoint: { type: 'whatsapp_phone_number' as const, id: 'phone-1' },
        contact: { identities: [{ type: 'wa_id' as const, value: 'r-a' }] },
        contactId: `ct_${'0'.repeat(32)}`,
        waitingSince: minute(10),
        targetSeconds: 900,
        waitedSeconds: 960,
        detectedAt: minute(26),
      };
      const movedBack = { ...data, waitingSince: minute(5), waitedSeconds: 1320 };
      // Act
      const first = buildResponseOverdueEvent(data, 4);
      const again = buildResponseOverdueEvent(movedBack, 4);
      const nextWait = buildResponseOverdueEvent(movedBack, 9);
      const unnumbered = buildResponseOverdueEvent(data);
      // Assess
      expect(again.id).toBe(first.id);
      expect(nextWait.id).not.toBe(first.id);
      expect(again.time).toBe(minute(20));
      // A wait stored before waits had versions keeps the id it had then
      expect(unnumbered.id).toBe(`evt_${stableHash('event', 'response_overdue', 'conv_rules', minute(10))}`);
    });
  });
});
