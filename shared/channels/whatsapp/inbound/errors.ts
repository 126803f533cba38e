import { cutText } from '#shared/channels/provider-text.ts';
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

/** The text cut to `maxUnits`, when there is one. */
const cutOptional = (text: string | undefined, maxUnits: number): string | undefined =>
  text === undefined ? undefined : cutText(text, maxUnits);

/**
 * The first `maxItems` of Meta's errors, each of their texts cut to `maxText`: for a part, which
 * the contract bounds (a call's errors), where a message's or a status's errors are kept whole.
 */
export const boundedProviderErrors = (
  items: readonly ProviderErrorItem[] | undefined,
  maxItems: number,
  maxText: number,
): ProviderError[] | undefined =>
  providerErrors(items?.slice(0, maxItems))?.map((error) =>
    withoutUndefined({
      code: cutText(error.code, maxText),
      title: cutOptional(error.title, maxText),
      message: cutOptional(error.message, maxText),
      details: cutOptional(error.details, maxText),
    }),
  );
