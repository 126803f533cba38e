import { type DeliveryStatus, deliveryStatusRank } from '#shared/contract/index.ts';

/**
 * A status's register order on its channel: the rank as a string (`0`–`5`, and e-mail's `failed`
 * `3.5` for a failure its provider reports), whose string order is the rank order (`3` < `3.5` < `4`).
 */
export const statusOrder = (channel: string, status: DeliveryStatus, providerStatus?: string): string =>
  String(deliveryStatusRank(channel, status, providerStatus));
