import type { z } from 'zod';
import { toSqsSafeJson } from '#shared/aws/event-publisher.ts';
import type { MediaObjects } from '#shared/aws/media-objects.ts';
import { withDisplayFileNames } from '#shared/channels/file-name.ts';
import { cutText } from '#shared/channels/provider-text.ts';
import openApiDocument from '#shared/contract/generated/openapi.json' with { type: 'json' };
import {
  buildContactErasedEvent,
  buildContactMergeEvent,
  buildEvent,
  type ChangeActor,
  COMMAND_TYPES,
  type ContactMergeDataSchema,
  type HubCommand,
  type HubEvent,
  MAX_COMMAND_BYTES,
  outboundHubMessageId,
  outboxDeduplicationId,
  SendMessageCommandSchema,
  stableHash,
} from '#shared/contract/index.ts';
import type { ConversationModel } from '#shared/domain/conversation.ts';
import { applyPatch, type ConversationPatch } from '#shared/domain/conversation-change.ts';
import { conversationProvider, type EmailProvider } from '#shared/domain/conversation-provider.ts';
import { repeatedStateChange, type StateChange } from '#shared/domain/state-changed.ts';
import {
  type ConsentLedgerEntry,
  isSameConsentRequest,
  ledgerPage,
  readConsentEntry,
  readConsentHistory,
  recordConsentChange,
  recordConsentRequest,
  wasConsentRequestErased,
} from '#shared/store/consent-ledger.ts';
import { consentKeysFor, personOfContact } from '#shared/store/contacts.ts';
import {
  activityPositionOf,
  byActivity,
  type ConversationView,
  loadConversation,
  newestActivityFirst,
  type StoredConversation,
  saveConversation,
} from '#shared/store/conversations.ts';
import { type ErasureDeps, type ErasureReport, erasePerson, exportPerson } from '#shared/store/erasure.ts';
import {
  type ConversationSource,
  conversationPage,
  type IndexPosition,
  type MessagePageItem,
  messagePage,
  type PersonContacts,
  partitionsOf,
  personContacts,
  personConversations,
  personView,
  sortKeyOf,
} from '#shared/store/helpdesk-queries.ts';
import { contactKeyFor, conversationMessagesPartition, messageKey } from '#shared/store/keys.ts';
import { announceChanges, putAnnouncementMarker } from '#shared/store/pending-announcements.ts';
import {
  MAX_MERGE_DEPTH,
  MAX_MERGED_PEOPLE,
  mergePeople,
  mergesInto,
  readMerge,
  resolvePerson,
  resolvePersonAt,
  unmergePeople,
} from '#shared/store/person-merges.ts';
import { PseudonymKeyMismatchError } from '#shared/store/pseudonym-key-check.ts';
import { consentRegister, registerWrite, timeOrder, writeRegister } from '#shared/store/registers.ts';
import { reserveSendKey } from '#shared/store/send-reservations.ts';
import { commandHashesOf, commandHashOf, createSendStore, isErasedCommandOf } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { noteUploadsSent, uploadsNamedBy } from '#shared/store/upload-refs.ts';
import {
  decodeActivityCursor,
  decodeCursor,
  decodeExportCursor,
  decodeLedgerCursor,
  decodeSpreadCursor,
  encodeActivityCursor,
  encodeCursor,
  encodeExportCursor,
  encodeLedgerCursor,
  encodeSpreadCursor,
  queryHashOf,
} from './cursor.ts';
import { type ApiRequest, type ApiResponse, fail, json, type ProblemKind, parseOr400 } from './http.ts';
import { createMediaHandlers } from './media.ts';
import type { ApiHandlerName } from './operations.ts';
import { countWithinBudget, pageBudget } from './page-budget.ts';
import type {
  ConsentHistorySchema,
  ConsentRecordedSchema,
  ContactBodySchema,
  ContactErasureSchema,
  ConversationPageSchema,
  ConversationSchema,
  MessagePageSchema,
  PersonExportSchema,
  SendAcceptedSchema,
} from './responses.ts';
import {
  ANY_VERSION_ATTEMPTS,
  CONSENT_PAGE_MAX,
  CONSENT_SCOPE_OF_CHANNEL,
  ConsentChangeSchema,
  ConsentHistoryQuerySchema,
  ContactConversationsQuerySchema,
  ContactIdSchema,
  ContactMergeRequestSchema,
  ConversationIdSchema,
  ConversationPatchSchema,
  ExportQuerySchema,
  IdempotencyKeyHeaderSchema,
  type IfMatch,
  IfMatchSchema,
  type ListConversationsQuery,
  ListConversationsQuerySchema,
  ListMessagesQuerySchema,
  MAX_SNOOZE_DAYS,
  MarkReadRequestSchema,
  SendMessageRequestSchema,
  TypingRequestSchema,
} from './schemas.ts';

/** Why a merge is refused, as the problem it answers. */
const MERGE_REFUSALS = {
  same: ['invalidRequest', 'a person cannot be merged into themselves'],
  // A person known only by an opt-out (no conversation) is shown and takes consent, but is not merged:
  // a merge moves conversations, not the channel contacts listed without one (README, Known limitations).
  unknown: [
    'notFound',
    'the hub has no conversation with one of the two people (a person known only by an opt-out cannot be merged)',
  ],
  'already-merged': ['conflict', 'that person was already merged into another one: unmerge it first'],
  cycle: ['conflict', 'the person in the path was merged into that one: unmerge it first'],
  depth: [
    'conflict',
    `too many merges in a chain: the people already merged into the discarded person, this merge and the survivor’s own merges would make a chain longer than the hub follows (${MAX_MERGE_DEPTH})`,
  ],
  size: [
    'conflict',
    `too many people merged into one another: this merge would put more than ${MAX_MERGED_PEOPLE} people in one merge tree, more than an erasure or export of its person takes`,
  ],
} as const satisfies Record<string, readonly [ProblemKind, string]>;

/** What the handlers are given: the table, the two queues, a clock. */
export interface HelpdeskApiDeps {
  readonly table: TableContext;
  /** The helpdesk stream (group = conversation, dedup = event id). */
  readonly publishEvent: (event: HubEvent) => Promise<void>;
  /** The outbox (group = conversation). */
  readonly enqueueCommand: (command: HubCommand, deduplicationId: string) => Promise<void>;
  readonly clock: () => Date;
  /** Ids of best-effort commands (typing) that need no idempotency. */
  readonly newId: () => string;
  /** Deletes payload-bucket objects (erasure). */
  readonly deleteObjects: (keys: readonly string[]) => Promise<void>;
  /** Deletes the payload objects under a prefix, how many (erasure: a conversation's claim checks). */
  readonly deleteObjectsUnder?: (prefix: string) => Promise<number>;
  /** Aborts the multipart uploads under a prefix (erasure: an upload a dead media fetcher left). */
  readonly abortUploadsUnder?: (prefix: string) => Promise<number>;
  /** The keys of the payload objects under a prefix (export: a conversation's claim checks). */
  readonly listObjectsUnder?: (prefix: string) => Promise<readonly string[]>;
  /** Redacts an erased person's messages at the providers (shared/outbound/provider-erasure.ts). */
  readonly redactAtProviders?: ErasureDeps['redactAtProviders'];
  /** The pseudonym key an erasure files kept opt-outs under (shared/store/suppressions.ts). */
  readonly pseudonymKey: ErasureDeps['pseudonymKey'];
  /** The payload bucket's media: what an object is, and presigned URLs (./media.ts). */
  readonly media: MediaObjects;
  /**
   * The provider of e-mail conversations recorded before the hub kept theirs: the one the sender
   * replies through (SWITCHBOARD_EMAIL_PROVIDER; shared/domain/conversation-provider.ts).
   * @default 'ses', as the setting's
   */
  readonly defaultEmailProvider?: EmailProvider;
  /**
   * How long message records and send bookkeeping are kept, in seconds (SWITCHBOARD_MESSAGE_RETENTION_DAYS):
   * the upload references a send notes before it is queued live as long as the send record the sender
   * writes for it (shared/store/upload-refs.ts). Until 2026-12-07 the API noted them for the default
   * 30 days whatever the deployment kept (found by a review).
   * @default MESSAGE_RETENTION_SECONDS (30 days), as the setting's
   */
  readonly retentionSeconds?: number;
}

export interface RouteInput {
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  /** The body, parsed as JSON (undefined when there is none). */
  readonly body: unknown;
}

const DEFAULT_PAGE = 25;
/** Snoozes reach at most a year ahead (the published schema says so). */
const MAX_SNOOZE_MS = MAX_SNOOZE_DAYS * 24 * 3_600_000;

const conversationOut = (view: ConversationView): Body<typeof ConversationSchema> => ({
  ...view.state,
  ...(view.readWatermark ? { readWatermark: view.readWatermark } : {}),
  ...(view.deliveredWatermark ? { deliveredWatermark: view.deliveredWatermark } : {}),
});

/** The table keys of the messages a listing reads, less their ids: what a cursor's `pk` and `sk` start with. */
const MESSAGE_ITEM = messageKey('');

/** What a response body must be to match the published contract (./responses.ts). */
type Body<S extends z.ZodType> = z.input<S>;

/**
 * Which conversation a version is of: a hash of its creation time. An erasure deletes a conversation,
 * and the customer's next message creates one under the same id at version 1 again; the marker keeps
 * an ETag read before the erasure from matching it (before 2026-12-05 the ETag was the version alone).
 */
const creationMarkerOf = (createdAt: string): string => stableHash('etag-created', createdAt).slice(0, 8);

/** `"<version>.<creation marker>"`, strong. */
const etagOf = (state: { readonly version: number; readonly createdAt: string }): string =>
  `"${state.version}.${creationMarkerOf(state.createdAt)}"`;

/**
 * Whether an If-Match names this very conversation's `version`: `*` names any (the conversation
 * exists), a list names it when one of its strong tags does (a tag without a marker names none).
 */
const isTagOf = (expected: IfMatch, state: { readonly createdAt: string }, version: number): boolean => {
  if (expected.any) return true;
  const marker = creationMarkerOf(state.createdAt);
  return expected.tags.some((tag) => tag.version === version && tag.marker === marker);
};

/**
 * The cause (`causedBy`, and so the `state_changed` id) of a helpdesk change: the same change by the
 * same actor at the same version of the same conversation has the same one, so a retry publishes
 * the same event. The conversation's origin is part of it when it names one (created since
 * 2026-12-06): one erased and created again under its id counts its versions from 1 again, and the
 * same change at the same version had the erased one's id until then (found by a review).
 */
const changeCauseOf = (
  conversation: { readonly conversationId: string; readonly origin: string | undefined },
  version: number,
  patch: ConversationPatch,
  actor: ChangeActor,
): string =>
  `chg_${stableHash('api-change', conversation.conversationId, String(version), JSON.stringify(patch), actor.kind, actor.id, ...(conversation.origin === undefined ? [] : [conversation.origin]))}`;

/**
 * A listed message with its files' names as the adapters clean them now (withDisplayFileNames), in
 * its parts and its edit's: one recorded before 2026-12-05 holds a name as the customer sent it
 * (`invoice\u202Efdp.exe` reads `invoiceexe.pdf`). Until 2026-12-07 the API passed it on as stored.
 */
const withShownFileNames = <Item extends Omit<MessagePageItem, 'position'>>(item: Item): Item => {
  const { edit } = item.live;
  return {
    ...item,
    message: { ...item.message, parts: withDisplayFileNames(item.message.parts) },
    ...(edit ? { live: { ...item.live, edit: { ...edit, parts: withDisplayFileNames(edit.parts) } } } : {}),
  };
};

export const createHandlers = (deps: HelpdeskApiDeps) => {
  const { table } = deps;
  const sends = createSendStore(table);

  const conversationOr404 = async (conversationId: string) => {
    const stored = await loadConversation(table, conversationId);
    if (!stored.model) return fail('notFound', 'no such conversation');
    return stored;
  };

  /** One Query of the chosen index, one BatchGetItem, then the filters the index cannot apply. */
  const listConversations = async (query: ListConversationsQuery): Promise<ApiResponse> => {
    const waiting = query.waiting === true || query.sort === 'waiting';
    if (waiting && query.sort === 'activity')
      fail('invalidRequest', 'waiting conversations are listed by waiting time', {
        errors: [{ field: 'query.sort', message: 'use sort=waiting (or leave it out) with waiting=true' }],
      });
    if (waiting && query.status && query.status !== 'open')
      fail('invalidRequest', 'only open conversations wait for an answer', {
        errors: [{ field: 'query.status', message: 'waiting conversations are open' }],
      });
    if (query.contact && waiting)
      fail('invalidRequest', "a contact's conversations are listed by last activity, not by waiting time", {
        errors: [{ field: 'query.contact', message: 'not with waiting or sort=waiting' }],
      });
    const { cursor: _cursor, limit: _limit, ...filters } = query;
    const queryHash = queryHashOf(filters);
    const limit = query.limit ?? DEFAULT_PAGE;
    const wanted = ({ state }: ConversationView) =>
      (query.channel === undefined || state.channel === query.channel) &&
      (query.endpoint === undefined || state.endpoint.id === query.endpoint) &&
      (query.assignee === undefined || state.assignee === query.assignee) &&
      (query.label === undefined || state.labels.includes(query.label));
    if (query.contact) {
      // A person's conversations are few (one per channel and endpoint): all read (a Query and a
      // BatchGetItem per 100), ordered by the exact last activity (then the id), and paged from the
      // cursor's (time, id). Until 2026-12-05 a page was gsi3's, in conversation id order.
      const after = query.cursor ? decodeActivityCursor(query.cursor, queryHash) : undefined;
      const ordered = (await personConversations(table, await resolvePerson(table, query.contact)))
        .filter((view) => wanted(view) && (query.status === undefined || view.state.status === query.status))
        .sort(byActivity);
      const start = after
        ? ordered.findIndex((view) => newestActivityFirst(activityPositionOf(view), after) > 0)
        : 0;
      const items = start < 0 ? [] : ordered.slice(start, start + limit);
      const end = items.at(-1);
      const more = start >= 0 && start + limit < ordered.length && end;
      return json(200, {
        items: items.map(conversationOut),
        ...(more
          ? {
              nextCursor: encodeActivityCursor(queryHash, activityPositionOf(more)),
            }
          : {}),
      } satisfies Body<typeof ConversationPageSchema>);
    }
    const source: ConversationSource = waiting
      ? { index: 'gsi4', attention: 'waiting' }
      : { index: 'gsi1', status: query.status ?? 'open' };
    const partitions = partitionsOf(source);
    const sort = sortKeyOf(source);
    const shape = {
      queryHash,
      partitionName: partitions.name,
      partitionValues: partitions.values,
      sortName: sort.name,
      sortPrefix: sort.prefix,
    };
    const from = query.cursor ? decodeSpreadCursor(query.cursor, shape) : undefined;
    const page = await conversationPage(table, source, {
      limit,
      ...(from ? { from } : {}),
      // Longest wait first; newest activity first.
      ascending: source.index === 'gsi4',
    });
    const items = page.items.filter(wanted);
    // gsi1 orders by the hour of last activity (keys.ts: the exact time would move the index entry on
    // every message); the exact time orders within the page. So pages follow each other hour by hour,
    // and within one hour a later page may hold a conversation newer than an earlier page's last.
    if (source.index === 'gsi1') items.sort(byActivity);
    return json(200, {
      items: items.map(conversationOut),
      ...(page.last ? { nextCursor: encodeSpreadCursor(shape, page.last) } : {}),
    } satisfies Body<typeof ConversationPageSchema>);
  };

  /** The person a path's contactId stands for now (itself, unless merged into another). */
  const personInPath = (params: RouteInput['params']): Promise<string> =>
    resolvePerson(table, parseOr400(ContactIdSchema, params.contactId, 'path.contactId'));

  /**
   * The channel contacts a keyed consent retry writes, of the person's on the channel now
   * (`candidates`): those its first call wrote (`holding` its entry), and those of the person the
   * path's contact (`named`) stood for at that call's time (`at`), which a first call that failed
   * half-way had not reached. Not those of a person merged with it since: a retry records nothing
   * new (until 2026-12-06 it wrote them at the first call's time, so an opt-in given for one number
   * reached another that had said stop; found by a review, tests/api/consent-key-after-merge.test.ts).
   * One GetItem per merge hop from the path's contact and from each contact's person, only when a
   * contact lacks the entry.
   */
  const firstCallContacts = async (
    named: string,
    at: string,
    candidates: PersonContacts['contacts'],
    holding: ReadonlySet<string>,
  ): Promise<Set<string>> => {
    const kept = new Set([...candidates.keys()].filter((key) => holding.has(key)));
    if (kept.size === candidates.size) return kept;
    const then = await resolvePersonAt(table, named, at);
    for (const [key, { channel, contact }] of candidates) {
      if (kept.has(key)) continue;
      // One known only by a placeholder has no person of its own: it stays with whoever lists it.
      const own = personOfContact(channel, contact);
      if (own === undefined || (await resolvePersonAt(table, own, at)) === then) kept.add(key);
    }
    return kept;
  };

  return {
    listConversations: ({ request }: RouteInput) =>
      listConversations(parseOr400(ListConversationsQuerySchema, request.query, 'query')),

    contactConversations: ({ request, params }: RouteInput) => {
      const contact = parseOr400(ContactIdSchema, params.contactId, 'path.contactId');
      const query = parseOr400(ContactConversationsQuerySchema, request.query, 'query');
      return listConversations({ ...query, contact });
    },

    getConversation: async ({ params }: RouteInput): Promise<ApiResponse> => {
      const conversationId = parseOr400(ConversationIdSchema, params.conversationId, 'path.conversationId');
      const stored = await conversationOr404(conversationId);
      const state = stored.model?.state;
      if (!state) return fail('notFound');
      return json(200, conversationOut({ state, ...stored.watermarks }), { etag: etagOf(state) });
    },

    listMessages: async ({ request, params }: RouteInput): Promise<ApiResponse> => {
      const conversationId = parseOr400(ConversationIdSchema, params.conversationId, 'path.conversationId');
      const query = parseOr400(ListMessagesQuerySchema, request.query, 'query');
      const queryHash = queryHashOf({ conversationId });
      const at = query.cursor
        ? decodeCursor(query.cursor, {
            queryHash,
            partitionName: 'gsi2pk',
            partitionValue: conversationMessagesPartition(conversationId),
            sortName: 'gsi2sk',
            pkPrefix: MESSAGE_ITEM.pk,
            skPrefix: MESSAGE_ITEM.sk,
            sortPrefix: '',
          })
        : undefined;
      const ascending = at ? at.direction === 'after' : query.from !== 'newest';
      const page = await messagePage(table, conversationId, {
        limit: query.limit ?? DEFAULT_PAGE,
        ...(at ? { from: at.position, inclusive: at.inclusive } : {}),
        ascending,
      });
      // In the Query's order, as many as the answer's byte budget holds (stored messages reach 64 KB
      // each): the page ends at the last of them, and its cursor goes on from there.
      const inReadOrder = ascending ? page.items : [...page.items].reverse();
      const held = inReadOrder.slice(
        0,
        countWithinBudget(inReadOrder.map(({ position: _position, ...item }) => item)),
      );
      const cut = held.length < inReadOrder.length ? held.at(-1) : undefined;
      const items = ascending ? held : [...held].reverse();
      const first = items[0];
      const last = items.at(-1);
      // In the Query's direction, more lies ahead when it stopped early (or the budget did), and the
      // cursor goes on from where it stopped, past a page whose every item had expired (TTL deletes
      // days late); the other way, when we came from a cursor, from the page's edge item.
      const ahead = cut?.position ?? page.last;
      // A page empty after filtering turns back from the last entry the Query read (so the way back
      // passes every entry it skipped, the cursor's own included). Having read none (its messages
      // deleted since the page before handed out its cursor), it turns back at its cursor's own
      // position, taking in what the cursor left out there: its entry, which the page before held.
      // Until 2026-12-07 that way back started past the entry too, and skipped it (found by a review).
      const past = (position: IndexPosition | undefined) => position && { position, inclusive: false };
      const turned = at && { position: at.position, inclusive: !at.inclusive };
      const next = ascending
        ? past(ahead ?? last?.position)
        : at && (past(last?.position ?? ahead ?? page.readTo) ?? turned);
      const previous = ascending
        ? at && (past(first?.position ?? ahead ?? page.readTo) ?? turned)
        : past(ahead ?? first?.position);
      const hasNext = ascending ? ahead !== undefined : at !== undefined;
      const hasPrevious = ascending ? at !== undefined : ahead !== undefined;
      return json(200, {
        items: items.map(({ position: _position, ...item }) => withShownFileNames(item)),
        ...(hasNext && next ? { nextCursor: encodeCursor(queryHash, { direction: 'after', ...next }) } : {}),
        ...(hasPrevious && previous
          ? { previousCursor: encodeCursor(queryHash, { direction: 'before', ...previous }) }
          : {}),
      } satisfies Body<typeof MessagePageSchema>);
    },

    /**
     * Conditional on the version; a retry of a change already made answers as the change did. Each
     * change is saved with its `state_changed` and forgotten once that is queued, so a change whose
     * publish failed is still announced: by a retry, a later PATCH, or the attention sweeper
     * (shared/store/pending-announcements.ts).
     */
    patchConversation: async ({ request, params, body }: RouteInput): Promise<ApiResponse> => {
      const conversationId = parseOr400(ConversationIdSchema, params.conversationId, 'path.conversationId');
      const ifMatch = request.headers['if-match'];
      if (ifMatch === undefined) return fail('preconditionRequired', 'send If-Match with the ETag you read');
      const expected = parseOr400(IfMatchSchema, ifMatch, 'header.if-match');
      const { actor, ...given } = parseOr400(ConversationPatchSchema, body, 'body');
      const now = deps.clock();
      let patch = given;
      if (given.snoozedUntil !== undefined) {
        const until = Date.parse(given.snoozedUntil);
        if (until <= now.getTime() || until > now.getTime() + MAX_SNOOZE_MS)
          fail('invalidRequest', 'invalid body', {
            errors: [{ field: 'body.snoozedUntil', message: 'in the future, at most a year ahead' }],
          });
        // Kept as UTC: the attention index orders snoozes by this string (`+09:00` would wake 9 hours late).
        patch = { ...given, snoozedUntil: new Date(until).toISOString() };
      }
      // Cut on a whole character: an emoji cut in two would leave half of it (c34feed refuses that from callers).
      const changedBy: ChangeActor = actor ?? { kind: 'agent', id: cutText(request.principal, 256) };
      /** The change's cause when made on `version` (the one the If-Match named: the same retried has the same). */
      const causeIn = ({ origin }: ConversationModel, version: number): string =>
        changeCauseOf({ conversationId, origin }, version, patch, changedBy);
      const announce = (changes: readonly StateChange[], markerDueAt?: string) =>
        announceChanges(deps, conversationId, changes, markerDueAt);
      /** The answer to a version that is no longer current: this change's own, or 412. */
      const answerStale = async ({
        model,
        lastChange: last,
        watermarks,
        unannounced = [],
      }: StoredConversation) => {
        if (!model) return fail('notFound');
        const { state } = model;
        // Changes saved whose publish failed (this one's, retried after another writer came, too):
        // announced before anything is answered. Their marker is left for the sweeper to clear.
        if (unannounced.length > 0) await announce(unannounced);
        // The same change, retried after its answer was lost or while it was being made: publish it
        // again (deduplicated) and agree.
        const causedBy = causeIn(model, state.version - 1);
        if (last?.eventId === causedBy && isTagOf(expected, state, state.version - 1)) {
          if (!unannounced.some((change) => change.causedBy === causedBy))
            await deps.publishEvent(repeatedStateChange(state, last, now.toISOString()));
          return json(200, conversationOut({ state, ...watermarks }), { etag: etagOf(state) });
        }
        return fail('preconditionFailed', `the current version is ${state.version}`, {
          headers: { etag: etagOf(state) },
        });
      };
      // With `*`, another writer's save between the read and the write (a customer's message) is no
      // reason to refuse: `*` names whatever version is current (RFC 9110 13.1.1: false only when there
      // is no conversation), so the patch is read, applied and saved again on the version now current,
      // at most ANY_VERSION_ATTEMPTS times in all; then 409, nothing changed (412 would say the
      // precondition failed, and it held). When `*` was first taken (2026-12-06) the first such race
      // answered 412 (found by a review, tests/api/patch-announcement.test.ts).
      /** The version a conflict was answered from, applied to as it was read (one read per attempt). */
      let reread: StoredConversation | undefined;
      for (let attempt = 1; ; attempt += 1) {
        const stored = reread ?? (await conversationOr404(conversationId));
        reread = undefined;
        const current = stored.model;
        if (!current) return fail('notFound');
        if (!isTagOf(expected, current.state, current.state.version)) return answerStale(stored);
        const causedBy = causeIn(current, current.state.version);
        const changed = applyPatch(current, patch);
        if (changed.changes.length === 0) {
          // Nothing to change, as for a retry (`*`, or a list naming the version it made) of a change
          // saved whose event was not queued: 2xx only once that is, so what the item still holds is
          // announced first, as answerStale does (when lists and `*` were first taken, 2026-12-06, it
          // was left to the sweeper: found by a review). Its marker is left for the sweeper to clear.
          if (stored.unannounced !== undefined && stored.unannounced.length > 0)
            await announce(stored.unannounced);
          return json(200, conversationOut({ state: current.state, ...stored.watermarks }), {
            etag: etagOf(current.state),
          });
        }
        const lastChange = {
          eventId: causedBy,
          previousStatus: changed.previousStatus,
          changedBy,
          changes: changed.changes,
          at: now.toISOString(),
        };
        const change: StateChange = {
          state: changed.model.state,
          previousStatus: changed.previousStatus,
          causedBy,
          time: lastChange.at,
          changedBy,
          changes: changed.changes,
        };
        // Earlier changes still unpublished go out first, in their order, then this one.
        const unannounced = [
          ...(stored.unannounced ?? []).filter((one) => one.causedBy !== causedBy),
          change,
        ];
        // Where the sweeper looks should this request end before its event is queued.
        const markerDueAt = await putAnnouncementMarker(table, conversationId, now);
        const saved = await saveConversation(table, {
          model: changed.model,
          previous: current,
          ...(stored.personEntry ? { personEntry: stored.personEntry } : {}),
          recentEventIds: stored.recentEventIds,
          lastChange,
          unannounced,
        });
        // Written meanwhile (by this very change, retried at once, too): answered as that version, or
        // with `*` done again on it.
        if (saved === 'conflict') {
          if (!expected.any) {
            // A list that names the version now current still matches (RFC 9110 13.1.1: one current
            // tag is enough), so the patch is applied to it, as with `*`: until 2026-12-07 such a race
            // answered 412 (found by a review). Else this change's own retry, or 412.
            const latest = await conversationOr404(conversationId);
            const model = latest.model;
            const stillNamed =
              model !== undefined &&
              latest.lastChange?.eventId !== causeIn(model, model.state.version - 1) &&
              isTagOf(expected, model.state, model.state.version);
            if (!stillNamed) return answerStale(latest);
            // Applied to the version just read: until 2026-12-07 it was read a second time.
            reread = latest;
          }
          if (attempt < ANY_VERSION_ATTEMPTS) continue;
          return fail(
            'conflict',
            `the conversation changed under each of ${ANY_VERSION_ATTEMPTS} attempts to apply the change: nothing was changed; send it again`,
          );
        }
        // 2xx only once the event is queued; a failure leaves the change to be announced (above).
        await announce(unannounced, markerDueAt);
        return json(200, conversationOut({ state: changed.model.state, ...stored.watermarks }), {
          etag: etagOf(changed.model.state),
        });
      }
    },

    /** The outbox's send command; its hub message id is the sender's own derivation from the key. */
    sendMessage: async ({ request, params, body }: RouteInput): Promise<ApiResponse> => {
      const conversationId = parseOr400(ConversationIdSchema, params.conversationId, 'path.conversationId');
      const idempotencyKey = parseOr400(
        IdempotencyKeyHeaderSchema,
        request.headers['idempotency-key'],
        'header.idempotency-key',
      );
      const data = parseOr400(SendMessageRequestSchema, body, 'body');
      const hubMessageId = outboundHubMessageId(conversationId, idempotencyKey);
      const commandId = `cmd_${stableHash('api-send', conversationId, idempotencyKey)}`;
      const command = SendMessageCommandSchema.parse({
        specversion: '1.0',
        id: commandId,
        source: 'switchboard:helpdesk-api',
        type: COMMAND_TYPES.sendMessage,
        time: deps.clock().toISOString(),
        data: { ...data, idempotencyKey, conversationId },
      });
      // The sender takes no larger command (it would end in the dead-letter queue, without an event).
      if (Buffer.byteLength(toSqsSafeJson(command), 'utf8') > MAX_COMMAND_BYTES)
        return fail(
          'tooLarge',
          `the send command (the body with its envelope, as JSON) would be larger than ${MAX_COMMAND_BYTES} bytes (${MAX_COMMAND_BYTES / 1024} KiB), the most the outbox takes: nothing was queued`,
        );
      const commandHash = commandHashOf(command.data);
      // Every hash a record or reservation of this content may hold, an earlier version's too.
      const sameContentHashes = commandHashesOf(command.data);
      const keyReused = () =>
        fail(
          'idempotencyKeyReused',
          'this Idempotency-Key already names a send with other content in this conversation: nothing was queued; use a new key for a new message',
        );
      const accepted = () =>
        json(202, { commandId, hubMessageId, conversationId, idempotencyKey } satisfies Body<
          typeof SendAcceptedSchema
        >);
      const [, taken] = await Promise.all([conversationOr404(conversationId), sends.read(hubMessageId)]);
      if (taken?.state === 'erased') {
        // The sender took the key's command before its customer was erased (who wrote again since, so
        // the conversation is back under its id), and the erasure deleted the reservation: a retry of
        // its content is answered as the first request was, with nothing queued (the sender would
        // take it for a repeat); other content is refused, as over a record.
        if (!isErasedCommandOf(taken, command.data, await deps.pseudonymKey())) keyReused();
        return accepted();
      }
      // The key names a command the sender took with other content (one queued on the outbox directly,
      // or through the API before its reservation existed or after it expired): it would never be sent.
      if (taken && !sameContentHashes.includes(taken.commandHash)) keyReused();
      // The key's reservation, written before anything is queued: other content under it is refused
      // even before the sender takes the first command (the outbox would drop it silently).
      const uploads = uploadsNamedBy(command.data.parts);
      const reserved = await reserveSendKey(table, {
        conversationId,
        hubMessageId,
        commandHash,
        sameContentHashes,
        uploads,
      });
      if (reserved === 'taken') keyReused();
      // A retry after the send record may have expired is not queued: the sender would send it again.
      // It is answered as the first request was (the body is the key's, whenever it is asked).
      if (reserved === 'reserved') {
        // Its uploads' references before it is queued: an erasure of another recipient of the same
        // file while this command waits for the sender leaves the file (upload-refs.ts). Not for a
        // retry the sender already took: it noted them with its record, and a note now would make
        // them outlive that record, and an erasure (until 2026-12-06; found by a review).
        if (!taken) await noteUploadsSent(table, conversationId, uploads, deps.retentionSeconds);
        await deps.enqueueCommand(command, outboxDeduplicationId(conversationId, idempotencyKey));
      }
      return accepted();
    },

    markRead: async ({ params, body }: RouteInput): Promise<ApiResponse> => {
      const conversationId = parseOr400(ConversationIdSchema, params.conversationId, 'path.conversationId');
      const { providerMessageId } = parseOr400(MarkReadRequestSchema, body, 'body');
      await conversationOr404(conversationId);
      const commandId = `cmd_${stableHash('api-read', conversationId, providerMessageId)}`;
      await deps.enqueueCommand(
        {
          specversion: '1.0',
          id: commandId,
          source: 'switchboard:helpdesk-api',
          type: COMMAND_TYPES.markRead,
          data: { conversationId, providerMessageId },
        },
        commandId.slice(4),
      );
      return json(202, { commandId });
    },

    typing: async ({ params, body }: RouteInput): Promise<ApiResponse> => {
      const conversationId = parseOr400(ConversationIdSchema, params.conversationId, 'path.conversationId');
      parseOr400(TypingRequestSchema, body ?? {}, 'body');
      await conversationOr404(conversationId);
      const commandId = `cmd_${deps.newId()}`;
      await deps.enqueueCommand(
        {
          specversion: '1.0',
          id: commandId,
          source: 'switchboard:helpdesk-api',
          type: COMMAND_TYPES.typing,
          data: { conversationId },
        },
        stableHash('api-typing', commandId),
      );
      return json(202, { commandId });
    },

    /** One register write per channel contact of the person on that channel, then the event. */
    setConsent: async ({ request, params, body }: RouteInput): Promise<ApiResponse> => {
      const named = parseOr400(ContactIdSchema, params.contactId, 'path.contactId');
      const idempotencyKey =
        request.headers['idempotency-key'] === undefined
          ? undefined
          : parseOr400(
              IdempotencyKeyHeaderSchema,
              request.headers['idempotency-key'],
              'header.idempotency-key',
            );
      const change = parseOr400(ConsentChangeSchema, body, 'body');
      // Only a request that parses reaches DynamoDB.
      const contactId = await resolvePerson(table, named);
      // The person's channel contacts as GET shows them: those of a conversation, and those known
      // without one (a STOP to a campaign from someone who never wrote).
      const person = await personContacts(table, contactId);
      const onChannel = new Map(
        [...(person?.contacts ?? [])].filter(([, { channel }]) => channel === change.channel),
      );
      if (!person || onChannel.size === 0)
        return fail('notFound', `the hub knows no contact of this person on ${change.channel}`);
      const scope = CONSENT_SCOPE_OF_CHANNEL[change.channel];
      // The key names one request to the contact in the path, whatever its body: the same key with
      // another body (another value, channel or evidence) is refused, never taken for a retry of the
      // first. Scoped to the contact the caller named, not the person it resolves to: a merge or
      // unmerge between a call and its retry changes the latter (until 2026-12-06 such a retry was
      // recorded anew at its own time, or refused as another contact's request under the same key
      // string; found by a review, tests/api/consent-key-after-merge.test.ts). The entry is found
      // wherever the contact now belongs: the ledger stays with the channel contacts, read below.
      const keyedEventId =
        idempotencyKey === undefined
          ? undefined
          : `evt_${stableHash('event', 'helpdesk_consent_request', named, idempotencyKey)}`;
      const keyReused = () =>
        fail(
          'idempotencyKeyReused',
          'this Idempotency-Key already names a consent change of this person with another body: nothing was recorded; use a new key for a new change',
        );
      // A retry of a keyed change finds its ledger entry and takes its time: same event, same order.
      // Looked for on every channel of the person: the key reused for another channel is refused too.
      const earlier = keyedEventId
        ? await readConsentEntry(table, person.contacts.keys(), keyedEventId)
        : undefined;
      if (earlier && !isSameConsentRequest(earlier.entry, change)) keyReused();
      const at = earlier?.entry.at ?? deps.clock().toISOString();
      const contactKeys = earlier
        ? await firstCallContacts(named, at, onChannel, earlier.holding)
        : new Set(onChannel.keys());
      /**
       * Every key a channel contact's consent is written under, its own first (a WhatsApp
       * customer's wa_id and BSUID, consentKeysFor), as the sender reads them.
       */
      const keysOf = (contactKey: string): string[] => {
        const listed = onChannel.get(contactKey);
        return [
          contactKey,
          ...(listed ? consentKeysFor(listed.channel, listed.contact) : []).filter(
            (key) => key !== contactKey,
          ),
        ];
      };
      // A key the ledger does not hold may have named a change erased with its person: the erasure
      // kept its event id's hash, under the keys it was written under, as for a provider's late
      // retry (the recorder's wasErasedWith). Recorded again, its retry came at its own time, after
      // the erased person's STOP that the erasure kept, and undid it, the event under its old id
      // (until 2026-12-07; found by a review, tests/api/consent-key-after-erasure.test.ts). Its
      // time and body went with the ledger: neither answered as the first call nor taken as new.
      // One read, for a keyed call whose key is new. A refused pseudonym key (its alarm fires)
      // lets an opt-out through unchecked, as the recorder does: it only ever refuses more.
      if (
        keyedEventId &&
        !earlier &&
        (await wasConsentRequestErased(
          table,
          deps.pseudonymKey,
          [...contactKeys].flatMap(keysOf),
          keyedEventId,
        ).catch((error: unknown) => {
          if (error instanceof PseudonymKeyMismatchError && change.consent === 'opted_out') return false;
          throw error;
        }))
      )
        return fail(
          'idempotencyKeyErased',
          'this Idempotency-Key named a consent change of this contact that was erased with the person: nothing was recorded, and the consent the hub holds now stands (an opt-out the erasure kept among it); to record this change anew, send it with a new key',
        );
      // The event names a conversation: the channel's first of these contacts, when there is one.
      const first = person.conversations.find(
        ({ state }) =>
          state.channel === change.channel && contactKeys.has(contactKeyFor(state.channel, state.contact)),
      );
      const evidence = change.evidence;
      const eventId =
        keyedEventId ??
        `evt_${stableHash('event', 'helpdesk_consent', contactId, scope, change.consent, at)}`;
      const entry: ConsentLedgerEntry = {
        channel: change.channel,
        scope,
        consent: change.consent,
        trigger: 'helpdesk',
        source: 'helpdesk',
        evidence,
        at,
        eventId,
      };
      const order = timeOrder(at, undefined, eventId);
      const written = new Set<string>();
      for (const contactKey of contactKeys) {
        // Under every key the channel contact's consent is read under (a WhatsApp customer's wa_id
        // and BSUID, consentKeysFor), as the recorder writes a provider's STOP: the sender reads
        // every identifier its conversation knows, and another conversation of the person may know
        // only one of them (until 2026-12-07 the first alone, and marketing templates still went to
        // the customer's conversation opened by their wa_id; found by a review,
        // tests/api/consent-change.test.ts).
        const keys = keysOf(contactKey).filter((key) => !written.has(key));
        for (const key of keys) {
          written.add(key);
          // The entry's first write: a keyed call racing itself with the same body writes the
          // register at the entry's time too; one with another body finds the entry taken and
          // records nothing.
          const receipt = keyedEventId
            ? await recordConsentRequest(table, key, entry, order)
            : await recordConsentChange(table, key, entry, order);
          if (receipt === 'otherRequest') return keyReused();
          await writeRegister(
            table,
            registerWrite(consentRegister(key, scope, change.consent), receipt.order, eventId, {
              consent: change.consent,
              trigger: 'helpdesk',
              at: receipt.at,
            }),
          );
        }
      }
      // Without a conversation on the channel there is no business endpoint or conversation to name:
      // recorded (the registers and the ledger), not published.
      const state = first?.state;
      if (state)
        await deps.publishEvent(
          buildEvent('switchboard.contact.consent_changed', eventId, {
            channel: state.channel,
            provider: conversationProvider(state, deps.defaultEmailProvider ?? 'ses'),
            endpoint: state.endpoint,
            contact: state.contact,
            conversationId: state.conversationId,
            providerTimestamp: null,
            receivedAt: at,
            scope,
            consent: change.consent,
            trigger: 'helpdesk',
            source: 'helpdesk',
            evidence,
          }),
        );
      return json(200, {
        contactId,
        channel: change.channel,
        scope,
        consent: change.consent,
        at,
        contacts: contactKeys.size,
      } satisfies Body<typeof ConsentRecordedSchema>);
    },

    /** In pages within the byte budget, each found from the person's footprint again (./page-budget.ts). */
    exportContact: async ({ params, request }: RouteInput): Promise<ApiResponse> => {
      const contactId = await personInPath(params);
      const query = parseOr400(ExportQuerySchema, request.query, 'query');
      const queryHash = queryHashOf({ export: contactId });
      const after = query.cursor ? decodeExportCursor(query.cursor, queryHash) : undefined;
      const exported = await exportPerson(
        { table, pseudonymKey: deps.pseudonymKey, listObjectsUnder: deps.listObjectsUnder },
        contactId,
        { ...(after ? { after } : {}), fits: pageBudget().fits },
      );
      if (!exported) return fail('notFound', 'no such contact');
      const { next, ...page } = exported;
      return json(200, {
        ...page,
        ...(next ? { nextCursor: encodeExportCursor(queryHash, next) } : {}),
      } satisfies Body<typeof PersonExportSchema>);
    },

    /**
     * Erasure, then its event. A second call retries what a provider had not redacted (no second
     * event: the person was erased); once nothing is left it answers 404.
     */
    eraseContact: async ({ params }: RouteInput): Promise<ApiResponse> => {
      const contactId = parseOr400(ContactIdSchema, params.contactId, 'path.contactId');
      const merged = await readMerge(table, contactId);
      if (merged)
        return fail(
          'conflict',
          `merged into ${merged.survivingContactId}: erase that person, or unmerge this one first`,
        );
      // The report's time and counts: an erasure finished by this call after an earlier one
      // stopped is told as that one told it (shared/store/erasure-announcement.ts).
      const eventOf = ({
        providerRedactions: _redactions,
        alreadyErased: _already,
        ...erased
      }: ErasureReport) => buildContactErasedEvent(erased);
      // Told before what finds the person again is deleted: a failed publish leaves it for the retry.
      const report = await erasePerson(
        {
          table,
          pseudonymKey: deps.pseudonymKey,
          deleteObjects: deps.deleteObjects,
          deleteObjectsUnder: deps.deleteObjectsUnder,
          abortUploadsUnder: deps.abortUploadsUnder,
          redactAtProviders: deps.redactAtProviders,
          announce: (erased) => deps.publishEvent(eventOf(erased)),
        },
        contactId,
      );
      if (!report) return fail('notFound', 'no such contact');
      const { providerRedactions } = report;
      const event = eventOf(report);
      return json(200, {
        ...event.data,
        ...(providerRedactions ? { providerRedactions } : {}),
      } satisfies Body<typeof ContactErasureSchema>);
    },

    /** The committed document (shared/contract/generated/openapi.json), as generated from ./operations.ts. */
    openApi: async (): Promise<ApiResponse> => json(200, openApiDocument),

    getContact: async ({ params }: RouteInput): Promise<ApiResponse> => {
      const contactId = await personInPath(params);
      // A pseudonym key that cannot be read just now (refused: its alarm fires; Secrets Manager
      // throttled or down) leaves the kept opt-outs unread: the person is still shown, with the
      // consent their own records hold.
      const person = await personView(table, contactId, deps.pseudonymKey).catch(() =>
        personView(table, contactId),
      );
      if (!person) return fail('notFound', 'no such contact');
      const merged = (await mergesInto(table, contactId)).map((merge) => ({
        contactId: merge.discardedContactId,
        reason: merge.reason,
        mergedAt: merge.mergedAt,
      }));
      return json(200, { ...person, merged } satisfies Body<typeof ContactBodySchema>);
    },

    /** The ledger of every channel contact of the person, newest change first. */
    consentHistory: async ({ params, request }: RouteInput): Promise<ApiResponse> => {
      const contactId = await personInPath(params);
      const query = parseOr400(ConsentHistoryQuerySchema, request.query, 'query');
      const queryHash = queryHashOf({ consent: contactId });
      const after = query.cursor ? decodeLedgerCursor(query.cursor, queryHash) : undefined;
      const person = await personView(table, contactId);
      if (!person) return fail('notFound', 'no such contact');
      // A WhatsApp change is entered under the identifiers its event named: every one known is read.
      const contactKeys = [
        ...new Set(
          person.channels.flatMap(({ channel, identities }) => consentKeysFor(channel, { identities })),
        ),
      ];
      const page = ledgerPage(await readConsentHistory(table, contactKeys), {
        after,
        limit: query.limit ?? CONSENT_PAGE_MAX,
      });
      // The byte budget's rule too (the count alone keeps a page of the longest evidence near 3.6 MB).
      const changes = page.changes.slice(0, countWithinBudget(page.changes));
      const end = changes.at(-1);
      const last =
        changes.length < page.changes.length && end ? { at: end.at, eventId: end.eventId } : page.last;
      return json(200, {
        contactId,
        changes,
        ...(last ? { nextCursor: encodeLedgerCursor(queryHash, last) } : {}),
      } satisfies Body<typeof ConsentHistorySchema>);
    },

    /**
     * The other person merged into the one in the path; a retried request, or one sent twice at once,
     * answers the same merge.
     */
    mergeContact: async ({ params, body }: RouteInput): Promise<ApiResponse> => {
      const surviving = parseOr400(ContactIdSchema, params.contactId, 'path.contactId');
      const request = parseOr400(ContactMergeRequestSchema, body, 'body');
      const result = await mergePeople(table, {
        surviving,
        discarded: request.contactId,
        reason: request.reason,
        at: deps.clock().toISOString(),
      });
      if (result.outcome === 'refused') {
        const [kind, detail] = MERGE_REFUSALS[result.reason];
        return fail(kind, detail);
      }
      const { moved: _moved, ...merge } = result.merge;
      const event = buildContactMergeEvent('switchboard.contact.merged', {
        ...merge,
        conversationIds: result.conversationIds,
      });
      await deps.publishEvent(event);
      return json(200, event.data satisfies Body<typeof ContactMergeDataSchema>);
    },

    /** Undoes the merge of the person in the body into the one in the path. */
    unmergeContact: async ({ params, body }: RouteInput): Promise<ApiResponse> => {
      const surviving = parseOr400(ContactIdSchema, params.contactId, 'path.contactId');
      const request = parseOr400(ContactMergeRequestSchema, body, 'body');
      const result = await unmergePeople(table, {
        surviving,
        discarded: request.contactId,
        reason: request.reason,
        at: deps.clock().toISOString(),
      });
      if (result.outcome === 'refused')
        return fail('notFound', `${request.contactId} is not merged into ${surviving}`);
      const { moved: _moved, ...merge } = result.merge;
      // A retry answers the first call's unmerge (its time, reason and moves): the same event id.
      const event = buildContactMergeEvent('switchboard.contact.unmerged', {
        ...merge,
        reason: result.unmerge.reason,
        unmergedAt: result.unmerge.unmergedAt,
        conversationIds: result.conversationIds,
      });
      await deps.publishEvent(event);
      return json(200, event.data satisfies Body<typeof ContactMergeDataSchema>);
    },

    ...createMediaHandlers(deps),
  } satisfies Record<ApiHandlerName, (input: RouteInput) => Promise<ApiResponse>>;
};
