// Stands in for `node:fs/promises` in Lambda bundles (esbuild --alias, see options.ts). Loading
// node:fs/promises also loads Node's readline and directory-watching modules. The bundles call
// `readFile` only: the signed requests' credentials for a container token file Lambda never sets
// (shared/aws/signed/credentials.ts), and in the bundles that keep the AWS SDK its shared-config
// reader; so the module is loaded on the first call instead of at import. A named import of any
// other name fails the build (options.ts: import-is-undefined is an error).
const fsPromises = () => process.getBuiltinModule('node:fs/promises');

export const readFile = (...args) => fsPromises().readFile(...args);
