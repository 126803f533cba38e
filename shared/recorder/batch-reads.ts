import type { StoredConversation } from '#shared/store/conversations.ts';
import { type MessageMark, markFor } from '#shared/store/messages.ts';
import type { RecorderBatchRead } from '#shared/store/recorder-store.ts';
import { mayTakeLink } from '#shared/store/sends.ts';

/**
 * What one recorder batch knows of the table: its messages' done-markers and conversations, and the
 * conversations and sends its other events name, read together before the first record, then kept
 * up to date by the batch's own writes, so a message needs no read of its own and the next message
 * of the same conversation starts from the write before it. Trusted only where a conditional write
 * checks it, or where what it says cannot change: a conversation someone else changed (its
 * `version` moved, or it became an alias) fails the write and is read again, as after any read; a
 * redelivered message about to be published again without a write reads afresh, and an id the
 * batch may have just made an alias is forgotten (shared/recorder/record-event.ts). A conversation
 * read with its model is no alias, now or later (an alias is put only where none is), and a send that
 * can no longer await a link never will (a send moves only forward).
 */
export interface BatchReads {
  /**
   * The message's mark as the batch knows it, seen from the conversation the event was queued in;
   * undefined when the batch did not read it.
   */
  mark(hubMessageId: string, conversationId: string): MessageMark | undefined;
  /** The conversation as the batch last read or wrote it; undefined when it did not. */
  conversation(conversationId: string): StoredConversation | undefined;
  /** The conversation as just read, or as just written by this batch. */
  remember(conversationId: string, stored: StoredConversation): void;
  /** A conditional write lost: the next record reads it again. */
  forget(conversationId: string): void;
  /** The done-marker was just written. */
  markRecorded(hubMessageId: string): void;
  /**
   * False when the batch read the send and it can no longer take a link for its message `sequence`
   * (shared/store/sends.ts, mayTakeLink: not awaited, nor the message a failed send left unknown):
   * a status of it needs no read of the send.
   * True when it may, or when the batch did not read it.
   */
  sendMayTakeLink(hubMessageId: string, sequence: number): boolean;
}

export const createBatchReads = (read: RecorderBatchRead): BatchReads => {
  const marks = new Map(read.marks);
  const conversations = new Map(read.conversations);
  const { sends } = read;
  return {
    mark: (hubMessageId, conversationId) => {
      const read = marks.get(hubMessageId);
      return read === undefined ? undefined : markFor(read, conversationId);
    },
    conversation: (conversationId) => conversations.get(conversationId),
    remember: (conversationId, stored) => {
      // Another group may have moved the same (canonical) conversation further meanwhile.
      const cached = conversations.get(conversationId)?.model?.state.version ?? -1;
      if ((stored.model?.state.version ?? -1) >= cached) conversations.set(conversationId, stored);
    },
    forget: (conversationId) => void conversations.delete(conversationId),
    markRecorded: (hubMessageId) => void marks.set(hubMessageId, { held: 'recorded' }),
    // A send only moves forward, so a read at the batch's start that says no still holds.
    sendMayTakeLink: (hubMessageId, sequence) =>
      !sends.has(hubMessageId) || mayTakeLink(sends.get(hubMessageId), sequence),
  };
};
