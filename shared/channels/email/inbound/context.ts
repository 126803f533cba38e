/** What the transport knows about an inbound e-mail besides its MIME. */
export interface InboundEmailContext {
  readonly provider: 'ses' | 'mailgun';
  /** When the hub received it; becomes `receivedAt`. */
  readonly receivedAt: Date;
  /** SMTP RCPT TO: the business inbound address(es) the message was delivered to. */
  readonly envelopeRecipients: readonly string[];
  /**
   * Domains the hub receives every address of (SES: its receipt rule takes the inbound domain
   * whole): a mail From any address there is the business writing, a copy of an agent's answer.
   * Mailgun names none (a route may take a few addresses of a domain): only the mail's own
   * recipients are the business's there.
   */
  readonly ownDomains?: readonly string[] | undefined;
  /** SMTP MAIL FROM; the contact's address only when the message names no sender at all. */
  readonly envelopeSender?: string | undefined;
  /**
   * The From header as the transport read it apart from the MIME (the SES receipt's
   * `commonHeaders.from`, Mailgun's `from` field): who sent mail the hub cannot read itself.
   */
  readonly headerFrom?: string | undefined;
  /** Spam, virus and authentication verdicts of the receiving service. */
  readonly verdicts?: Readonly<Record<string, string>> | undefined;
  /** Where the raw MIME already is (the SES S3 object key, or the blob the Mailgun handler stores). */
  readonly rawMimeKey?: string | undefined;
  /** The channel secret's `email.replyTagKey`: only `reply+<tag>@` tags signed with it place a message. */
  readonly replyTagKey?: string | undefined;
}
