import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONNECTOR_IDS,
  CONNECTORS,
  type ConnectorFunctionEntry,
  webhookConnectors,
} from '#shared/channels/registry.ts';
import { CORE_FUNCTIONS } from '#shared/resources/definitions.ts';

/**
 * Bundling settings shared by the CDK construct (infra/constructs/hub-function.ts) and the bundle
 * analysis (infra/bundling/analyze.ts), so the analysis measures exactly what is deployed.
 * Plain Node imports and pure data only: the analysis must not load aws-cdk-lib.
 */

/** Repository root: entries, the lock file and tsconfig are resolved from here, never from the cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Lambda entry files in functions/ (each exports `handler`): every connector's, then the hub's own. */
export const HUB_FUNCTION_ENTRIES = [
  ...CONNECTOR_IDS.map((id) => CONNECTORS[id].functionEntry),
  ...CORE_FUNCTIONS,
] as const satisfies readonly string[];

export type HubFunctionEntry = ConnectorFunctionEntry | (typeof CORE_FUNCTIONS)[number];

/**
 * Entries deployed without `--enable-source-maps` (HubFunctionProps.sourceMapsAtRunTime): the
 * webhooks. A provider waits on their every cold start, where Node would decode the whole map at
 * import, and their code logs no stack trace: each error they meet is logged by name
 * (shared/intake/process-webhook.ts). The cold-start bench reports their import as deployed.
 */
export const WITHOUT_RUNTIME_SOURCE_MAPS: ReadonlySet<HubFunctionEntry> = new Set(
  webhookConnectors().map(([, connector]) => connector.functionEntry),
);

export const entryPath = (entry: HubFunctionEntry): string =>
  path.join(REPO_ROOT, 'functions', `${entry}.ts`);

/**
 * ESM bundles still meet CommonJS dependencies that call `require`; this banner gives them one.
 * The alias keeps it from clashing with a bundled module's own `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __switchboardCreateRequire } from 'node:module'; const require = __switchboardCreateRequire(import.meta.url);";

/** A stand-in of ours in infra/bundling/, where every alias's replacement lives. */
const inBundlingFolder = (file: string): string => path.join(REPO_ROOT, 'infra', 'bundling', file);

/**
 * Lambda bundles import this instead of `zod`: the same API without zod's locales, which esbuild
 * cannot tree-shake and which would add about 260 KB to every function (see the file's comment).
 */
export const ZOD_WITHOUT_LOCALES = inBundlingFolder('zod-without-locales.js');

/**
 * Lambda bundles resolve the SDK's default credential chain to this: environment, then container
 * and instance endpoints, without the profile/SSO/web-identity links Lambda never uses (see the file).
 */
export const LAMBDA_CREDENTIALS = inBundlingFolder('lambda-credentials.js');

export const BUNDLE_TARGET = 'node22';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];
export const TSCONFIG_PATH = path.join(REPO_ROOT, 'tsconfig.json');

/**
 * A package Lambda bundles resolve to a file of ours instead (esbuild's `alias`). The list is
 * closed and each entry says why; every export a bundle takes from the package must exist in the
 * replacement, or the build fails (import-is-undefined is an error below), so an alias can trim a
 * package but never silently take away something the code uses. Whole AWS clients are never
 * aliased: any command of a client the code uses stays available (tests/infra/bundling.test.ts).
 */
export interface BundleAlias {
  readonly module: string;
  readonly replacement: string;
  readonly why: string;
}

export const BUNDLE_ALIASES: readonly BundleAlias[] = [
  {
    module: 'zod',
    replacement: ZOD_WITHOUT_LOCALES,
    why: "zod's locales, which esbuild cannot tree-shake: about 260 KB of every function",
  },
  {
    module: '@aws-sdk/credential-provider-node',
    replacement: LAMBDA_CREDENTIALS,
    why: 'the profile, SSO and web-identity links of the default chain, which Lambda never uses: the STS and SSO clients',
  },
  {
    module: 'node:crypto',
    replacement: inBundlingFolder('node-crypto.js'),
    why: "an ESM import builds node:crypto's namespace, whose webcrypto getter loads Web Crypto at every cold start",
  },
  {
    module: 'node:fs/promises',
    replacement: inBundlingFolder('node-fs-promises.js'),
    why: 'node:fs/promises loads readline and the directory watchers; bundles call only readFile, off the webhooks’ hot path',
  },
  {
    module: 'node:timers',
    replacement: inBundlingFolder('node-timers.js'),
    why: "an ESM import builds node:timers' namespace, whose promises getter loads node:timers/promises",
  },
];

/** The aliases as esbuild's `alias` option (the CDK construct passes the same as `--alias:` flags). */
export const bundleAliasOption = (): Record<string, string> => ({
  ...Object.fromEntries(BUNDLE_ALIASES.map((alias) => [alias.module, alias.replacement])),
});

/** A zod export the slim entry lacks must fail the build, not be undefined at run time. */
export const BUNDLE_LOG_OVERRIDES: Readonly<Record<string, 'error'>> = { 'import-is-undefined': 'error' };
