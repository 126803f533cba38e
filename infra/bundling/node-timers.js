// Stands in for `node:timers` in Lambda bundles (esbuild --alias, see options.ts). An ESM `import`
// of node:timers builds its namespace, whose `promises` getter loads node:timers/promises, which
// no function uses (@middy/core imports `setTimeout` from node:timers).
const timers = process.getBuiltinModule('node:timers');

export const { clearInterval, clearTimeout, setImmediate, setInterval, setTimeout } = timers;
export default timers;
