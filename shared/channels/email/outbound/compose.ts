import type { MessageContext, PreparedMessage, SendOutcome } from '#shared/outbound/channel-sender.ts';
import { buildReplyMime } from './mime.ts';
import { type EmailProvider, emailRecipientFor } from './prepare.ts';

/** The reply ready for either provider: its raw MIME and its one recipient (a domain in ASCII). */
export interface ComposedEmail {
  readonly raw: Buffer;
  readonly to: string;
}

const refused = (code: string, title: string): SendOutcome => ({
  kind: 'refused',
  reason: 'provider_error',
  retryable: false,
  error: { code, title },
});

const unaddressable = (code: string, title: string): SendOutcome => ({
  kind: 'refused',
  reason: 'recipient_invalid',
  retryable: false,
  error: { code, title },
});

/**
 * The checks and the MIME both e-mail senders share. What fails here is the hub's own input (no
 * threading, an address that is not one address), refused before any call, in words without the
 * address itself. The address goes as the prepare's rule writes it (emailRecipientFor), which the
 * prepare has already checked for a command accepted since that rule came in.
 */
export const composeEmail = async (
  provider: EmailProvider,
  message: PreparedMessage,
  context: MessageContext,
  now: () => Date,
): Promise<ComposedEmail | SendOutcome> => {
  const { target, email } = context;
  if (target.channel !== 'email' || target.provider !== provider) {
    return refused(
      'switchboard.wrong_sender',
      `an e-mail sender for ${provider} was given another conversation`,
    );
  }
  if (email === undefined) return refused('switchboard.email_threading_missing', 'no e-mail threading given');
  if (target.recipient.type !== 'email') {
    return unaddressable('switchboard.recipient_unaddressable', 'the contact has no e-mail address');
  }
  const recipient = emailRecipientFor(provider, target.recipient.value);
  if (!recipient.ok) return unaddressable('switchboard.recipient_unsendable', recipient.detail);
  if (message.part.type !== 'text') {
    return refused('switchboard.not_prepared', 'an e-mail is sent from the one text its prepare made');
  }
  if ((message.attachParts?.length ?? 0) !== (message.attachments?.length ?? 0)) {
    return refused('switchboard.attachments_not_read', 'the files to attach were not read before the call');
  }
  const mime = await buildReplyMime({
    email,
    to: recipient.address,
    text: message.part.text,
    ...(message.part.html !== undefined ? { html: message.part.html } : {}),
    date: now(),
    ...(message.attachments ? { attachments: message.attachments } : {}),
  });
  if (!mime.ok) return refused('switchboard.email_invalid', mime.problem);
  return { raw: mime.raw, to: recipient.address };
};

export const isComposed = (value: ComposedEmail | SendOutcome): value is ComposedEmail => 'raw' in value;
