import { createHash } from 'node:crypto';
import { CONTACT_ID_PATTERN, CONVERSATION_ID_PATTERN } from '#shared/contract/ids.ts';
import type { ClaimCheck, HubEvent } from '#shared/contract/types.ts';
import { errorNameOf } from '#shared/observability/logger.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import type { BlobStore } from './blob-store.ts';
import { CLAIM_CHECK_CONTENT_TYPE, claimCheckKeyFor } from './claim-check-keys.ts';

/*
 * Publishing events to an SQS FIFO queue through a `SendMessageBatch` port, so the same code runs on
 * the SDK client (recorder, sender: ./sqs-event-publisher.ts) and on the webhooks' signed requests
 * (./signed/sqs.ts). This module imports no AWS SDK: the webhook bundles leave it out.
 */

/** One entry of a SendMessageBatch request (the fields the hub sets). */
export interface BatchRequestEntry {
  readonly Id: string;
  readonly MessageBody: string;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

/** What the publisher reads of a SendMessageBatch answer; the SDK's output satisfies it. */
export interface SendMessageBatchResult {
  readonly Successful?: readonly { readonly Id?: string | undefined }[] | undefined;
  readonly Failed?:
    | readonly {
        readonly Id?: string | undefined;
        readonly SenderFault?: boolean | undefined;
        readonly Code?: string | undefined;
      }[]
    | undefined;
}

/**
 * SQS SendMessageBatch, whatever makes the request. It rejects only once the request itself has
 * failed for good (its own retries spent); entries SQS refuses come back in `Failed`.
 */
export interface SqsBatchSender {
  sendMessageBatch(input: {
    readonly QueueUrl: string;
    readonly Entries: readonly BatchRequestEntry[];
  }): Promise<SendMessageBatchResult>;
}

/** Puts events on a queue; resolves only once every event is durably queued. */
export interface EventPublisher {
  publish(events: readonly HubEvent[]): Promise<void>;
}

/** SQS limits for one SendMessageBatch call. */
const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 1_048_576;

export class IngestPublishError extends Error {
  override readonly name = 'IngestPublishError';
  constructor(
    message: string,
    /** Ids of the events not queued (safe to log). */
    readonly failedEventIds: readonly string[],
    /** SQS error codes of the failed entries. */
    readonly errorCodes: readonly string[],
    /** The whole call failed (after its own retries), not some of its entries. */
    readonly wholeCall = false,
  ) {
    super(message);
  }
}

/** A group id that is already the hash below. */
const HASHED_GROUP_ID = /^g_[0-9a-f]{40}$/;

/**
 * The FIFO group is the conversation, so one conversation is processed in order while others run in
 * parallel. Only the hub's own opaque ids are kept as they are (a conversation's, a person's, or this
 * hash); any other subject (`endpoint:<channel>:<id>`, whose e-mail endpoint is an address a sender
 * may have chosen, or one SQS would refuse) maps to a stable hash, which keeps its ordering: a group
 * id is stored with the message and shown wherever its records are, and consumers read `subject`,
 * never the group id.
 */
export const messageGroupIdFor = (subject: string): string =>
  CONVERSATION_ID_PATTERN.test(subject) || CONTACT_ID_PATTERN.test(subject) || HASHED_GROUP_ID.test(subject)
    ? subject
    : `g_${createHash('sha256').update(subject, 'utf8').digest('hex').slice(0, 40)}`;

/**
 * SQS refuses message bodies containing U+FFFE or U+FFFF (outside its allowed XML character set),
 * which `JSON.stringify` leaves raw. They can only occur inside JSON strings, where the `\\u`
 * escape means the same: the event survives unchanged instead of failing forever as a sender fault.
 */
export const toSqsSafeJson = (value: unknown): string => {
  const json = JSON.stringify(value);
  // Two substring searches cost a tenth of the regex scan on text outside Latin-1 (most messages),
  // and the characters themselves almost never occur: replace only when one is there.
  return json.includes('\ufffe') || json.includes('\uffff')
    ? json.replace(/[\ufffe\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`)
    : json;
};

/** UTF-8 takes at most 3 bytes per UTF-16 code unit (4 for a surrogate pair, which is 2 units). */
const MAX_UTF8_BYTES_PER_CODE_UNIT = 3;

/**
 * Whether `length × 3` of all bodies together fits `limit`: then no body needs a claim check and no
 * batch can reach 1 MiB, so exact UTF-8 sizes (a scan of each string) cannot change anything.
 */
const fitsWithoutCounting = (bodies: readonly string[], limit: number): boolean => {
  let bound = 0;
  for (const body of bodies) bound += body.length * MAX_UTF8_BYTES_PER_CODE_UNIT;
  return bound <= limit;
};

interface PreparedEntry {
  readonly eventId: string;
  readonly entry: BatchRequestEntry;
  /** UTF-8 size of the body; an upper bound of it when the whole publish fits one batch anyway. */
  readonly bytes: number;
}

/** Splits entries into batches of at most 10 entries and 1 MiB, keeping their order. */
export const chunkEntries = <T extends { readonly bytes: number }>(entries: readonly T[]): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const entry of entries) {
    if (
      current.length === MAX_BATCH_ENTRIES ||
      (current.length > 0 && currentBytes + entry.bytes > MAX_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/**
 * Like `chunkEntries`, but no batch holds two entries of one group: each group's entries go to
 * successive batches, in order, and other groups fill the room. SQS accepts a request's entries one
 * by one, so a failed entry could otherwise be overtaken by a later entry of its own group in the
 * same request; sent one batch after another, this cannot happen.
 */
export const chunkEntriesOnePerGroup = <T extends { readonly bytes: number }>(
  entries: readonly T[],
  groupOf: (entry: T) => string,
): T[][] => {
  const batches: { entries: T[]; bytes: number }[] = [];
  const firstBatchFor = new Map<string, number>();
  for (const entry of entries) {
    const group = groupOf(entry);
    let index = firstBatchFor.get(group) ?? 0;
    for (; index < batches.length; index++) {
      const batch = batches[index] as { entries: T[]; bytes: number };
      if (batch.entries.length < MAX_BATCH_ENTRIES && batch.bytes + entry.bytes <= MAX_BATCH_BYTES) break;
    }
    const batch = batches[index] ?? { entries: [], bytes: 0 };
    if (index === batches.length) batches.push(batch);
    batch.entries.push(entry);
    batch.bytes += entry.bytes;
    firstBatchFor.set(group, index + 1);
  }
  return batches.map((batch) => batch.entries);
};

export interface BatchEventPublisherOptions {
  readonly sqs: SqsBatchSender;
  readonly queueUrl: string;
  /** Where events larger than `maxMessageBytes` are stored (claim check). */
  readonly overflow: { readonly store: BlobStore; readonly bucket: string };
  readonly maxMessageBytes?: number;
  /**
   * At most one entry of a message group per request (`chunkEntriesOnePerGroup`), so a partly failed
   * request can never reorder a group. Costs a request per event of one group, so it suits
   * publishes spread over many groups (the recorder's), not a webhook's burst from one conversation.
   * @default false
   */
  readonly oneEntryPerGroupPerRequest?: boolean;
  /**
   * Deduplicate an e-mail by its event id and raw object (deduplicationIdOf): the ingest queue's
   * producers, so SES's second receipt of one mail reaches the recorder. Other queues deduplicate by
   * the event id alone, as before.
   * @default false
   */
  readonly deduplicateByRawObject?: boolean;
  /** Attempts per entry, the first included. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * The ingest queue's deduplication id: the event's id, and for an e-mail the raw object it names. SES can
 * receive one mail twice (the sending server's retry after a lost answer): two receipts, two raw
 * objects, one event id. With the id alone the queue dropped the second within its five-minute
 * window, and its raw object was named nowhere, so an erasure could not find it; now the recorder
 * sees it as a duplicate message and files the object under the contact (record-event.ts). A retry
 * of one receipt (the same object) is still one message to the queue.
 */
export const deduplicationIdOf = (event: HubEvent): string => {
  const email = (event.data as { readonly email?: { readonly rawMimeKey?: unknown } }).email;
  const rawMimeKey = typeof email?.rawMimeKey === 'string' ? email.rawMimeKey : undefined;
  return rawMimeKey === undefined
    ? event.id
    : `${event.id}:${createHash('sha256').update(rawMimeKey, 'utf8').digest('hex').slice(0, 32)}`;
};

const preparedEntry = (
  event: HubEvent,
  index: number,
  body: string,
  bytes: number,
  byRawObject: boolean,
): PreparedEntry => ({
  eventId: event.id,
  bytes,
  entry: {
    Id: String(index),
    MessageBody: body,
    MessageGroupId: messageGroupIdFor(event.subject),
    MessageDeduplicationId: byRawObject ? deduplicationIdOf(event) : event.id,
  },
});

/** The channel and provider an event names (every provider's event does), for its claim check. */
const partiesOf = (event: HubEvent): { channel?: string; provider?: string } => {
  const data = event.data as { readonly channel?: unknown; readonly provider?: unknown };
  return {
    ...(typeof data.channel === 'string' ? { channel: data.channel } : {}),
    ...(typeof data.provider === 'string' ? { provider: data.provider } : {}),
  };
};

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes to the ingest FIFO queue: group = subject (the conversation), deduplication id = event
 * id, so a provider retry within SQS's 5-minute window is dropped by SQS and later ones by the
 * recorder. Entries SQS reports as failed are retried alone with jittered backoff; whatever still
 * fails raises `IngestPublishError` (the webhook answers 5xx and the provider retries).
 * Batches go one after another so events of one conversation keep their order across batches.
 */
export class BatchEventPublisher implements EventPublisher {
  private readonly maxMessageBytes: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: BatchEventPublisherOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? INGEST_QUEUE.maximumMessageSizeBytes;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.sleep = options.sleep ?? sleepFor;
    this.random = options.random ?? Math.random;
  }

  async publish(events: readonly HubEvent[]): Promise<void> {
    const bodies = events.map(toSqsSafeJson);
    const sizesMatter = !fitsWithoutCounting(bodies, Math.min(this.maxMessageBytes, MAX_BATCH_BYTES));
    const prepared: PreparedEntry[] = [];
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index] as HubEvent;
      const eventJson = bodies[index] as string;
      // When sizes cannot matter, the upper bound stands in for the exact size (see above).
      const eventBytes = sizesMatter
        ? Buffer.byteLength(eventJson, 'utf8')
        : eventJson.length * MAX_UTF8_BYTES_PER_CODE_UNIT;
      // Only an oversize event awaits (its claim check); the rest are prepared without a microtask.
      prepared.push(
        eventBytes <= this.maxMessageBytes
          ? preparedEntry(event, index, eventJson, eventBytes, this.options.deduplicateByRawObject === true)
          : await this.claimChecked(event, index, eventJson),
      );
    }
    const batches = this.options.oneEntryPerGroupPerRequest
      ? chunkEntriesOnePerGroup(prepared, (entry) => entry.entry.MessageGroupId ?? '')
      : chunkEntries(prepared);
    await this.sendAll(batches);
  }

  /**
   * Every batch in turn. After a batch that left entries unqueued, the later batches still go, less
   * the entries of the message groups that failed (queued after their earlier event was not, they
   * would overtake it): an error then names every event not queued, so a caller publishing for
   * several conversations at once (the recorder's and the sender's rounds) fails those alone, not
   * the conversations whose events did go (before 2026-12-07 one conversation's refused entry failed
   * every conversation of the batch, each to be dead-lettered at its last receive although its event
   * was queued; found by a review, tests/recorder/publish-rounds.test.ts). A call that throws (after
   * the sender's own retries) ends the publish: nothing after it is tried.
   */
  private async sendAll(batches: readonly (readonly PreparedEntry[])[]): Promise<void> {
    const failedGroups = new Set<string>();
    const notQueued: string[] = [];
    const codes = new Set<string>();
    let ended = false;
    for (const batch of batches) {
      const groupOf = (prepared: PreparedEntry) => prepared.entry.MessageGroupId ?? '';
      const held = ended ? batch : batch.filter((prepared) => failedGroups.has(groupOf(prepared)));
      const sent = ended ? [] : batch.filter((prepared) => !failedGroups.has(groupOf(prepared)));
      for (const prepared of held) {
        notQueued.push(prepared.eventId);
        failedGroups.add(groupOf(prepared));
      }
      if (sent.length === 0) continue;
      try {
        await this.sendWithRetries(sent);
      } catch (error) {
        if (!(error instanceof IngestPublishError)) throw error;
        const failedIds = new Set(error.failedEventIds);
        for (const prepared of sent)
          if (failedIds.has(prepared.eventId)) {
            notQueued.push(prepared.eventId);
            failedGroups.add(groupOf(prepared));
          }
        for (const code of error.errorCodes) codes.add(code);
        if (error.wholeCall) ended = true;
      }
    }
    if (notQueued.length > 0)
      throw new IngestPublishError(`${notQueued.length} event(s) not queued`, notQueued, [...codes]);
  }

  private async claimChecked(event: HubEvent, index: number, eventJson: string): Promise<PreparedEntry> {
    const body = await this.claimCheck(event, eventJson);
    return preparedEntry(
      event,
      index,
      body,
      Buffer.byteLength(body, 'utf8'),
      this.options.deduplicateByRawObject === true,
    );
  }

  private async claimCheck(event: HubEvent, eventJson: string): Promise<string> {
    const bytes = Buffer.from(eventJson, 'utf8');
    const { key, sha256 } = claimCheckKeyFor(eventJson, event.subject);
    await this.options.overflow.store.put({ key, contentType: CLAIM_CHECK_CONTENT_TYPE, bytes });
    const pointer: ClaimCheck = {
      switchboardClaimCheck: {
        version: 1,
        bucket: this.options.overflow.bucket,
        key,
        sha256,
        bytes: bytes.length,
      },
      id: event.id,
      type: event.type,
      subject: event.subject,
      ...partiesOf(event),
    };
    return toSqsSafeJson(pointer);
  }

  private async sendWithRetries(batch: readonly PreparedEntry[]): Promise<void> {
    let pending = batch;
    let codes: string[] = [];
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.backoff(attempt));
      const output = await this.send(pending);
      const failed = output.Failed ?? [];
      // An entry the answer names neither way was not shown to be queued: it counts as failed (SQS
      // names every entry; an answer that does not is not taken as success).
      const succeeded = new Set((output.Successful ?? []).map((success) => success.Id));
      const failedIds = new Set(failed.map((failure) => failure.Id));
      const unanswered = pending.filter(
        (prepared) => !succeeded.has(prepared.entry.Id) && !failedIds.has(prepared.entry.Id),
      );
      if (failed.length === 0 && unanswered.length === 0) return;
      codes = [...failed.map((failure) => failure.Code ?? 'Unknown'), ...unanswered.map(() => 'Unanswered')];
      pending = pending.filter(
        (prepared) => !succeeded.has(prepared.entry.Id) || failedIds.has(prepared.entry.Id),
      );
      // Our own mistakes (invalid body, bad ids) will not succeed on a retry.
      if (unanswered.length === 0 && failed.every((failure) => failure.SenderFault)) break;
    }
    throw new IngestPublishError(
      `${pending.length} event(s) not queued`,
      pending.map((prepared) => prepared.eventId),
      [...new Set(codes)],
    );
  }

  /**
   * A call that throws has already been retried by the sender (the SDK's retry strategy, or the
   * signed client's same policy); it fails the whole batch.
   */
  private async send(pending: readonly PreparedEntry[]) {
    try {
      return await this.options.sqs.sendMessageBatch({
        QueueUrl: this.options.queueUrl,
        Entries: pending.map((prepared) => prepared.entry),
      });
    } catch (error) {
      throw new IngestPublishError(
        `SendMessageBatch failed: ${errorNameOf(error)}`,
        pending.map((prepared) => prepared.eventId),
        [errorNameOf(error)],
        true,
      );
    }
  }

  /** Full jitter: a random wait up to the exponential step, so concurrent webhooks spread out. */
  private backoff(attempt: number): number {
    return Math.round(this.random() * this.baseDelayMs * 2 ** (attempt - 1));
  }
}
