import { z } from 'zod';

/*
 * A body limit sized from the body's schema, so the two cannot drift: the longest JSON text of a
 * body the schema's published form (its JSON Schema) accepts, with every character of every string,
 * keys included, escaped as `\uXXXX` (6 bytes, what Python's `json.dumps` writes for any non-ASCII
 * character; a character outside the BMP is two such escapes, and zod counts it as two), plus room
 * for whitespace. A schema whose longest body is unbounded (a string without `maxLength`, an array
 * without `maxItems`, an object open to other keys) has no limit to give: that throws (a test sizes
 * every operation's).
 */

/** Bytes of one character of a string at worst: `\uXXXX`. */
const ESCAPED_CHARACTER_BYTES = 6;

/** Room for whitespace between tokens (indentation, Python's `", "` and `": "`). */
export const BODY_WHITESPACE_BYTES = 1024;

type JsonSchema = Readonly<Record<string, unknown>>;

/** Keywords that only describe, or only narrow a value: they never make its JSON longer. */
const NARROWING = new Set([
  '$schema',
  'id',
  'title',
  'description',
  'examples',
  'default',
  'format',
  'pattern',
  'minLength',
  'minItems',
  'required',
]);

const KNOWN_BY_TYPE = new Set([
  'type',
  'maxLength',
  'minimum',
  'maximum',
  'items',
  'maxItems',
  'properties',
  'additionalProperties',
]);

/**
 * Beside a `type`, rules across fields (a PATCH's snooze pairing, its "something to change"): each
 * must hold as well as the type, so they only narrow it. Without a `type`, `anyOf` and `oneOf` are
 * alternatives (a union, a nullable).
 */
const NARROWING_BESIDE_TYPE = new Set(['anyOf', 'oneOf', 'allOf', 'if', 'then', 'else', 'not']);

const stringBytes = (length: number): number => 2 + ESCAPED_CHARACTER_BYTES * length;

const literalBytes = (value: unknown): number =>
  typeof value === 'string' ? stringBytes(value.length) : Buffer.byteLength(JSON.stringify(value), 'utf8');

const separated = (sizes: readonly number[]): number =>
  sizes.reduce((sum, size) => sum + size, 0) + Math.max(sizes.length - 1, 0);

const integerOf = (schema: JsonSchema, keyword: 'minimum' | 'maximum', where: string): number => {
  const bound = schema[keyword];
  if (typeof bound !== 'number' || !Number.isSafeInteger(bound)) {
    throw new Error(`${where}: an integer without ${keyword} has no longest form`);
  }
  return bound;
};

const longestOf = (root: JsonSchema) => {
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  const walk = (schema: JsonSchema, where: string): number => {
    if (typeof schema.$ref === 'string') {
      const target = defs[schema.$ref.replace('#/$defs/', '')];
      if (!target) throw new Error(`${where}: unresolved ${schema.$ref}`);
      return walk(target, `${where}→${schema.$ref}`);
    }
    if ('const' in schema) return literalBytes(schema.const);
    if (Array.isArray(schema.enum)) return Math.max(...schema.enum.map(literalBytes));
    const typed = schema.type !== undefined;
    const choices = (typed ? undefined : (schema.anyOf ?? schema.oneOf)) as readonly JsonSchema[] | undefined;
    if (choices) return Math.max(...choices.map((choice, index) => walk(choice, `${where}|${index}`)));
    for (const keyword of Object.keys(schema)) {
      const narrows = NARROWING.has(keyword) || (typed && NARROWING_BESIDE_TYPE.has(keyword));
      if (!narrows && !KNOWN_BY_TYPE.has(keyword)) {
        throw new Error(`${where}: keyword ${keyword} is not understood`);
      }
    }
    switch (schema.type) {
      case 'string':
        if (typeof schema.maxLength !== 'number') throw new Error(`${where}: a string without maxLength`);
        return stringBytes(schema.maxLength);
      case 'integer':
        return Math.max(
          ...[integerOf(schema, 'minimum', where), integerOf(schema, 'maximum', where)].map(literalBytes),
        );
      case 'boolean':
        return literalBytes(false);
      case 'null':
        return literalBytes(null);
      case 'array': {
        if (typeof schema.maxItems !== 'number') throw new Error(`${where}: an array without maxItems`);
        const item = walk(schema.items as JsonSchema, `${where}[]`);
        return 2 + separated(Array.from({ length: schema.maxItems }, () => item));
      }
      case 'object': {
        if (schema.additionalProperties !== false) throw new Error(`${where}: an object open to other keys`);
        const properties = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
        return (
          2 +
          separated(
            properties.map(([key, value]) => stringBytes(key.length) + 1 + walk(value, `${where}.${key}`)),
          )
        );
      }
      default:
        throw new Error(`${where}: type ${String(schema.type)} has no longest form here`);
    }
  };
  return walk(root, 'body');
};

/**
 * The longest JSON text of a body `schema` accepts as a request (its input), every character of
 * every string escaped, without whitespace.
 */
export const longestBodyBytes = (schema: z.ZodType): number =>
  longestOf(z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema);

const limits = new WeakMap<z.ZodType, number>();

/** A body limit: `bytes` of JSON and the whitespace, in whole KiB. */
const withWhitespace = (bytes: number): number => Math.ceil((bytes + BODY_WHITESPACE_BYTES) / 1024) * 1024;

/**
 * The body limit of an operation taking `schema`: its longest body and the whitespace, in whole KiB.
 * Computed on first use and kept (a few milliseconds each, not spent at import).
 */
export const bodyLimitOf = (schema: z.ZodType): number => {
  const known = limits.get(schema);
  if (known !== undefined) return known;
  const limit = withWhitespace(longestBodyBytes(schema));
  limits.set(schema, limit);
  return limit;
};

/**
 * The body limit of an operation whose body is bounded by what it becomes, not by its schema (a send:
 * the command the sender takes, `utf8Bytes` as UTF-8 JSON): the longest JSON text of a body that
 * becomes at most that, every character escaped. Each byte of the JSON written again as UTF-8 is at
 * most one escaped character (6 bytes; a character of 2 to 4 UTF-8 bytes escapes to 6 or 12), plus
 * the whitespace, in whole KiB. The body is parsed and measured as it is written again (the handler
 * answers 413 above that), never refused for its escapes.
 */
export const escapedLimitOf = (utf8Bytes: number): number =>
  withWhitespace(ESCAPED_CHARACTER_BYTES * utf8Bytes);
