import type { Email } from 'postal-mime';
import { emailThreadConversationId } from '#shared/contract/ids.ts';
import { contactAddressOf, type Parties } from './addressing.ts';
import { messageIdsIn } from './headers.ts';

const MAX_REFERENCES = 50;

export interface Thread {
  readonly references: string[];
  readonly inReplyTo: string | undefined;
  /** The first message of the thread as far as this message knows it. */
  readonly root: string;
}

/** Keeps the first reference (the thread root) and the newest ones. */
const boundedReferences = (references: string[]): string[] =>
  references.length <= MAX_REFERENCES
    ? references
    : [...references.slice(0, 1), ...references.slice(-(MAX_REFERENCES - 1))];

/** Thread root: first References id, else In-Reply-To, else the message itself. */
export const threadOf = (message: Pick<Email, 'references' | 'inReplyTo'>, messageId: string): Thread => {
  const references = boundedReferences(messageIdsIn(message.references));
  const inReplyTo = messageIdsIn(message.inReplyTo)[0];
  return { references, inReplyTo, root: references[0] ?? inReplyTo ?? messageId };
};

/**
 * One e-mail conversation is one thread at one business address with one customer (the contact: the
 * sender of an inbound mail, the customer recipient of the business's own copy, so a copy and the
 * customer's answer meet); a `reply+conv_…` tag names it outright, so anyone answering the hub's
 * signed reply address joins it. Statuses of a sent message use this too, so they land where the
 * message did. Before 2026-12-05 the customer was no part of it: two customers each answering one
 * mail the business sent to both shared one conversation, and an answer to one went to the other.
 */
export const emailConversationId = (
  parties: Pick<Parties, 'endpointAddress' | 'contact' | 'taggedConversationId'>,
  thread: Thread,
): string =>
  parties.taggedConversationId ??
  emailThreadConversationId(parties.endpointAddress, thread.root, contactAddressOf(parties.contact));
