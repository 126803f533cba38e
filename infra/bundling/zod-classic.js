// zod's classic API (node_modules/zod/v4/classic/external.js) without `locales`. esbuild cannot
// tree-shake the `export * as locales` namespace, which adds about 250 KB of translated error
// messages to every bundle; the English messages stay (v4/classic/schemas.js registers them).
// Paths go straight to the files because zod's exports map does not expose them.
// `core` is left out too: its namespace re-exports the locales again.
// `fromJSONSchema` is a stub: bundles import `z` as one namespace object, so esbuild keeps every
// export of this file, and zod's from-json-schema.js copies the whole API into an object of its own
// at load (about 15 KB and a few milliseconds of every cold start). Lambda code builds schemas, it
// never reads JSON Schema; tests/infra/bundling.test.ts checks no bundled source calls it.

export * from '../../node_modules/zod/v4/classic/checks.js';
export * as coerce from '../../node_modules/zod/v4/classic/coerce.js';
export * from '../../node_modules/zod/v4/classic/compat.js';
export { deepPartial } from '../../node_modules/zod/v4/classic/deep-partial.js';
export * from '../../node_modules/zod/v4/classic/errors.js';
export const fromJSONSchema = () => {
  throw new Error('z.fromJSONSchema is left out of Lambda bundles (infra/bundling/zod-classic.js)');
};
export { input, output } from '../../node_modules/zod/v4/classic/in-out.js';
export * as iso from '../../node_modules/zod/v4/classic/iso.js';
export {
  ZodISODate,
  ZodISODateTime,
  ZodISODuration,
  ZodISOTime,
} from '../../node_modules/zod/v4/classic/iso.js';
export * from '../../node_modules/zod/v4/classic/parse.js';
export * from '../../node_modules/zod/v4/classic/schemas.js';
export {
  $brand,
  $input,
  $output,
  clone,
  compile,
  config,
  flattenError,
  formatError,
  getDiscriminatedOption,
  globalRegistry,
  INVALID,
  memoizer,
  NEVER,
  prettifyError,
  regexes,
  registry,
  TimePrecision,
  toZod,
  treeifyError,
  util,
  withParser,
  ZodCompileAsyncError,
  ZodCompileUnsupportedError,
} from '../../node_modules/zod/v4/core/index.js';
export { toJSONSchema } from '../../node_modules/zod/v4/core/json-schema-processors.js';
