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

const profileOf = (scenario: ScenarioCost): EventProfile => {
  const { usage, perMessage } = scenario;
  const perRequest = (count: number | undefined) => (count ?? 0) / usage.requests;
  const events = usage.ingestEvents / usage.requests;
  return {
    webhookRequests: 1 / events,
    ingestSendCalls: (perMessage.webhookSqsRequests ?? 0) / events,
    helpdeskSendCalls: (perMessage.recorderSqsRequests ?? 0) / events,
    helpdeskMessages: usage.recorder.publishedEvents / usage.ingestEvents,
    readUnits: (perMessage.readUnits ?? 0) / events,
    writeUnits: (perMessage.writeUnitsIncludingGsi ?? 0) / events,
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
    return profileOf(scenario);
  };
  return { chat: find('chat'), status: find('status'), email: find('email') };
};

/**
 * One `send_message` of one text part on an open conversation, by the sender: reads of the send
 * record and the conversation; the send claimed with its attempt noted before the provider call;
 * the sent message recorded like an inbound one, applied to the conversation read before the call
 * (no second read, no done-marker read for a claim this delivery made); the last accept written with
 * the sent mark; `message.sent` and its `conversation.state_changed` published. Counted by
 * tests/bench/outbound-send-counts.test.ts, whose meter prices every write as AWS bills it.
 *
 * Write units, every item under 1 KB (the conversation item about 550 bytes, its model deflated):
 * table 4 (the claim, the conversation, the message record, the sent mark); indexes 5: gsi3 1 (the
 * claim's keys-only entry under CONVSENDS: the sent mark leaves it alone), gsi2 1 (the message
 * record's entry under CONVMSGS), gsi1 2 (the conversation's by-status entry moves to the reply's
 * hour: a delete and a put; a reply within the hour of the customer's message costs none), gsi4 1
 * (the conversation leaves the waiting list).
 */
export const OUTBOUND_SEND = {
  getItem: 2,
  /**
   * The contact's consent with its kept opt-outs (a consistent BatchGetItem of the contact item and
   * the legacy kept key, then a GetItem of the keyed one: three small items, three read units) is
   * read only when a rule depends on it: SMS, a WhatsApp marketing template. Not for a text reply.
   */
  batchGetItem: 0,
  query: 0,
  putItem: 2,
  /** The conversation, the last message's accept (durable before the recording), the sent mark. */
  updateItem: 3,
  helpdeskSendMessageBatch: 2,
  tableWriteUnits: 5,
  indexWriteUnits: { gsi1: 2, gsi2: 1, gsi3: 1, gsi4: 1 } as Readonly<Record<string, number>>,
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
 * two helpdesk requests for the batch instead of two per send. The other calls per send are as above.
 */
export const OUTBOUND_BATCH = { commands: 10, helpdeskSendMessageBatch: 2 } as const;

/** The outbound send as a profile: items under 1 KB (one unit per consistent read; writes as metered). */
export const OUTBOUND_PROFILE: EventProfile = {
  webhookRequests: 0,
  ingestSendCalls: 0,
  helpdeskSendCalls: OUTBOUND_SEND.helpdeskSendMessageBatch,
  helpdeskMessages: OUTBOUND_SEND.helpdeskSendMessageBatch,
  readUnits: OUTBOUND_SEND.getItem + 2 * OUTBOUND_SEND.batchGetItem + OUTBOUND_SEND.query,
  writeUnits: OUTBOUND_WRITE_UNITS,
  s3Puts: 0,
  s3Gets: 0,
  measuredWebhookMs: 0,
  measuredRecorderBatchMs: 0,
};
