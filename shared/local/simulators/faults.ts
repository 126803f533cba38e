import { z } from 'zod';
import { SIMULATED_PROVIDERS, type SimulatedProvider } from './types.ts';

/**
 * Faults make a simulated provider misbehave the way the real one can, so the hub's exactly-once
 * and error handling can be exercised locally. A fault matches requests of one provider, optionally
 * only those to one recipient, optionally only the next `times` of them; the first match wins.
 */
const delayMs = z.int().min(0).max(600_000);

const matchFields = {
  provider: z.enum(SIMULATED_PROVIDERS),
  /** Only requests addressed to this recipient (phone number, PSID, e-mail address; case-insensitive). */
  recipient: z.string().min(1).max(320).optional(),
  /** Only the next N matching requests; for ever (until cleared) when absent. */
  times: z.int().min(1).max(1_000_000).optional(),
};

const FaultVariants = z.discriminatedUnion('kind', [
  /** Accept the send (ids, status webhooks as usual) but hold the answer for `delayMs` (35 s), then close. */
  z.strictObject({ ...matchFields, kind: z.literal('accept_then_timeout'), delayMs: delayMs.optional() }),
  /** The provider's own throttling answer. */
  z.strictObject({ ...matchFields, kind: z.literal('throttle') }),
  /** A provider error: Graph/Twilio codes as numbers, SES error types as names, Mailgun HTTP statuses. */
  z.strictObject({
    ...matchFields,
    kind: z.literal('error'),
    code: z.union([z.int().min(1), z.string().regex(/^[A-Za-z]{1,64}$/)]),
    subcode: z.int().min(1).optional(),
    message: z.string().min(1).max(1000).optional(),
  }),
  /** HTTP 500 or 503 with a provider-looking body; nothing sent. */
  z.strictObject({
    ...matchFields,
    kind: z.literal('server_error'),
    status: z.union([z.literal(500), z.literal(503)]).optional(),
  }),
  /** Answer normally, after `delayMs`. */
  z.strictObject({ ...matchFields, kind: z.literal('slow'), delayMs }),
  /** Accept the send, then report that delivery failed. */
  z.strictObject({
    ...matchFields,
    kind: z.literal('delivery_failed'),
    /** WhatsApp error code (default 131026), Twilio ErrorCode (default 30003). */
    code: z.int().min(1).optional(),
    /** Twilio's final status (default `undelivered`). */
    twilioStatus: z.enum(['undelivered', 'failed']).optional(),
    /** The SES event reporting it (default `Bounce`). */
    sesEvent: z.enum(['Bounce', 'Complaint', 'DeliveryDelay', 'Reject']).optional(),
    /** Mailgun's severity (default `permanent`); SES bounce type follows it too. */
    severity: z.enum(['permanent', 'temporary']).optional(),
  }),
  /** WhatsApp media: the id (and any download URL of it) no longer resolves. */
  z.strictObject({ ...matchFields, kind: z.literal('expired_media'), mediaId: z.string().min(1).optional() }),
  /** WhatsApp media: the download answers bytes whose sha256 differs from the one announced. */
  z.strictObject({
    ...matchFields,
    kind: z.literal('checksum_mismatch'),
    mediaId: z.string().min(1).optional(),
  }),
]);

const MEDIA_KINDS: ReadonlySet<string> = new Set(['expired_media', 'checksum_mismatch']);

export const FaultSchema = FaultVariants.superRefine((fault, issues) => {
  const problem = (message: string) => issues.addIssue({ code: 'custom', message });
  if (MEDIA_KINDS.has(fault.kind) && fault.provider !== 'whatsapp') {
    problem(`${fault.kind} applies to whatsapp media only`);
  }
  if (fault.kind === 'error') {
    if (fault.provider === 'ses' && typeof fault.code !== 'string') {
      problem('an ses error code is an error type name such as MessageRejected');
    }
    if (fault.provider !== 'ses' && typeof fault.code !== 'number') {
      problem(`a ${fault.provider} error code is a number`);
    }
    if (
      fault.provider === 'mailgun' &&
      typeof fault.code === 'number' &&
      (fault.code < 400 || fault.code > 599)
    ) {
      problem('a mailgun error code is an HTTP status (400–599)');
    }
  }
  if (fault.kind === 'delivery_failed') {
    if (fault.twilioStatus && fault.provider !== 'twilio') problem('twilioStatus applies to twilio only');
    if (fault.sesEvent && fault.provider !== 'ses') problem('sesEvent applies to ses only');
  }
});

export const FaultListSchema = z.array(FaultSchema).max(100);
export type Fault = z.infer<typeof FaultVariants>;

/** What a handler knows about a request when it asks for a fault. */
export interface FaultMatch {
  readonly provider: SimulatedProvider;
  /** `send`: a message endpoint; `media`: a WhatsApp media lookup or download. */
  readonly operation: 'send' | 'media';
  readonly recipients?: readonly string[];
  readonly mediaId?: string;
  /** Only faults of these kinds (a media lookup can expire, only a download can be corrupted). */
  readonly kinds?: readonly Fault['kind'][];
}

const matches = (fault: Fault, match: FaultMatch): boolean => {
  if (fault.provider !== match.provider) return false;
  if (match.kinds && !match.kinds.includes(fault.kind)) return false;
  if (MEDIA_KINDS.has(fault.kind) !== (match.operation === 'media')) return false;
  if ('mediaId' in fault && fault.mediaId !== undefined && fault.mediaId !== match.mediaId) return false;
  if (fault.recipient === undefined) return true;
  const wanted = fault.recipient.toLowerCase();
  return (match.recipients ?? []).some((recipient) => recipient.toLowerCase() === wanted);
};

export interface ArmedFault {
  readonly fault: Fault;
  readonly remaining: number | undefined;
}

/** The active faults, in order; `times` counted down as they are used. */
export class FaultBook {
  #entries: { fault: Fault; remaining: number | undefined }[] = [];

  replace(faults: readonly Fault[]): void {
    this.#entries = faults.map((fault) => ({ fault, remaining: fault.times }));
  }

  /** Adds one after those already armed, leaving their counts as they are. */
  add(fault: Fault): void {
    this.#entries.push({ fault, remaining: fault.times });
  }

  /** Clears every fault, or only one provider's. */
  clear(provider?: SimulatedProvider): void {
    this.#entries = provider ? this.#entries.filter((entry) => entry.fault.provider !== provider) : [];
  }

  /** The armed faults, in order, with how many more requests each will shape (undefined: until cleared). */
  armed(): ArmedFault[] {
    return this.#entries.map((entry) => ({
      fault: structuredClone(entry.fault),
      remaining: entry.remaining,
    }));
  }

  take(match: FaultMatch): Fault | undefined {
    const index = this.#entries.findIndex((entry) => matches(entry.fault, match));
    const entry = this.#entries[index];
    if (!entry) return undefined;
    if (entry.remaining !== undefined) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.#entries.splice(index, 1);
    }
    return entry.fault;
  }
}
