import * as v from 'valibot';

/**
 * What the hub's valibot schemas share. Provider payloads, the runtime configuration, the channel
 * secret and the other inputs a webhook reads are valibot schemas (see the README's cold-start
 * section: zod, even `zod/mini`, was two fifths of a webhook's import); the contract, the helpdesk
 * API and the store keep classic zod, which they need for JSON Schema and OpenAPI.
 */

/**
 * A schema built on its first parse and kept. valibot's own `lazy` calls its getter on every parse
 * (it is made for recursive schemas), so the getter here returns the one schema it built: a cold
 * start builds only what its first request reads, and a warm parse builds nothing. A schema may
 * refer to one declared further down its file, as it is only built when first used.
 */
export const lazily = <TSchema extends v.GenericSchema>(build: () => TSchema): v.LazySchema<TSchema> => {
  let built: TSchema | undefined;
  return v.lazy(() => {
    built ??= build();
    return built;
  });
};

const TAB_OR_NEWLINE = /[\t\n\r]/g;

/**
 * A URL string that the WHATWG parser accepts, trimmed and without tabs or line breaks (which the
 * parser drops anyway): what the hub used to accept and output, so a stored URL never changes.
 */
export const url = () =>
  v.pipe(
    v.string(),
    v.trim(),
    v.check((value) => URL.canParse(value)),
    v.transform((value) => value.replace(TAB_OR_NEWLINE, '')),
  );

/** A safe integer (what a JSON number may be as an id, a count, a limit). */
export const int = () => v.pipe(v.number(), v.safeInteger());

/** A finite number from a number or a numeric string (`Number(value)`, NaN and ±Infinity refused). */
export const finiteNumber = () => v.pipe(v.unknown(), v.transform(Number), v.number(), v.finite());

/** Where each issue is, as dotted paths (`meta.appSecret`), `(root)` for the input itself: never values. */
export const issuePaths = (issues: readonly v.BaseIssue<unknown>[]): string[] =>
  issues.map((issue) => issue.path?.map((item) => String(item.key)).join('.') || '(root)');
