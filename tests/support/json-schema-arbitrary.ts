import fc from 'fast-check';

/**
 * Builds a fast-check arbitrary of values valid against a JSON Schema, for the subset of keywords
 * `z.toJSONSchema` emits for the contract. Unknown keywords fail loudly, so the generator cannot
 * silently drift from the schema it claims to cover.
 */
type Schema = Record<string, unknown>;

const ISO_DATES = fc
  .date({
    min: new Date('2000-01-01T00:00:00.000Z'),
    max: new Date('2199-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString());

const KNOWN = new Set([
  '$ref',
  '$schema',
  '$id',
  '$defs',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'default',
]);

export const arbitraryFromJsonSchema = (root: Schema, maxDepth = 8): fc.Arbitrary<unknown> => {
  const defs = (root.$defs ?? {}) as Record<string, Schema>;

  const build = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    for (const key of Object.keys(schema)) {
      if (!KNOWN.has(key)) throw new Error(`json-schema-arbitrary: unsupported keyword ${key}`);
    }
    if (typeof schema.$ref === 'string') {
      // Refs are `#/$defs/X`, or absolute to the root (`<root $id>#/$defs/X`) inside definitions with an `$id`.
      const name = schema.$ref.slice(schema.$ref.indexOf('#/$defs/') + '#/$defs/'.length);
      const target = defs[name];
      if (!target) throw new Error(`unresolved ${schema.$ref}`);
      // The contract has no recursive types, so resolving eagerly terminates.
      return build(target, depth + 1);
    }
    if ('const' in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
    const choices = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
    if (choices) return fc.oneof(...choices.map((choice) => build(choice, depth + 1)));
    switch (schema.type) {
      case 'string': {
        if (schema.format === 'date-time') return ISO_DATES;
        if (schema.format === 'uri') return fc.webUrl();
        if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
        const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
        return fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, 12) });
      }
      case 'integer': {
        const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
        const exclusive = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : min;
        return fc.integer({ min: Math.max(min, exclusive), max: 1_000_000 });
      }
      case 'number': {
        const min = typeof schema.minimum === 'number' ? schema.minimum : -1e6;
        const max = typeof schema.maximum === 'number' ? schema.maximum : 1e6;
        return fc
          .double({ min, max, noNaN: true, noDefaultInfinity: true })
          .map((n) => (Object.is(n, -0) ? 0 : n));
      }
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
        // Deep in the tree, keep arrays at their minimum so values stay small.
        const maxLength = depth > maxDepth ? minItems : minItems + 2;
        return fc.array(build(schema.items as Schema, depth + 1), { minLength: minItems, maxLength });
      }
      case 'object': {
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        if (Object.keys(properties).length === 0 && schema.additionalProperties) {
          return fc.dictionary(
            fc.string({ minLength: 1, maxLength: 8 }),
            build(schema.additionalProperties as Schema, depth + 1),
            {
              maxKeys: 3,
            },
          );
        }
        const required = new Set((schema.required ?? []) as string[]);
        const record = Object.fromEntries(
          Object.entries(properties).map(([name, inner]) => [name, build(inner, depth + 1)]),
        );
        const requiredKeys = Object.keys(properties).filter((name) => required.has(name));
        return fc.record(record, { requiredKeys });
      }
      case undefined:
        // `{}`: any JSON value (z.unknown()).
        return fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
      default:
        throw new Error(`json-schema-arbitrary: unsupported type ${String(schema.type)}`);
    }
  };
  return build(root, 0);
};
