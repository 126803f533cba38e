// Stands in for `node:fs/promises` in Lambda bundles (esbuild --alias, see options.ts). Loading
// node:fs/promises also loads Node's readline and directory-watching modules; the only caller in a
// bundle reads a container token file that Lambda never sets (shared/aws/signed/credentials.ts),
// so the module is loaded on the first call instead of at import.
const fsPromises = () => process.getBuiltinModule('node:fs/promises');

export const readFile = (...args) => fsPromises().readFile(...args);
