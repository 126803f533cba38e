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
