import type { AwsCostResult, ScenarioCost } from './aws-cost.ts';

/**
 * What one event costs in AWS calls, per resource: the scale model's input. The inbound rows come
 * from the benchmark's own count (`npm run bench -- --only=aws-cost`: the real webhook path and
 * recorder over the emulators, every command counted); the outbound row from
 * tests/bench/outbound-send-counts.test.ts, which fails when the sender's calls change.
 */
export interface EventProfile {
  /** Webhook requests per event (Meta's batching of several updates per POST would lower it). */
  readonly webhookRequests: number;
  /** SendMessageBatch calls to the ingest queue per event. */
  readonly ingestSendCalls: number;
  /** SendMessageBatch calls to the helpdesk queue per event, with full recorder batches. */
  readonly helpdeskSendCalls: number;
  /** Events the helpdesk queue receives per event (the event and its conversation.state_changed). */
  readonly helpdeskMessages: number;
  /** Consumed read units, consistent reads included. */
  readonly readUnits: number;
  /** Consumed write units, index writes included. */
  readonly writeUnits: number;
  /** Of `writeUnits`, those of the table alone (on demand, the table and each index have a quota of their own). */
  readonly tableWriteUnits: number;
  /**
   * Of `writeUnits`, the index writes by index partition (bench/write-units.ts indexPartitionOf):
   * `gsi1 STATUS#open` and `gsi4 WAITING` are shared by every conversation (each spread over
   * INDEX_SHARDS shards, counted here together).
   */
  readonly indexWriteUnits: Readonly<Record<string, number>>;
  readonly s3Puts: number;
  readonly s3Gets: number;
  /** Medians measured locally (emulators on loopback): a floor for the AWS durations. */
  readonly measuredWebhookMs: number;
  readonly measuredRecorderBatchMs: number;
}

export type InboundKind = 'chat' | 'status' | 'email';

const SCENARIO_OF: Record<InboundKind, ScenarioCost['scenario']> = {
  chat: 'inbound chat message',
  status: 'status update',
  email: 'inbound e-mail',
};

/**
 * Index write units per event by index partition, counted by tests/bench/index-partition-writes.test.ts
 * over the AWS section's own samples (five messages a conversation; every e-mail sample opens a
 * conversation of its own), for AWS sections run before the pipeline kept them
 * (`indexPartitionWriteUnits`, from 2026-12-05). A conversation opened puts its by-status entry
 * under `STATUS#open` and, its customer waiting, its attention entry under `WAITING`: one unit each.
 * Statuses write no index.
 */
export const INBOUND_INDEX_WRITES: Record<InboundKind, Readonly<Record<string, number>>> = {
  chat: { 'gsi1 STATUS#open': 0.2, 'gsi2 per item': 1, 'gsi3 per item': 0.4, 'gsi4 WAITING': 0.2 },
  status: {},
  email: { 'gsi1 STATUS#open': 1, 'gsi2 per item': 2, 'gsi3 per item': 2.9, 'gsi4 WAITING': 1 },
};

const profileOf = (scenario: ScenarioCost, kind: InboundKind): EventProfile => {
  const { usage, perMessage } = scenario;
  const perRequest = (count: number | undefined) => (count ?? 0) / usage.requests;
  const events = usage.ingestEvents / usage.requests;
  const measured = [usage.webhook.indexPartitionWriteUnits, usage.recorder.indexPartitionWriteUnits];
  const indexWriteUnits: Record<string, number> = {};
  if (measured.every((tally) => tally !== undefined))
    for (const tally of measured)
      for (const [where, units] of Object.entries(tally ?? {}))
        indexWriteUnits[where] = (indexWriteUnits[where] ?? 0) + units / usage.ingestEvents;
  return {
    webhookRequests: 1 / events,
    ingestSendCalls: (perMessage.webhookSqsRequests ?? 0) / events,
    helpdeskSendCalls: (perMessage.recorderSqsRequests ?? 0) / events,
    helpdeskMessages: usage.recorder.publishedEvents / usage.ingestEvents,
    readUnits: (perMessage.readUnits ?? 0) / events,
    writeUnits: (perMessage.writeUnitsIncludingGsi ?? 0) / events,
    tableWriteUnits: ((perMessage.writeUnitsIncludingGsi ?? 0) - (perMessage.indexWriteUnits ?? 0)) / events,
    indexWriteUnits: measured.every((tally) => tally !== undefined)
      ? indexWriteUnits
      : INBOUND_INDEX_WRITES[kind],
    s3Puts: perRequest(usage.webhook.commands.PutObject) / events,
    s3Gets: perRequest(usage.recorder.commands.GetObject) / events,
    measuredWebhookMs: usage.webhook.medianDurationMs,
    measuredRecorderBatchMs: usage.recorder.medianBatchDurationMs,
  };
};

/** The inbound profiles from a benchmark run's AWS section. */
export const inboundProfilesFrom = (awsCost: AwsCostResult): Record<InboundKind, EventProfile> => {
  const find = (kind: InboundKind): EventProfile => {
    const scenario = awsCost.scenarios.find((candidate) => candidate.scenario === SCENARIO_OF[kind]);
    if (!scenario) throw new Error(`the benchmark's AWS section has no '${SCENARIO_OF[kind]}'`);
    return profileOf(scenario, kind);
  };
  return { chat: find('chat'), status: find('status'), email: find('email') };
};

/**
 * One `send_message` of one text part on an open conversation, by the sender: the send record and
 * the conversation read together (one consistent BatchGetItem of two items under 1 KB, two read
 * units, since 2026-12-05; two GetItems before); the send claimed with its attempt noted before the provider call;
 * the sent message recorded like an inbound one, applied to the conversation read before the call
 * (no second read, no done-marker read for a claim this delivery made); the last accept written with
 * the sent mark; `message.sent` and its `conversation.state_changed` published. Counted by
 * tests/bench/outbound-send-counts.test.ts, whose meter prices every write as AWS bills it.
 *
 * Write units, every item under 1 KB (the conversation item about 550 bytes, its model deflated):
 * table 5 (the claim, the conversation, the message record, the last message's accept, the sent
 * mark); indexes 5: gsi3 1 (the claim's keys-only entry under CONVSENDS: the sent mark leaves it
 * alone), gsi2 1 (the message record's entry under CONVMSGS), gsi1 2 (the conversation's by-status entry moves to the reply's
 * hour: a delete and a put; a reply within the hour of the customer's message costs none), gsi4 1
 * (the conversation leaves the waiting list).
 */
export const OUTBOUND_SEND = {
  getItem: 0,
  /**
   * The send record with the conversation: two items. The contact's consent with its kept opt-outs
   * (a consistent BatchGetItem of the contact item and the legacy kept key, then a GetItem of the
   * keyed one: three small items, three read units) is read only when a rule depends on it: SMS, a
   * WhatsApp marketing template. Not for a text reply.
   */
  batchGetItem: 1,
  query: 0,
  putItem: 2,
  /** The conversation, the last message's accept (durable before the recording), the sent mark. */
  updateItem: 3,
  helpdeskSendMessageBatch: 2,
  tableWriteUnits: 5,
  indexWriteUnits: { gsi1: 2, gsi2: 1, gsi3: 1, gsi4: 1 } as Readonly<Record<string, number>>,
  /** The same index writes by partition: the by-status move within `STATUS#open`, the wait ended in `WAITING`. */
  indexPartitionWriteUnits: {
    'gsi1 STATUS#open': 2,
    'gsi2 per item': 1,
    'gsi3 per item': 1,
    'gsi4 WAITING': 1,
  } as Readonly<Record<string, number>>,
} as const;

/** Write units per send, table and indexes. */
export const OUTBOUND_WRITE_UNITS =
  OUTBOUND_SEND.tableWriteUnits +
  Object.values(OUTBOUND_SEND.indexWriteUnits).reduce((total, units) => total + units, 0);

/**
 * The same reply in a conversation with history (eight customer messages, two replies before it, the
 * last message within the hour): no index moves, and the conversation item, carrying its eight most
 * recent event ids, stays under 1 KB (its model and last change are stored deflated), so 5 on the
 * table, the last message's accept included. Not in the model's row (which prices a first reply);
 * measured by the same test.
 */
export const OUTBOUND_SEND_IN_LONG_CONVERSATION = {
  table: 5,
  indexes: { gsi2: 1, gsi3: 1 } as Readonly<Record<string, number>>,
} as const;

/**
 * A full outbox batch: ten commands of ten conversations, sent concurrently, their `message.sent`
 * and `state_changed` events published in shared rounds (one entry per conversation per request):
 * two helpdesk requests for the batch instead of two per send, when no conversation waits for its
 * endpoint's turn (one that waits publishes in a round of its own: up to two requests per send for
 * a batch paced at one number). The other calls per send are as above.
 */
export const OUTBOUND_BATCH = { commands: 10, helpdeskSendMessageBatch: 2 } as const;

/** The outbound send as a profile: items under 1 KB (one unit per consistent read; writes as metered). */
export const OUTBOUND_PROFILE: EventProfile = {
  webhookRequests: 0,
  ingestSendCalls: 0,
  helpdeskSendCalls: OUTBOUND_SEND.helpdeskSendMessageBatch,
  helpdeskMessages: OUTBOUND_SEND.helpdeskSendMessageBatch,
  // Its BatchGetItem reads two items.
  readUnits: OUTBOUND_SEND.getItem + 2 * OUTBOUND_SEND.batchGetItem + OUTBOUND_SEND.query,
  writeUnits: OUTBOUND_WRITE_UNITS,
  tableWriteUnits: OUTBOUND_SEND.tableWriteUnits,
  indexWriteUnits: OUTBOUND_SEND.indexPartitionWriteUnits,
  s3Puts: 0,
  s3Gets: 0,
  measuredWebhookMs: 0,
  measuredRecorderBatchMs: 0,
};

/**
 * A status of one of the hub's own sends (it carries the send's correlation id: WhatsApp's
 * biz_opaque_callback_data, Twilio's callback URL, the e-mail providers' tags) has the send record
 * read before the rest of a status's calls: one key more in its batch's consistent BatchGetItem
 * (shared/recorder/batch-recorder.ts readBatch, since 2026-12-05; a GetItem of its own before), an
 * item under 4 KB, one read unit. A second read and a write follow only in the rare case the sender
 * is still waiting for the provider's answer (not counted). The AWS section's status samples are not
 * the hub's sends: the model adds this read for the share that are. Counted by
 * tests/bench/outbound-send-counts.test.ts.
 */
export const HUB_SEND_STATUS = { readUnits: 1 } as const;

/**
 * A send made through the helpdesk API (`POST /v1/conversations/{id}/messages`, shared/api/handlers.ts
 * sendMessage) before the sender's part above: one request to the helpdesk's own HTTP API (in the
 * same account, so on the account's API Gateway throttle; infra/constructs/helpdesk-api.ts), one
 * invocation of its 512 MB function, two consistent GetItems run together (the conversation, the
 * send record: items under 4 KB, one read unit each), one conditional UpdateItem (the Idempotency-Key's
 * reservation, shared/store/send-reservations.ts: a small item with no index entry, one write unit,
 * in the conversation's partition) and the outbox's SendMessage (already in the send's SQS line). A
 * command put straight on the outbox costs none of these.
 */
export const API_SEND = {
  httpApiRequests: 1,
  lambdaInvocations: 1,
  memoryMb: 512,
  getItem: 2,
  readUnits: 2,
  putItem: 1,
  tableWriteUnits: 1,
} as const;
