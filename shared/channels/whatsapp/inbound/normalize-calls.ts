import { isoFromEpochSeconds } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor, hubMessageIdFor } from '#shared/contract/ids.ts';
import type { CallPart, HubEvent, Message } from '#shared/contract/types.ts';
import { type ContactItemFields, type ItemCustomer, placeContactItem } from './contact-items.ts';
import { CHANNEL, type ChangeContext } from './context.ts';
import { boundedProviderErrors } from './errors.ts';
import { type CallItem, CallItemSchema } from './schema.ts';
import { withoutUndefined } from './without-undefined.ts';

/** Meta's `direction` of a call the customer placed: `from` is the customer (see customerOf). */
const USER_INITIATED = 'USER_INITIATED';
/** Meta's `direction` of a call the business placed: `to` is the customer (see customerOf). */
const BUSINESS_INITIATED = 'BUSINESS_INITIATED';

/**
 * Who placed the call: Meta's `direction`, or on a `connect` without one, what its `session` tells.
 * Meta hands the business the caller's SDP offer on a call the customer placed, and the customer's
 * SDP answer on one the business placed (its own offer went with its request), so an `offer` is
 * the customer's call and an `answer` the business's. A `terminate` carries no session: without a
 * `direction` it stays a call this hub cannot tell the direction of.
 */
const directionOf = (call: CallItem): string | undefined => {
  if (call.direction !== undefined || call.event !== 'connect') return call.direction;
  const sdpType = call.session?.sdp_type;
  return sdpType === 'offer' ? USER_INITIATED : sdpType === 'answer' ? BUSINESS_INITIATED : undefined;
};

/**
 * One `calls[]` item of the `calls` field. A call the customer placed is the customer reaching out,
 * as a message is: Meta's customer service window "starts when a user messages or calls the
 * business" and restarts when they message or call again (Send messages, "Customer service
 * windows"). So its `connect` becomes a `message.received` whose one part is the call: the recorder
 * counts it as any customer message (the reply window, the wait for an answer, unread), and nothing
 * else in the hub knows calls apart. Its `terminate` becomes a `message.edited` of that message,
 * the call part with the outcome (statuses are left to sent messages). A call the business placed is
 * not the customer writing, and a call this hub cannot tell the direction of (directionOf) is not
 * taken as the customer's: either, and any other event, is kept whole as `provider.unsupported`
 * (`call.<event>.<direction>`), under the customer's conversation when the item names them.
 */
export const normalizeCallItem = (item: unknown, context: ChangeContext): HubEvent => {
  const placed = placeContactItem(item, context, CallItemSchema, 'call', (call) =>
    customerOf(call, context.endpoint?.displayName),
  );
  if ('unsupported' in placed) return placed.unsupported;
  const { parsed: call, fields } = placed;
  const direction = directionOf(call);
  if (direction === USER_INITIATED && fields) {
    if (call.event === 'connect') return customerCall(call, fields);
    if (call.event === 'terminate') return customerCallEnded(call, fields);
  }
  const named = direction === undefined ? [] : [direction.toLowerCase()];
  return placed.keptAs(['call', call.event, ...named].join('.'));
};

/**
 * The customer's side of the call: the caller of a call they placed, the callee of one the business
 * placed. Unless that side is the business's own number and the other is not (Meta's examples do
 * not always put the business where its `direction` says): then the customer is the other side.
 */
const customerOf = (call: CallItem, businessNumber: string | undefined): ItemCustomer | undefined => {
  const direction = directionOf(call);
  if (direction !== USER_INITIATED && direction !== BUSINESS_INITIATED) return undefined;
  const caller = { waId: call.from, userId: call.from_user_id };
  const callee = { waId: call.to, userId: call.to_user_id };
  const [side, other] = direction === USER_INITIATED ? [caller, callee] : [callee, caller];
  const business = digitsOf(businessNumber);
  const isBusiness = (number: string | undefined) => business !== '' && digitsOf(number) === business;
  return isBusiness(side.waId) && !isBusiness(other.waId) ? other : side;
};

/** A phone number's digits alone: Meta writes the business's display number with or without `+` and spaces. */
const digitsOf = (number: string | undefined): string => number?.replace(/\D/g, '') ?? '';

/** The customer's call, as their message. */
const customerCall = (call: CallItem, fields: ContactItemFields): HubEvent => {
  const data: Message = {
    hubMessageId: hubMessageIdFor(CHANNEL, call.id),
    ...fields,
    direction: 'inbound',
    providerMessageId: call.id,
    parts: [{ type: 'call', callId: call.id, direction: 'user_initiated' }],
  };
  return buildEvent('switchboard.message.received', eventIdFor(CHANNEL, 'call', call.id, 'connect'), data);
};

/** A call's errors kept on its part: a few, each text short (the code says the rest). */
const MAX_CALL_ERRORS = 8;
const MAX_CALL_ERROR_TEXT = 256;

/**
 * How the call went: `missed` when nobody picked it up (Meta names no `start_time`), whatever its
 * status (a call that rang out ends `FAILED` too); once picked up, `failed` when Meta says so
 * (`status: FAILED`: a customer's app that sent no media ends FAILED with `start_time` and 138021),
 * else `answered`.
 */
const outcomeOf = (call: CallItem): NonNullable<CallPart['outcome']> =>
  call.start_time === undefined
    ? 'missed'
    : call.status !== undefined && /^failed$/i.test(call.status)
      ? 'failed'
      : 'answered';

/** The end of the customer's call: the call part again, with how it went and Meta's errors. */
const customerCallEnded = (call: CallItem, fields: ContactItemFields): HubEvent => {
  const part: CallPart = withoutUndefined({
    type: 'call' as const,
    callId: call.id,
    direction: 'user_initiated' as const,
    outcome: outcomeOf(call),
    providerStatus: call.status,
    errors: boundedProviderErrors(call.errors, MAX_CALL_ERRORS, MAX_CALL_ERROR_TEXT),
    startedAt: isoFromEpochSeconds(call.start_time) ?? undefined,
    endedAt: isoFromEpochSeconds(call.end_time) ?? undefined,
    durationSeconds: secondsOf(call.duration),
  });
  return buildEvent('switchboard.message.edited', eventIdFor(CHANNEL, 'call', call.id, 'terminate'), {
    ...fields,
    targetProviderMessageId: call.id,
    parts: [part],
    actor: 'customer',
  });
};

/** Whole seconds as Meta counts them; anything else is not a duration. */
const secondsOf = (value: string | undefined): number | undefined => {
  const seconds = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  return Number.isSafeInteger(seconds) && seconds >= 0 ? seconds : undefined;
};
