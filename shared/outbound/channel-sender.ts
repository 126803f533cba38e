import type { OutboundPart } from '#shared/contract/commands.ts';
import type {
  BusinessEndpoint,
  Channel,
  ChannelIdentity,
  Provider,
  ProviderError,
  SendFailureReason,
} from '#shared/contract/types.ts';

/*
 * What the sender core (shared/outbound/) asks of each provider's sending side
 * (`shared/channels/<channel>/outbound/`). The core decides policy (window, consent, deadline),
 * keeps the exactly-once bookkeeping and publishes the command's one outcome event; a channel
 * sender only turns parts into provider messages, makes the provider call and says what the
 * provider's answer means. It never throws for a provider's answer: every answer is an outcome.
 */

/** Where a conversation's replies go: the address it was opened with, never another identity of the contact. */
export interface SendTarget {
  readonly channel: Channel;
  readonly provider: Provider;
  readonly endpoint: BusinessEndpoint;
  /** The conversation's primary identity (its first), e.g. a wa_id, a PSID, an E.164 number, an address. */
  readonly recipient: ChannelIdentity;
  readonly conversationId: string;
}

/** E-mail threading for a reply: what the customer's client needs to put it in the same thread. */
export interface EmailThreading {
  /** The business address the customer wrote to: the reply comes from it. */
  readonly from: string;
  /** `reply+<signed tag>@…`: answers to it come back to this conversation. */
  readonly replyTo: string;
  readonly subject: string;
  /** Message-ID of the message answered (without angle brackets). */
  readonly inReplyTo?: string;
  /** The thread's Message-IDs, oldest first (without angle brackets). */
  readonly references: readonly string[];
  /** The hub's own Message-ID for this message (without angle brackets); listed in References too, since SES rewrites Message-ID. */
  readonly messageId: string;
  /**
   * The command's sender is a bot or the system, not a person (`sender.kind`): the reply is marked
   * an automatic response, so the customer's auto-responders do not answer it (RFC 3834). Read from
   * the command at each call, never from the clock, so a redelivery builds the same MIME.
   */
  readonly automatic?: boolean;
}

/** What a channel may send now, as the core decided it before preparing the parts. */
export interface SendPolicy {
  /** Inside the provider's customer-service window (or the channel has none; Messenger's after an ad lasts 7 days). Outside it, templates only. */
  readonly withinWindow: boolean;
  /** Messenger: outside the window but inside 7 days of the customer's last message, a human agent's reply goes with the HUMAN_AGENT tag. */
  readonly humanAgentTag: boolean;
}

/** A payload-bucket file a media part names (`source.s3Key`), as S3 described it when the command was claimed. */
export interface StoredMediaFacts {
  /**
   * The file's key: the command is not stored, so this is how erasure finds a file that only a
   * send named (one that failed leaves no message record). Absent from plans made before it was kept.
   */
  readonly s3Key?: string;
  readonly bytes: number;
  /** The part's `mimeType` when it gave one, else the type the object was stored with. */
  readonly contentType: string;
  /**
   * The name the file was uploaded under (the object's own `Content-Disposition`), kept only for a
   * part that gives no `filename`: the name it goes out under then.
   */
  readonly filename?: string;
}

/** The stored files of a command's media parts, by part index (`"0"`, `"1"`…). */
export type StoredMedia = Readonly<Record<string, StoredMediaFacts>>;

/** A file attached to an e-mail, read from the payload bucket just before the call. */
export interface AttachedFile {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Uint8Array;
}

/** One provider message a command's parts became (a long text may become several), in sending order. */
export interface PreparedMessage {
  /** The command part it comes from. */
  readonly partIndex: number;
  readonly part: OutboundPart;
  /** E-mail: the media parts (by index) sent as attachments of this one message. */
  readonly attachParts?: readonly number[];
  /**
   * Set by the core just before the call, never by prepare: the WhatsApp media id a stored file was
   * uploaded as, or the files an e-mail attaches. A stored file a provider fetches itself (Twilio,
   * Messenger) reaches the sender as a presigned HTTPS `source.url` instead.
   */
  readonly uploadedMediaId?: string;
  /**
   * With `uploadedMediaId`: the name the file was uploaded under (the part's `filename`, else the
   * name it was uploaded to the hub under, else its key's last segment). WhatsApp shows a document
   * under the message's own `filename` only, never under a name given at upload, so the message
   * names it again.
   */
  readonly uploadedFilename?: string;
  readonly attachments?: readonly AttachedFile[];
}

/** A stored file to upload to a provider's media endpoint, streamed from the payload bucket. */
export interface MediaUpload {
  readonly contentType: string;
  readonly bytes: number;
  readonly filename: string;
  readonly body: () => Promise<ReadableStream<Uint8Array>>;
  /**
   * How long the upload may take: the invocation's time to spare (shared/outbound/send-command.ts),
   * never the message calls' provider timeout. SENDER.maxUploadMs when absent.
   */
  readonly timeoutMs?: number;
}

export type Prepared =
  | { readonly ok: true; readonly messages: readonly PreparedMessage[] }
  | {
      readonly ok: false;
      readonly reason: Extract<
        SendFailureReason,
        'content_invalid' | 'template_invalid' | 'window_closed' | 'recipient_invalid'
      >;
      /**
       * The command field refused, e.g. `parts.1.buttons`; `conversationId` when the conversation's
       * address is one the provider cannot send to (`recipient_invalid`).
       */
      readonly field: string;
      /** Why, in words safe to log and to show: never the customer's text. */
      readonly detail: string;
    };

/** Everything one provider call needs besides the message. */
export interface MessageContext {
  readonly target: SendTarget;
  readonly hubMessageId: string;
  /** Position of this provider message among the command's, from 0. */
  readonly sequence: number;
  /**
   * Sent with the message where the provider echoes it back (WhatsApp `biz_opaque_callback_data`,
   * Messenger `metadata`, a query parameter of Twilio's `StatusCallback`, SES tags, Mailgun
   * variables): `<hubMessageId>.<sequence>`, so a status or echo says which hub message it is of.
   */
  readonly correlationId: string;
  /** The provider message answered; set on the first provider message only. */
  readonly replyTo?: string;
  readonly policy: SendPolicy;
  /** Twilio: where its status callbacks for this message go (the hub's webhook, with the correlation id). */
  readonly statusCallbackUrl?: string;
  /**
   * The command's `deadline`, when it gave one: the hub calls no provider after it, and a provider
   * that holds messages in a queue of its own is told to drop this one then (Twilio's `ValidityPeriod`).
   */
  readonly deadline?: string;
  readonly email?: EmailThreading;
}

/**
 * A provider's own rule for how long a message it throttled waits, where its code says more than
 * "too fast" (WhatsApp's 131056, one user's pair rate): at least `minMs · factor^n`, n being the
 * message's earlier waits. Decided by the channel's classifier, which knows the code.
 */
export interface ThrottleBackoff {
  readonly minMs: number;
  readonly factor: number;
}

export type SendOutcome =
  /** The provider took the message and named it. */
  | { readonly kind: 'accepted'; readonly providerMessageId: string }
  /**
   * The provider refused it for good, or for now (`retryable`: the hub tries it again after a
   * backoff, as a throttle): nothing was sent.
   */
  | {
      readonly kind: 'refused';
      readonly reason: SendFailureReason;
      readonly retryable: boolean;
      /**
       * With `retryable`: a later try may pass, but not one within the minutes the hub would wait
       * (a limit Meta lifts after hours, WhatsApp's 131048 and 131049, and asks not to retry soon).
       * The command ends at once, retryable, and the helpdesk decides when to send again; the
       * conversation's later commands are not held behind it.
       */
      readonly retryLater?: true;
      readonly error: ProviderError;
    }
  /**
   * Too fast: nothing was sent; try again after a while (at least `retryAfterMs` when the provider
   * named a wait, and at least what `backoff` says when its code has a rule of its own).
   */
  | {
      readonly kind: 'throttled';
      readonly retryAfterMs?: number;
      readonly backoff?: ThrottleBackoff;
      readonly error: ProviderError;
    }
  /**
   * The request never left (the connection was refused, the provider's name did not resolve):
   * nothing was sent. Not the provider asking for patience: tried again a few times, then a
   * `provider_error` (a network or configuration fault), never `rate_limited`.
   */
  | { readonly kind: 'unreachable'; readonly error: ProviderError }
  /**
   * The credentials were refused (expired or revoked token), or the business account behind the
   * endpoint cannot send at all (WhatsApp: locked, the number not registered): nothing was sent;
   * stop sending for this endpoint.
   */
  | { readonly kind: 'credentials'; readonly error: ProviderError }
  /** No answer or a server error: the message may have gone out. Never resent blindly. */
  | { readonly kind: 'ambiguous'; readonly error: ProviderError };

export interface ChannelSender {
  readonly provider: Provider;
  /**
   * Checks the parts against the channel's limits and turns them into provider messages, in order. Pure.
   * `target`, when given, lets a channel apply an endpoint's own limits (an Instagram account's text
   * is 1,000 UTF-8 bytes, a Facebook page's 2,000 characters); without it a channel applies the
   * strictest of its endpoints'.
   */
  prepare(
    parts: readonly OutboundPart[],
    policy: SendPolicy,
    target?: SendTarget,
    stored?: StoredMedia,
  ): Prepared;
  /**
   * Channels whose provider takes files by upload (WhatsApp): uploads a stored file before the
   * message that names it is sent, and says the provider's media id. Nothing reaches the customer
   * by it, so a failure is any outcome but `accepted`/`ambiguous` meaning nothing was sent. Without
   * it, stored files go to the provider as presigned URLs (or, for e-mail, as attachments).
   */
  uploadMedia?(target: SendTarget, file: MediaUpload): Promise<{ readonly mediaId: string } | SendOutcome>;
  /** Makes the provider call for one prepared message. Never throws for what the provider answers. */
  send(message: PreparedMessage, context: MessageContext): Promise<SendOutcome>;
  /**
   * Whether no status or echo can ever name `message` once it went (a Messenger or Instagram
   * reaction: a sender action, sent without `metadata` and never echoed). A call of it that went
   * unanswered ends `outcome_unknown` once the delivery that made it cannot still be running
   * (SendLimits.attemptLifetimeMs) instead of after the outcome wait, which could learn nothing, so
   * the conversation's later commands do not wait behind it.
   */
  untraceable?(message: PreparedMessage): boolean;
  /** Marks the customer's messages read up to `providerMessageId` (best effort). */
  markRead?(target: SendTarget, providerMessageId: string): Promise<SendOutcome>;
  /**
   * Shows a typing indicator (best effort). The customer's newest message is looked up and passed
   * only to a sender whose indicator answers one (`typingAnswersInbound`); others get undefined.
   */
  typing?(target: SendTarget, lastInboundProviderMessageId: string | undefined): Promise<SendOutcome>;
  /** WhatsApp: typing is shown in answer to a received message, named by its provider id. */
  readonly typingAnswersInbound?: boolean;
}

/** `<hubMessageId>.<sequence>`: how a status or an echo names the hub message it is of. */
export const correlationIdFor = (hubMessageId: string, sequence: number): string =>
  `${hubMessageId}.${sequence}`;

const CORRELATION_ID = /^(msg_[0-9a-f]{32})\.(\d{1,2})$/;

/** The hub message and sequence a correlation id names, when it is one of the hub's. */
export const parseCorrelationId = (
  value: string | undefined,
): { hubMessageId: string; sequence: number } | undefined => {
  const match = value === undefined ? null : CORRELATION_ID.exec(value);
  return match ? { hubMessageId: match[1] as string, sequence: Number(match[2]) } : undefined;
};
