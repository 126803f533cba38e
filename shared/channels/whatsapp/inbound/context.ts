import type { BusinessEndpoint } from '#shared/contract/types.ts';
import type { ContactDirectory } from './contacts.ts';

/**
 * Where a change sits in the request Meta sent: what identifies an item that carries no id or time
 * of its own (a value-level `errors[]` item), since nothing in the item tells one occurrence from
 * the next.
 */
export interface ChangeOccurrence {
  /** Hex SHA-256 of the exact body bytes, computed on first use: the same for every retry of the POST. */
  readonly bodyDigest: () => string;
  /** `<entry index>/<change index>` in the body. */
  readonly position: string;
  /**
   * Whether the body's bytes alone tell this change apart from any other: true when its value also
   * holds items with Meta's own ids and times (messages, statuses, echoes, preferences). A value of
   * errors only is byte-identical every time the same error recurs, so its receive time is added.
   */
  readonly bytesAreUnique: boolean;
}

/** What every item of one `entry × change` shares. */
export interface ChangeContext {
  /** WhatsApp Business Account id (`entry.id`). */
  readonly accountId: string;
  readonly field: string;
  /** Absent on fields that are not about one phone number (account_update, templates…). */
  readonly endpoint: BusinessEndpoint | undefined;
  readonly contacts: ContactDirectory;
  readonly receivedAt: string;
  readonly occurrence: ChangeOccurrence;
}

/** The parts of an event id naming one item of a change by its place in the request (see ChangeOccurrence). */
export const occurrenceParts = (context: ChangeContext, key: string, index: number): string[] => [
  context.occurrence.bodyDigest(),
  `${context.occurrence.position}/${key}/${index}`,
  context.occurrence.bytesAreUnique ? '' : context.receivedAt,
];

/** Common fields of every event this adapter builds. */
export const CHANNEL = 'whatsapp' as const;
export const PROVIDER = 'meta' as const;
