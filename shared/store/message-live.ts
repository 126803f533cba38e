import { hubMessageIdFor } from '#shared/contract/ids.ts';
import { DELIVERY_STATUS_RANK, type Message } from '#shared/contract/index.ts';
import { messageStateKey } from './keys.ts';
import { MESSAGE_STATE_REGISTERS, type MessageLiveState, readRegisters } from './registers.ts';
import { batchGetItems, type TableContext } from './table.ts';

/*
 * Where a recorded message's live state (status, reactions, edit, deletion) is, and how it reads.
 * Statuses, reactions and edits name provider message ids, so the recorder writes each under the
 * hub id a provider message id gives (`hubMessageIdFor`). A message the hub sent is recorded under
 * its own id (from the command's key) and became one provider message or more: its live state is
 * under those provider messages' ids, read together.
 */

/** The hub ids whose state items hold this message's live state. */
export const liveStateIdsOf = (hubMessageId: string, message: Message): readonly string[] =>
  message.sentBy === 'hub' &&
  message.providerMessageIds !== undefined &&
  message.providerMessageIds.length > 0
    ? message.providerMessageIds.map((id) => hubMessageIdFor(message.channel, id))
    : [hubMessageId];

/**
 * One message's live state from its state items (by pk): a message the hub sent as several provider
 * messages is as far as its least advanced one (read only when every part was read; a failed part
 * shows before delivered ones), and has no status until every part has one. Each part's status only
 * moves forward, so the least of them does too; the least of those that reported would not: a first
 * part read before a later one's first status (paced seconds behind it) showed read, then sent
 * (found by a review). Other registers come from the newest part that has them.
 */
export const liveStateOf = (
  ids: readonly string[],
  stateByPk: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): MessageLiveState => {
  const parts = ids.map((id) =>
    readRegisters(stateByPk.get(messageStateKey(id).pk), MESSAGE_STATE_REGISTERS),
  );
  if (parts.length === 1) return parts[0] ?? {};
  const merged: Record<string, unknown> = {};
  for (const part of parts)
    Object.assign(merged, Object.fromEntries(Object.entries(part).filter(([, v]) => v !== undefined)));
  const statuses = parts.flatMap((part) => (part.status ? [part.status] : []));
  const least = (statuses.length < parts.length ? [] : statuses).reduce<
    (typeof statuses)[number] | undefined
  >(
    (lowest, status) =>
      lowest === undefined || DELIVERY_STATUS_RANK[status.status] < DELIVERY_STATUS_RANK[lowest.status]
        ? status
        : lowest,
    undefined,
  );
  if (least) merged.status = least;
  else delete merged.status;
  return merged as MessageLiveState;
};

/**
 * The live state of each recorded message (none for an entry that is undefined), all state items
 * read in one BatchGetItem.
 */
export const readLiveStates = async (
  context: TableContext,
  messages: readonly ({ readonly hubMessageId: string; readonly message: Message } | undefined)[],
  options: { readonly consistent?: boolean } = {},
): Promise<MessageLiveState[]> => {
  const stateIds = messages.map((one) => (one ? liveStateIdsOf(one.hubMessageId, one.message) : []));
  const wanted = [...new Set(stateIds.flat())];
  const states = wanted.length > 0 ? await batchGetItems(context, wanted.map(messageStateKey), options) : [];
  const stateByPk = new Map(states.map((item) => [String(item.pk), item]));
  return stateIds.map((ids) => liveStateOf(ids, stateByPk));
};
