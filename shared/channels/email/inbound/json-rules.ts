import * as v from 'valibot';
import { issuePaths } from '#shared/validation/schema.ts';

/*
 * Rules the e-mail providers' JSON schemas share, where valibot's own schemas take other input
 * than these schemas accept: valibot's object and record schemas take an array as an object keyed
 * by its indices, its record skips the `constructor` and `prototype` keys, and its `number()` takes
 * ±Infinity, which `JSON.parse` makes of `1e999`.
 */

/** A JSON object: not null, not an array. */
const isJsonObject = (input: unknown): input is Record<string, unknown> =>
  typeof input === 'object' && input !== null && !Array.isArray(input);

const JsonObjectSchema = v.custom<Record<string, unknown>>(isJsonObject, 'Invalid type: Expected Object');

/** `v.looseObject` that refuses an array. */
export const looseObject = <const TEntries extends v.ObjectEntries>(entries: TEntries) =>
  v.pipe(JsonObjectSchema, v.looseObject(entries));

/**
 * A record of string keys: every own key but `__proto__`, in order, each value checked and kept
 * (valibot's `record` also skips `constructor` and `prototype`, and takes an array).
 */
export const record = <const TValue extends v.GenericSchema>(value: TValue) =>
  v.pipe(
    JsonObjectSchema,
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const output: Record<string, v.InferOutput<TValue>> = {};
      for (const key of Object.keys(dataset.value)) {
        if (key === '__proto__') continue;
        const entry = v.safeParse(value, dataset.value[key]);
        if (!entry.success) {
          addIssue({ message: 'Invalid record value', expected: value.expects });
          return NEVER;
        }
        output[key] = entry.output;
      }
      return output;
    }),
  );

/** A finite number (`v.number()` takes ±Infinity). */
export const finite = () => v.pipe(v.number(), v.finite());

/**
 * `v.parse` whose error names where each issue is and what was expected, never the value: the
 * events these parse come from AWS, and a malformed one is a deployment error the log must explain.
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
    .map(
      (issue, index) =>
        `${paths[index]}: expected ${issue.type === 'custom' ? 'Object' : (issue.expected ?? issue.type)}`,
    )
    .join('; ');
  throw error;
};
