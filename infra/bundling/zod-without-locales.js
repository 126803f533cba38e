// Stands in for `zod` in Lambda bundles (esbuild --alias:zod=…): the same exports, minus locales.
import * as z from './zod-classic.js';

export * from './zod-classic.js';
export { z, z as default };
