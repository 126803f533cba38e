import type { SQSRecord } from 'aws-lambda';
import { groupOf } from '#shared/aws/sqs-fifo-batch.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { isMessageEvent } from '#shared/domain/conversation.ts';

/**
 * Runs `work` for `record`: at once, or once the record of the same message that started before it
 * in another group has ended. `wait` is how the record's group waits for that one (out of the
 * batch's publish rounds: a group waiting there would hold back the round the other one publishes in).
 */
export type InTurn = (
  record: SQSRecord,
  wait: (before: Promise<void>) => Promise<void>,
  work: () => Promise<void>,
) => Promise<void>;

const ignore = (): void => undefined;

/**
 * One message in two conversations of one batch: an e-mail Mailgun posts for each of two business
 * addresses it was sent to carries the same ids (from its Message-ID) in two message groups, which
 * the batch records side by side, so both would find its done-marker absent and count it twice.
 * Its records take turns instead, in the order their groups reach them: the later one finds the
 * earlier one's marker (the batch's reads keep it) and is a duplicate, as in a later batch; should
 * the earlier one fail before its claim (shared/store/messages.ts, claimMessage), the later one
 * records it, the earlier one a duplicate when it comes back; after its claim, the later one is the
 * duplicate and the earlier one records it when it comes back. Two invocations meet at the claim.
 * A record only ever waits for one that started before it, so two groups holding each other's
 * messages cannot wait for each other. Every other record (a message of one group only, any other
 * event) runs at once, exactly as before.
 */
export const messageTurns = (
  records: readonly SQSRecord[],
  events: readonly (HubEvent | undefined)[],
): InTurn => {
  const messageOf = new Map<string, string>();
  const groupsOf = new Map<string, Set<string>>();
  records.forEach((record, index) => {
    const event = events[index];
    if (event === undefined || !isMessageEvent(event)) return;
    const { hubMessageId } = event.data;
    messageOf.set(record.messageId, hubMessageId);
    groupsOf.set(hubMessageId, (groupsOf.get(hubMessageId) ?? new Set()).add(groupOf(record)));
  });
  /** Per shared message, when the record that started last has ended (failed or not). */
  const lastEnded = new Map<string, Promise<void>>();
  return (record, wait, work) => {
    const hubMessageId = messageOf.get(record.messageId);
    if (hubMessageId === undefined || (groupsOf.get(hubMessageId)?.size ?? 0) < 2) return work();
    const before = lastEnded.get(hubMessageId);
    const run = before === undefined ? work() : wait(before).then(work);
    lastEnded.set(hubMessageId, run.then(ignore, ignore));
    return run;
  };
};
