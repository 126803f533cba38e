import type { Email } from 'postal-mime';
import { conversationIdFor } from '#shared/contract/ids.ts';
import type { Parties } from './addressing.ts';
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
 * One e-mail conversation is one thread at one business address; a `reply+conv_…` tag names it
 * outright. Statuses of a sent message use this too, so they land where the message did.
 */
export const emailConversationId = (
  parties: Pick<Parties, 'endpointAddress' | 'taggedConversationId'>,
  thread: Thread,
): string =>
  parties.taggedConversationId ??
  conversationIdFor('email', parties.endpointAddress, `thread:${thread.root}`);
