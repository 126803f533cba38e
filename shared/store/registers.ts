import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { stableHash } from '#shared/contract/ids.ts';
import { DeliveryStatusSchema, MessagePartSchema, ProviderErrorSchema } from '#shared/contract/index.ts';
import type { ConsentScope } from '#shared/contract/types.ts';
import { isConditionFailure } from './item-rules.ts';
import { contactItemKey, conversationKey, type ItemKey, messageStateKey } from './keys.ts';
import { type TableContext, track } from './table.ts';

/*
 * Registers: values that only move forward along an order, written by the event that moved them.
 * Statuses, watermarks, consent, reactions, edits and deletions are all registers, so that any
 * arrival order and any redelivery end in the same value. The rule lives in one place, the
 * condition of `writeRegister`: forward, or a rewrite by the same event (never to a later order).
 *
 * Each register is one map attribute of an item: `{ order, eventId, value }`, `value` being the
 * JSON of its kind's schema below. The recorder writes them, the read API parses them with the
 * same schemas.
 */

const StatusValueSchema = z.object({
  status: DeliveryStatusSchema,
  providerStatus: z.string(),
  at: z.string(),
  errors: z.array(ProviderErrorSchema).optional(),
});
const ReactionValueSchema = z.object({
  action: z.enum(['added', 'removed']),
  emoji: z.string().nullable(),
  at: z.string(),
});
const EditValueSchema = z.object({
  parts: z.array(MessagePartSchema),
  /** The edit's parts were too large to keep here; the edited event carried them whole. */
  partsOmitted: z.literal(true).optional(),
  actor: z.enum(['customer', 'business']),
  at: z.string(),
  editProviderMessageId: z.string().optional(),
});
const DeletionValueSchema = z.object({ actor: z.enum(['customer', 'business']), at: z.string() });
export const WatermarkValueSchema = z.object({ watermark: z.string() });
export const ConsentValueSchema = z.object({
  consent: z.enum(['opted_out', 'opted_in', 'help_requested']),
  trigger: z.string().nullable(),
  at: z.string(),
});

/** The registers of each item kind that has them, by attribute name. */
export const MESSAGE_STATE_REGISTERS = {
  status: StatusValueSchema,
  customerReaction: ReactionValueSchema,
  businessReaction: ReactionValueSchema,
  edit: EditValueSchema,
  deletion: DeletionValueSchema,
} as const;
export const CONVERSATION_REGISTERS = {
  readWatermark: WatermarkValueSchema,
  deliveredWatermark: WatermarkValueSchema,
} as const;
export const CONTACT_REGISTERS = {
  smsConsent: ConsentValueSchema,
  whatsapp_marketingConsent: ConsentValueSchema,
  messenger_notificationsConsent: ConsentValueSchema,
  emailConsent: ConsentValueSchema,
} as const;

type RegisterSet = Readonly<Record<string, z.ZodType>>;
export type RegisterValues<S extends RegisterSet> = { readonly [K in keyof S]?: z.output<S[K]> };
export type MessageLiveState = RegisterValues<typeof MESSAGE_STATE_REGISTERS>;
export type ConversationRegisters = RegisterValues<typeof CONVERSATION_REGISTERS>;
export type ContactConsent = RegisterValues<typeof CONTACT_REGISTERS>;

/**
 * The latest HELP (or INFO…) per scope, beside the consent registers and never one of them: a HELP
 * asks for information and changes no consent, so it must not stand in for the STOP before it.
 */
export const HELP_REGISTERS = { smsHelp: ConsentValueSchema } as const;

/** A register as stored: `order` sorts its changes in time. */
export const StoredRegisterSchema = z.object({ order: z.string(), eventId: z.string(), value: z.string() });

/** Where a register lives: an item and one of its attributes; `S` is the schema of its value. */
export interface RegisterTarget<S extends z.ZodType = z.ZodType> {
  readonly key: ItemKey;
  readonly attribute: string;
  /**
   * Items that are not kept forever (message state) take this expiry on their first write and keep
   * it: a later status or reaction does not push it on (until 2026-12-07 every write did, so a
   * reaction on a message's 29th day kept its state, with the conversation it names, 29 days past the
   * message record, where no erasure finds it; found by a review). A state item first written late
   * (a reaction to an old message) still outlives its message by that much.
   */
  readonly expiresAt?: number;
  /** Extra plain attributes set with the register (e.g. the conversation a message belongs to). */
  readonly with?: Readonly<Record<string, string>>;
  /**
   * The order is the value itself (a watermark's time): an event of the same order is stale like an
   * older one, so a redelivery of an overtaken event can never win a tie and the register keeps no
   * set of the events that moved it. A set that is never trimmed would grow with every receipt on
   * the conversation item, past 1 KB and in the end past DynamoDB's 400 KB item limit.
   */
  readonly orderIsValue?: true;
  /**
   * A register of the same item that, at or past this write's order, makes it stale (with
   * `orderIsValue`): a delivery watermark at or behind the read one tells nothing new.
   */
  readonly staleAtOrBehind?: string;
  /**
   * Written only on an item that exists (with `orderIsValue`): a Messenger watermark on a
   * conversation that is gone (erased) would otherwise create an item nothing reaches or expires.
   */
  readonly existingOnly?: true;
  /**
   * The write's order is its event's first (consent: the order its ledger entry keeps,
   * recordConsentChange), whichever delivery writes it: a redelivery of an overtaken event is stale
   * by its order alone, so the register adds nothing to its set of applied events. The set an
   * earlier version kept is still read (its events' retries are stale), and no longer grows: it
   * grew with every keyword a number sent (16 bytes each on the contact item, past DynamoDB's
   * 400 KB item limit after some 23,000, when every consent write of the number, a STOP too, would
   * fail). A provider's retry of the event that holds the register rewrites it at that order, so it is
   * `written` like a redelivery of the first receipt: the ledger entry tells them apart, and only the
   * first receipt is forwarded (`FirstReceipt.laterReceipt`).
   */
  readonly firstOrder?: true;
  /**
   * Written only on an item that names no conversation or this write's own (`with.conversationId`),
   * which it then never re-homes: a status anyone may write (a bounce report mailed to the hub, whose
   * returned headers are the sender's to make) moves only a message of the conversation it is filed
   * in, not one whose statuses its provider filed in another.
   */
  readonly ownConversationOnly?: true;
  /** Never set: carries the value's type. */
  readonly schema?: S;
}

export interface RegisterWrite {
  readonly target: RegisterTarget;
  /** Sortable as a string; a higher order wins. */
  readonly order: string;
  /** The event that wrote the value: rewriting it with the same event is a no-op, not a conflict. */
  readonly eventId: string;
  readonly value: unknown;
  /**
   * The same change written under another key of the same customer (a WhatsApp consent change under
   * each of its identifiers): it never decides whether the event is forwarded, its first write does.
   */
  readonly copy?: true;
  /**
   * The start of the order that every delivery of this occurrence shares (a time order's time and
   * its `#`: a retry keeps the provider's time, not its arrival), for a register that keeps the set
   * of events that moved it. Only events of the register's current tie can win by a later arrival,
   * so a write that moves the register past its tie replaces the set with its own id, and the set
   * holds the events of one provider second, not every reaction or edit the message ever had (a
   * customer toggling a reaction 20,000 times filled the item past DynamoDB's 400 KB, and the
   * message's statuses, reactions and edits then failed to record: found by a review).
   */
  readonly tie?: string;
  /**
   * A write of a register that keeps its ties, whose time the hub set (no provider time, or one
   * too far ahead): a retry carries a later time, so its id is kept in a set of its own that no
   * write past a tie replaces.
   */
  readonly undated?: true;
}

/** A write whose value has the shape its register's schema reads back. */
export const registerWrite = <S extends z.ZodType>(
  target: RegisterTarget<S>,
  order: string,
  eventId: string,
  value: z.input<S>,
): RegisterWrite => ({ target, order, eventId, value });

/**
 * A register of a message's state item (`MSG#<hubMessageId>` / `STATE`): the item names its
 * conversation and message and expires with the message record.
 */
export const messageStateRegister = <R extends keyof typeof MESSAGE_STATE_REGISTERS>(
  hubMessageId: string,
  register: R,
  conversationId: string,
  expiresAt: number,
  options: { readonly ownConversationOnly?: boolean } = {},
): RegisterTarget<(typeof MESSAGE_STATE_REGISTERS)[R]> => ({
  key: messageStateKey(hubMessageId),
  attribute: register,
  expiresAt,
  with: { conversationId, hubMessageId },
  ...(options.ownConversationOnly === true ? { ownConversationOnly: true as const } : {}),
});

/** A Messenger watermark on the conversation item. */
export const watermarkRegister = (
  conversationId: string,
  status: 'read' | 'delivered',
): RegisterTarget<typeof WatermarkValueSchema> => ({
  key: conversationKey(conversationId),
  attribute: `${status}Watermark`,
  orderIsValue: true,
  existingOnly: true,
  // Read implies delivered: a delivery up to a time already read is stale (Meta may send it late).
  ...(status === 'delivered' ? { staleAtOrBehind: 'readWatermark' } : {}),
});

/**
 * A consent register on the contact item, per scope; a HELP goes to the scope's help register
 * (`HELP_REGISTERS`), which the sender never reads, so it never hides an opt-out.
 */
export const consentRegister = (
  contactKey: string,
  scope: ConsentScope,
  consent: z.output<typeof ConsentValueSchema>['consent'],
): RegisterTarget<typeof ConsentValueSchema> => ({
  key: contactItemKey(contactKey),
  attribute: `${scope}${consent === 'help_requested' ? 'Help' : 'Consent'}`,
  firstOrder: true,
});

/**
 * Time-ordered registers: the provider's time, then the order of arrival (the event's `sequence`:
 * receive time, then position in the provider's request) for occurrences the provider dates to the
 * same second, then the event id, so every replica picks the same winner.
 */
export const timeOrder = (occurredAt: string, sequence: string | undefined, eventId: string): string =>
  `${occurredAt}#${sequence ?? ''}#${eventId}`;

/** What every delivery of an occurrence shares of its time order (`RegisterWrite.tie`). */
export const timeTie = (occurredAt: string): string => `${occurredAt}#`;

/** 64 bits of an event id: what a register remembers of the events that already moved it. */
export const appliedIdOf = (eventId: string): string => stableHash('applied', eventId).slice(0, 16);

/**
 * The register rule: a rewrite by the same event at its order or an earlier one, or forward by an
 * event that never moved it; never on the tombstone of an erased message (a late provider retry
 * brings nothing back). A retry of the event that holds the register but dated later (a Twilio
 * retry is dated by its own receipt, any retry past the ingest queue's deduplication window has a
 * later arrival sequence) is stale: it never moves its register's order forward, where a change
 * between the first receipt and the retry, recorded after the retry, would then lose to it (until
 * 2026-12-04 it did; found by a review, `tests/contacts/consent-ledger.test.ts`).
 * Written as alternatives without parentheses (NOT binds before AND, AND before OR): the same
 * condition to DynamoDB, but the local emulator's expression parser backtracks through every
 * nested parenthesis, and the nested form took it 5 ms a write against 0.2 ms for this one.
 */
const registerRule = (forward: readonly string[], neverMoved: string): string =>
  [
    '#register.#eventId = :eventId AND #register.#order >= :order',
    ...forward.map((alternative) => `${alternative} AND ${neverMoved}`),
  ]
    .map((alternative) => `attribute_not_exists(#erased) AND ${alternative}`)
    .join(' OR ');

/** The forward moves of REGISTER_RULE: onto an empty register, or past its order. */
const FORWARD = ['attribute_not_exists(#register)', '#register.#order < :order'];
const REGISTER_RULE = registerRule(FORWARD, 'NOT contains(#applied, :appliedId)');

/** A write past the register's tie (RegisterWrite.tie), spelled out as REGISTER_RULE is. */
const NEVER_MOVED_TIED = 'NOT contains(#applied, :appliedId) AND NOT contains(#undated, :appliedId)';
const PAST_TIE_RULE = ['attribute_not_exists(#register)', '#register.#order < :tie']
  .map((alternative) => `attribute_not_exists(#erased) AND ${alternative} AND ${NEVER_MOVED_TIED}`)
  .join(' OR ');

/**
 * The register rule of a register that keeps its ties (RegisterWrite.tie): the events the hub dated
 * itself are remembered apart (`<attribute>Undated`), in a set no write past a tie replaces, as
 * their retries carry a later time; no event of either set moves the register again.
 */
const TIED_REGISTER_RULE = registerRule(FORWARD, NEVER_MOVED_TIED);

/** The rule of a register whose order is its value (`orderIsValue`): no set of applied events. */
const VALUE_ORDER_ALTERNATIVES = [
  '#register.#eventId = :eventId',
  'attribute_not_exists(#register)',
  '#register.#order < :order',
].map((alternative) => `attribute_not_exists(#erased) AND ${alternative}`);
/** The same, while the register named by `staleAtOrBehind` is absent or behind (spelled out, as above). */
const GUARDED_VALUE_ORDER_ALTERNATIVES = VALUE_ORDER_ALTERNATIVES.flatMap((alternative) => [
  `attribute_not_exists(#guard) AND ${alternative}`,
  `#guard.#order < :order AND ${alternative}`,
]);
/** A value-ordered rule, on an item that exists when the target says so (`existingOnly`). */
const valueOrderRule = (alternatives: readonly string[], existingOnly: boolean): string =>
  (existingOnly
    ? alternatives.map((alternative) => `attribute_exists(pk) AND ${alternative}`)
    : alternatives
  ).join(' OR ');

/**
 * A rule held only on an item of the write's own conversation, or of none yet (`ownConversationOnly`):
 * each of its alternatives (joined by OR, none holding an OR of its own) twice, spelled out as above.
 */
const ownConversationRule = (rule: string): string =>
  rule
    .split(' OR ')
    .flatMap((alternative) =>
      ['attribute_not_exists(#owner)', '#owner = :owner'].map((owner) => `${owner} AND ${alternative}`),
    )
    .join(' OR ');

/**
 * How a write treats the set of events that moved its register: kept and checked; only checked, for
 * a register written at its event's first order (`firstOrder`); or, for a value-ordered register,
 * dropped (with the set an earlier version of the hub kept beside it).
 */
const appliedRule = (
  target: RegisterTarget,
  eventId: string,
): {
  readonly update: string;
  readonly condition: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
} => {
  if (target.firstOrder === true)
    return {
      update: '',
      condition: REGISTER_RULE,
      names: {},
      values: { ':appliedId': appliedIdOf(eventId) },
    };
  if (target.orderIsValue !== true)
    return {
      update: 'ADD #applied :applied',
      condition: REGISTER_RULE,
      names: {},
      values: { ':applied': new Set([appliedIdOf(eventId)]), ':appliedId': appliedIdOf(eventId) },
    };
  const existingOnly = target.existingOnly === true;
  if (target.staleAtOrBehind === undefined)
    return {
      update: 'REMOVE #applied',
      condition: valueOrderRule(VALUE_ORDER_ALTERNATIVES, existingOnly),
      names: {},
      values: {},
    };
  return {
    update: 'REMOVE #applied',
    condition: valueOrderRule(GUARDED_VALUE_ORDER_ALTERNATIVES, existingOnly),
    names: { '#guard': target.staleAtOrBehind },
    values: {},
  };
};

/**
 * `written` when it moved (or this very event had moved it, at the same order or a later one),
 * `stale` when the stored value is ahead, when this event holds it at an earlier order (a retry
 * dated later: its first delivery was forwarded), or the event already moved it once and was
 * overtaken since (a redelivery of an old occurrence, whose later arrival would otherwise win a
 * same-second tie): each register remembers the events that moved it, in a string set beside it
 * (`<attribute>Applied`).
 */
export const writeRegister = async (
  context: TableContext,
  write: RegisterWrite,
): Promise<'written' | 'stale'> => {
  const keepsTies =
    (write.tie !== undefined || write.undated === true) &&
    !write.target.firstOrder &&
    !write.target.orderIsValue;
  const undatedName = { '#undated': `${write.target.attribute}Undated` };
  // Past the register's tie first (the usual case: one write), else within it (a second write).
  if (keepsTies && write.tie !== undefined) {
    const past = await sendRegisterWrite(context, write, {
      update: '',
      sets: ['#applied = :applied'],
      condition: PAST_TIE_RULE,
      names: undatedName,
      values: {
        ':applied': new Set([appliedIdOf(write.eventId)]),
        ':appliedId': appliedIdOf(write.eventId),
        ':tie': write.tie,
      },
    });
    if (past === 'written') return past;
  }
  const rule = appliedRule(write.target, write.eventId);
  if (!keepsTies) return sendRegisterWrite(context, write, rule);
  return sendRegisterWrite(context, write, {
    ...rule,
    update: write.undated === true ? 'ADD #undated :applied' : rule.update,
    condition: TIED_REGISTER_RULE,
    names: { ...rule.names, ...undatedName },
  });
};

const sendRegisterWrite = async (
  context: TableContext,
  write: RegisterWrite,
  applied: ReturnType<typeof appliedRule> & { readonly sets?: readonly string[] },
): Promise<'written' | 'stale'> => {
  const { target } = write;
  const withNames = Object.keys(target.with ?? {});
  const sets = [
    '#register = :register',
    ...(target.expiresAt !== undefined ? ['expiresAt = if_not_exists(expiresAt, :expiresAt)'] : []),
    ...withNames.map((_, index) => `#with${index} = :with${index}`),
    ...(applied.sets ?? []),
  ];
  const update = `SET ${sets.join(', ')} ${applied.update}`.trimEnd();
  const owner = target.ownConversationOnly === true ? target.with?.conversationId : undefined;
  const condition = owner === undefined ? applied.condition : ownConversationRule(applied.condition);
  // DynamoDB refuses a name or value that neither expression uses.
  const placeholders = new Set(`${update} ${condition}`.match(/[#:]\w+/g));
  const used = <T>(entries: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(entries).filter(([name]) => placeholders.has(name)));
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(target.key),
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: used({
          '#register': target.attribute,
          ...applied.names,
          '#applied': `${target.attribute}Applied`,
          '#order': 'order',
          '#eventId': 'eventId',
          '#erased': 'erased',
          '#owner': 'conversationId',
          ...Object.fromEntries(withNames.map((name, index) => [`#with${index}`, name])),
        }),
        ExpressionAttributeValues: marshall(
          used({
            ':register': { order: write.order, eventId: write.eventId, value: JSON.stringify(write.value) },
            ':order': write.order,
            ':eventId': write.eventId,
            ...(owner !== undefined ? { ':owner': owner } : {}),
            ...applied.values,
            ...(target.expiresAt !== undefined ? { ':expiresAt': target.expiresAt } : {}),
            ...Object.fromEntries(
              Object.values(target.with ?? {}).map((value, index) => [`:with${index}`, value]),
            ),
          }),
        ),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return 'written';
  } catch (error) {
    if (isConditionFailure(error)) return 'stale';
    throw error;
  }
};

/**
 * The registers of a set found on an item, each parsed with its schema; an attribute that is not a
 * well-formed register of the set is left out.
 */
export const readRegisters = <S extends RegisterSet>(
  item: Readonly<Record<string, unknown>> | undefined,
  registers: S,
): RegisterValues<S> => {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(registers)) {
    const stored = StoredRegisterSchema.safeParse(item?.[name]);
    if (!stored.success) continue;
    let json: unknown;
    try {
      json = JSON.parse(stored.data.value);
    } catch {
      continue;
    }
    const value = schema.safeParse(json);
    if (value.success) values[name] = value.data;
  }
  return values as RegisterValues<S>;
};
