import { DELIVERY_STATUS_RANK, type DeliveryStatus } from '#shared/contract/index.ts';

/** One digit per rank (0–5), so the string order is the rank order. */
export const statusOrder = (status: DeliveryStatus): string => String(DELIVERY_STATUS_RANK[status]);
