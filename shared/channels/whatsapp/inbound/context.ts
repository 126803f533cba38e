import type { BusinessEndpoint } from '#shared/contract/types.ts';
import type { ContactDirectory } from './contacts.ts';

/** What every item of one `entry × change` shares. */
export interface ChangeContext {
  /** WhatsApp Business Account id (`entry.id`). */
  readonly accountId: string;
  readonly field: string;
  /** Absent on fields that are not about one phone number (account_update, templates…). */
  readonly endpoint: BusinessEndpoint | undefined;
  readonly contacts: ContactDirectory;
  readonly receivedAt: string;
}

/** Common fields of every event this adapter builds. */
export const CHANNEL = 'whatsapp' as const;
export const PROVIDER = 'meta' as const;

/**
 * Drops keys whose value is undefined so events serialize the same as their golden files. A loop,
 * not entries/filter/fromEntries: it runs several times per event.
 */
export const withoutUndefined = <T extends object>(value: T): T => {
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner === undefined) continue;
    // Defined, not assigned: a `__proto__` key stays data, as Object.fromEntries kept it.
    if (key === '__proto__') {
      Object.defineProperty(kept, key, {
        value: inner,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else kept[key] = inner;
  }
  return kept as T;
};
