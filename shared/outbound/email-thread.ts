import { FALLBACK_REPLY_LOCAL_PART, replyTagFor } from '#shared/channels/email/reply-address.ts';
import { replySubject } from '#shared/channels/email/reply-subject.ts';
import type { ConversationState, Message } from '#shared/contract/types.ts';
import { isMachineEmail } from '#shared/domain/conversation.ts';
import type { SendPlan } from '#shared/store/sends.ts';

/*
 * How a reply joins the customer's thread: it comes from the address they wrote to, answers to a
 * signed reply address of this conversation, and names the message answered and its ancestors
 * (In-Reply-To, References; RFC 5322 §3.6.4) so every mail client files it with them.
 */

/**
 * RFC 5322 lets References be trimmed from the middle: the first one (the thread root, which mail
 * clients and the hub's own inbound threading file by) and the newest ones are what clients need.
 */
const MAX_REFERENCES = 20;
/** RFC 5321: a local part has at most 64 octets. */
const MAX_LOCAL_PART = 64;

/** Keeps the first reference (the thread root) and the newest ones, as the inbound threading does. */
const boundedReferences = (references: readonly string[]): string[] =>
  references.length <= MAX_REFERENCES
    ? [...references]
    : [...references.slice(0, 1), ...references.slice(-(MAX_REFERENCES - 1))];

const isReply = (subject: string): boolean => /^\s*re\s*:/i.test(subject.slice(0, 16));

/**
 * `support@acme.example` + tag → `support+<tag>@acme.example` (the tag after the last `+`, so
 * `hi+eu@` answers at `hi+eu+<tag>@`), or `reply+<tag>@acme.example` when that would be too long:
 * the recorder files a reply there under the endpoint of the conversation the tag names.
 */
const replyAddressFor = (endpointAddress: string, conversationId: string, key: string): string => {
  const at = endpointAddress.lastIndexOf('@');
  const local = endpointAddress.slice(0, at);
  const domain = endpointAddress.slice(at + 1);
  const tag = replyTagFor(conversationId, key);
  const tagged = `${local}+${tag}`;
  return `${tagged.length <= MAX_LOCAL_PART ? tagged : `${FALLBACK_REPLY_LOCAL_PART}+${tag}`}@${domain}`;
};

/**
 * The message a reply without `replyTo` answers, among the newest messages (newest first): the
 * newest one a person of the customer wrote. An auto-reply or a bounce is no such message: threaded
 * under one, the answer would take its subject ("Automatic reply: …", "Undelivered Mail Returned to
 * Sender") and answer the machine. Without one, the newest mail of the business in the conversation
 * that names its Message-ID (its copy of a mail sent outside the hub, which may have opened the
 * conversation; the hub's own sends are recorded without), so the answer follows it in the
 * customer's thread; until 2026-12-07 such a reply went with a generic subject and no references
 * (found by a review). Only when the newest messages hold nothing else is the newest machine mail
 * answered, which keeps the reply in the thread at least.
 */
export const newestAnswerable = (newestFirst: readonly Message[]): Message | undefined => {
  const mail = newestFirst.filter((message) => message.email !== undefined);
  const inbound = mail.filter((message) => message.direction === 'inbound');
  return (
    inbound.find((message) => !isMachineEmail(message.email)) ??
    // Only a mail with its Message-ID gives a reply something to thread on: a business copy has one,
    // the hub's own sends are recorded without.
    mail.find(
      (message) =>
        message.direction === 'outbound' &&
        message.email?.messageIdHeader !== undefined &&
        !isMachineEmail(message.email),
    ) ??
    inbound[0]
  );
};

export const emailThreadFor = (input: {
  readonly conversation: ConversationState;
  /** The customer's message answered: the one the command names, else the newest from the customer. */
  readonly answered: Message | undefined;
  readonly subject: string | undefined;
  readonly replyTagKey: string;
}): NonNullable<SendPlan['email']> => {
  const { conversation, answered } = input;
  const details = answered?.email;
  const theirSubject = details?.subject ?? '';
  // Bounded, the helpdesk's too: a header line holds at most 998 octets (replySubject).
  const subject = replySubject(
    input.subject ??
      (theirSubject === ''
        ? 'Re: your message'
        : isReply(theirSubject)
          ? theirSubject
          : `Re: ${theirSubject}`),
  );
  const references = [
    ...(details?.references ?? []),
    ...(details?.messageIdHeader ? [details.messageIdHeader] : []),
  ];
  return {
    from: conversation.endpoint.id,
    replyTo: replyAddressFor(conversation.endpoint.id, conversation.conversationId, input.replyTagKey),
    subject,
    ...(details?.messageIdHeader ? { inReplyTo: details.messageIdHeader } : {}),
    references: boundedReferences([...new Set(references)]),
  };
};

/** The hub's own Message-ID of one provider message: unique, and the domain is the sender's. */
export const messageIdHeaderFor = (correlationId: string, fromAddress: string): string =>
  `${correlationId}@${fromAddress.slice(fromAddress.lastIndexOf('@') + 1)}`;
