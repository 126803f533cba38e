import * as v from 'valibot';
import { parseUrl } from './uri.ts';

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

/** A string of at least one character (ids, types, keys): built where it is used, like every schema here. */
export const nonEmptyString = () => v.pipe(v.string(), v.minLength(1));

export const isRecord = (input: unknown): input is Record<string, unknown> =>
  typeof input === 'object' && input !== null && !Array.isArray(input);

/**
 * What the hub's own checks expect, in words written here: parseOrThrow prints them (valibot's
 * default messages quote the value received, so a failed check without one reads `expected a
 * valid value`).
 */
const DESCRIPTIONS = new Set<string>();

const described = (description: string): string => {
  DESCRIPTIONS.add(description);
  return description;
};

/** `v.check` whose failure parseOrThrow reports as `expected <description>`. */
export const checked = <TInput>(test: (input: TInput) => boolean, description: string) =>
  v.check<TInput, string>(test, described(description));

/** A JSON object, never an array: valibot's object schemas take arrays, zod's refused them. */
const aRecord = v.custom<Record<string, unknown>>(isRecord, described('Object'));

/** An object whose every field is checked, unknown ones dropped; an array is refused. */
export const object = <const TEntries extends v.ObjectEntries>(entries: TEntries) =>
  v.pipe(aRecord, v.object(entries));

/** An object with only the named fields; an array is refused. */
export const strictObject = <const TEntries extends v.ObjectEntries>(entries: TEntries) =>
  v.pipe(aRecord, v.strictObject(entries));

/** Own keys valibot's loose object leaves out of its output; zod kept them (`__proto__` neither). */
const KEYS_VALIBOT_DROPS = ['constructor', 'prototype'];

/**
 * A loose object: the named fields checked, every other field kept as sent (providers add fields;
 * an unsupported item's `raw` is often the parsed copy). As zod's was: an array is refused, and a
 * field named `constructor` or `prototype` is kept in its place (valibot's would drop it).
 */
export const looseObject = <const TEntries extends v.ObjectEntries>(
  entries: TEntries,
): v.LooseObjectSchema<TEntries, undefined> => {
  const schema = v.looseObject(entries);
  const run = schema['~run'].bind(schema);
  type Run = (typeof schema)['~run'];
  const guarded: Run = (dataset, config) => {
    const input = dataset.value;
    if (!isRecord(input)) return aRecord['~run'](dataset, config) as ReturnType<Run>;
    const result = run(dataset, config);
    if (
      result.typed &&
      KEYS_VALIBOT_DROPS.some((key) => Object.hasOwn(input, key) && !Object.hasOwn(entries, key))
    ) {
      const parsed = result.value as Record<string, unknown>;
      const kept: Record<string, unknown> = {};
      for (const key of Object.keys(parsed)) if (Object.hasOwn(entries, key)) kept[key] = parsed[key];
      for (const key of Object.keys(input))
        if (!Object.hasOwn(entries, key) && key !== '__proto__') kept[key] = input[key];
      result.value = kept as typeof result.value;
    }
    return result;
  };
  return Object.assign(schema, { '~run': guarded });
};

/**
 * A record of string keys, as zod's was: every own key but `__proto__`, in order, each value checked
 * and kept; an array refused (valibot's `record` also skips `constructor` and `prototype` keys).
 * Each wrong value's issues are reported under its key (`accessTokens.1002`), every wrong key listed.
 */
export const record = <const TValue extends v.GenericSchema>(value: TValue) =>
  v.pipe(
    aRecord,
    v.rawTransform(({ dataset, config, addIssue, NEVER }) => {
      const input = dataset.value;
      const output: Record<string, v.InferOutput<TValue>> = {};
      let failed = false;
      for (const key of Object.keys(input)) {
        if (key === '__proto__') continue;
        const entry = value['~run']({ value: input[key] }, config as v.Config<v.BaseIssue<unknown>>);
        if (entry.issues) {
          failed = true;
          const item: v.ObjectPathItem = { type: 'object', origin: 'value', input, key, value: input[key] };
          for (const issue of entry.issues)
            addIssue({
              ...issue,
              label: 'record value',
              // A check's description (checked) stays what is expected, not the record value's type.
              expected: issue.expected ?? (DESCRIPTIONS.has(issue.message) ? issue.message : value.expects),
              path: [item, ...(issue.path ?? [])] as [v.ObjectPathItem, ...v.IssuePathItem[]],
            });
          if (config.abortEarly) break;
          continue;
        }
        output[key] = entry.value as v.InferOutput<TValue>;
      }
      return failed ? NEVER : output;
    }),
  );

/** The path items of `keys` walked down from `input`, as valibot reports an issue's place. */
const pathItems = (input: unknown, keys: readonly (string | number)[]): v.IssuePathItem[] => {
  const items: v.IssuePathItem[] = [];
  let at: unknown = input;
  for (const key of keys) {
    const value =
      isRecord(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[key] : undefined;
    items.push(
      Array.isArray(at) && typeof key === 'number'
        ? { type: 'array', origin: 'value', input: at, key, value }
        : { type: 'object', origin: 'value', input: at as Record<string, unknown>, key: String(key), value },
    );
    at = value;
  }
  return items;
};

/**
 * A check of a whole value that fails at places inside it: `find` gives the keys down to each
 * wrong one, which parseOrThrow and issuePaths report as `<path>: expected <description>`. The
 * issue holds neither the value nor what is there (the description is all that is expected).
 */
export const checkedAt = <TInput>(
  find: (input: TInput) => Iterable<readonly (string | number)[]>,
  description: string,
) =>
  v.rawCheck<TInput>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const keys of find(dataset.value)) {
      const path = pathItems(dataset.value, keys);
      addIssue({
        input: null,
        expected: description,
        message: `expected ${description}`,
        ...(path.length > 0 ? { path: path as [v.IssuePathItem, ...v.IssuePathItem[]] } : {}),
      });
    }
  });

const TAB_OR_NEWLINE = /[\t\n\r]/g;

/**
 * A URL string that the WHATWG parser accepts, trimmed and without tabs or line breaks (which the
 * parser drops anyway): what the hub used to accept and output, so a stored URL never changes.
 */
export const url = () =>
  v.pipe(
    v.string(),
    v.trim(),
    checked((value: string) => parseUrl(value) !== undefined, 'a URL'),
    v.transform((value) => value.replace(TAB_OR_NEWLINE, '')),
  );

/** A JSON number: valibot's number takes the ±Infinity `JSON.parse` gives for `1e400`, zod's refused it. */
export const jsonNumber = () => v.pipe(v.number(), v.finite());

/** A safe integer (what a JSON number may be as an id, a count, a limit). */
export const int = () => v.pipe(v.number(), v.safeInteger());

/** A finite number from a number or a numeric string (`Number(value)`, NaN and ±Infinity refused). */
export const finiteNumber = () => v.pipe(v.unknown(), v.transform(Number), v.number(), v.finite());

/** Where each issue is, as dotted paths (`meta.appSecret`), `(root)` for the input itself: never values. */
export const issuePaths = (issues: readonly v.BaseIssue<unknown>[]): string[] =>
  issues.map((issue) => issue.path?.map((item) => String(item.key)).join('.') || '(root)');

/** valibot's `expected` (a type, a length), the description of one of our checks, never a message that could quote the value. */
const whatWasExpected = (issue: v.BaseIssue<unknown>): string => {
  if (issue.type === 'custom' || issue.type === 'check')
    return DESCRIPTIONS.has(issue.message) ? issue.message : 'a valid value';
  return issue.expected ?? issue.type;
};

/**
 * `v.parse` whose error names where each issue is and what was expected, never the value (valibot's
 * own messages quote what they received, which may be a customer's text or a secret). Its `issues`
 * hold the input, so they are kept out of the error's enumerable fields, as zod's were: the Lambda
 * runtime logs an uncaught error as JSON of every enumerable field, and `util.inspect` shows them.
 */
export const parseOrThrow = <const TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
): v.InferOutput<TSchema> => {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const error = new v.ValiError(result.issues);
  const paths = issuePaths(result.issues);
  error.message = result.issues
    .map((issue, index) => `${paths[index]}: expected ${whatWasExpected(issue)}`)
    .join('; ');
  Object.defineProperty(error, 'issues', { enumerable: false });
  throw error;
};
