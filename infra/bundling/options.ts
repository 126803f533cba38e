import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTOR_IDS, CONNECTORS, type ConnectorFunctionEntry } from '#shared/channels/registry.ts';
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

export const entryPath = (entry: HubFunctionEntry): string =>
  path.join(REPO_ROOT, 'functions', `${entry}.ts`);

/**
 * ESM bundles still meet CommonJS dependencies that call `require`; this banner gives them one.
 * The alias keeps it from clashing with a bundled module's own `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __switchboardCreateRequire } from 'node:module'; const require = __switchboardCreateRequire(import.meta.url);";

/**
 * Lambda bundles import this instead of `zod`: the same API without zod's locales, which esbuild
 * cannot tree-shake and which would add about 260 KB to every function (see the file's comment).
 */
export const ZOD_WITHOUT_LOCALES = path.join(REPO_ROOT, 'infra', 'bundling', 'zod-without-locales.js');

/**
 * Lambda bundles resolve the SDK's default credential chain to this: environment, then container
 * and instance endpoints, without the profile/SSO/web-identity links Lambda never uses (see the file).
 */
export const LAMBDA_CREDENTIALS = path.join(REPO_ROOT, 'infra', 'bundling', 'lambda-credentials.js');

export const BUNDLE_TARGET = 'node22';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];
export const TSCONFIG_PATH = path.join(REPO_ROOT, 'tsconfig.json');

/**
 * Lambda bundles resolve the S3 SDK to this: its client and the payload bucket's two commands,
 * without the package index that a lazily loaded S3 would otherwise keep whole (see the file).
 */
export const S3_PAYLOAD_COMMANDS = path.join(REPO_ROOT, 'infra', 'bundling', 'client-s3-payloads.js');

/** Module aliases, as esbuild's `alias` option (`--alias:name=path` on the command line). */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  zod: ZOD_WITHOUT_LOCALES,
  '@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS,
  '@aws-sdk/client-s3': S3_PAYLOAD_COMMANDS,
};

/** A zod export the slim entry lacks must fail the build, not be undefined at run time. */
export const BUNDLE_LOG_OVERRIDES: Readonly<Record<string, 'error'>> = { 'import-is-undefined': 'error' };
