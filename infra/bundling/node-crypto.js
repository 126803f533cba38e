// Stands in for `node:crypto` in Lambda bundles (esbuild --alias, see options.ts). An ESM `import`
// of a built-in module makes Node build the module's ESM namespace, which reads every export,
// getters included: node:crypto's `webcrypto` getter then loads the Web Crypto implementation at
// every cold start (the bundles that keep the AWS SDK load it anyway, through the SDK's check of
// the global `crypto`; the webhooks do not). `process.getBuiltinModule` returns the same module
// object as `require` without a namespace. Every name a bundle imports from node:crypto must be
// exported here, or the build fails (options.ts: import-is-undefined is an error); a namespace
// import or a `require` would see only these names (tests/infra/builtin-load-order.test.ts).
const crypto = process.getBuiltinModule('node:crypto');

export const {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  getRandomValues,
  hash,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} = crypto;
export default crypto;
