import type { ProviderError } from '#shared/contract/types.ts';
import type { ProviderErrorItem } from './schema.ts';
import { withoutUndefined } from './without-undefined.ts';

/** Meta's `{code, title, message, error_data{details}}` in the contract's form (code as a string). */
export const providerError = (item: ProviderErrorItem): ProviderError =>
  withoutUndefined({
    code: item.code,
    title: item.title,
    message: item.message,
    details: item.error_data?.details,
  });

export const providerErrors = (
  items: readonly ProviderErrorItem[] | undefined,
): ProviderError[] | undefined => (items && items.length > 0 ? items.map(providerError) : undefined);
