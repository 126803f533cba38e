import { buildEvent } from '#shared/contract/build.ts';
import { canonicalJson, eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import type { ResolvedContact } from './contacts.ts';
import { CHANNEL, type ChangeContext, PROVIDER } from './context.ts';
import { withoutUndefined } from './without-undefined.ts';

/**
 * Keeps something the adapter cannot normalize as a `switchboard.provider.unsupported` event with
 * the item exactly as parsed, so nothing Meta sent is lost. The id hashes the raw item (keys
 * sorted), scoped to the account, the business number (an item need not name it: the same customer's
 * item can come to two numbers) and the provider's type name; or, for an item that carries no id or
 * time of its own, its `occurrence` in the request (occurrenceParts in ./context.ts). Its source and
 * subject name the business number, or without one the account (`switchboard:whatsapp:<WABA id>`).
 */
export const unsupportedEvent = (args: {
  readonly providerType: string;
  readonly raw: unknown;
  readonly receivedAt: string;
  readonly context?: ChangeContext | undefined;
  readonly resolved?: ResolvedContact | undefined;
  readonly providerTimestamp?: string | null | undefined;
  readonly occurrence?: readonly string[] | undefined;
}): HubEvent =>
  buildEvent(
    'switchboard.provider.unsupported',
    eventIdFor(
      CHANNEL,
      'unsupported',
      args.context?.accountId ?? '',
      args.context?.endpoint?.id ?? '',
      args.providerType,
      ...(args.occurrence ?? [canonicalJson(args.raw)]),
    ),
    withoutUndefined({
      channel: CHANNEL,
      provider: PROVIDER,
      endpoint: args.context?.endpoint,
      contact: args.resolved?.contact,
      conversationId: args.resolved?.conversationId,
      providerTimestamp: args.providerTimestamp ?? null,
      receivedAt: args.receivedAt,
      providerType: args.providerType,
      raw: args.raw,
    }),
    // A notice about the account (account_update, template status…) names no number: its source
    // and subject name the WhatsApp Business Account (`entry.id`).
    args.context?.endpoint?.id ?? args.context?.accountId,
  );
