/**
 * Bundles every Lambda function through the CDK app's own HubFunction construct (real esbuild,
 * the project's bundling options, whatever they currently are) and prints where each bundle is.
 * The stack floor (bench/floor-function.ts) and the limits (bench/limit-function.ts, bench/limit-email-function.ts) are no functions of the app: they are bundled with the same
 * shared options (infra/bundling/options.ts) through the bundle analysis, which gives byte-identical
 * output to the construct's for the same entry.
 * Run as a child process: CDK's bundling writes esbuild's output to the console.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { bundleFile } from '#infra/bundling/analyze.ts';
import { HUB_FUNCTION_ENTRIES } from '#infra/bundling/options.ts';
import { HubFunction } from '#infra/constructs/hub-function.ts';

export const BUNDLE_MARKER = 'SWITCHBOARD_BUNDLES=';

/** Name of the stack-floor bundle among the printed ones. */
export const FLOOR_BUNDLE = 'stack-floor';
const FLOOR_ENTRY = path.join(import.meta.dirname, 'floor-function.ts');
/** Name of the limit bundle (bench/limit-function.ts: HMAC, JSON.parse, one signed request). */
export const LIMIT_BUNDLE = 'limit';
const LIMIT_ENTRY = path.join(import.meta.dirname, 'limit-function.ts');
/** Name of the e-mail limit bundle (bench/limit-email-function.ts: the Mailgun webhook's least). */
export const EMAIL_LIMIT_BUNDLE = 'limit-email';
const EMAIL_LIMIT_ENTRY = path.join(import.meta.dirname, 'limit-email-function.ts');

const bundleAll = async (): Promise<Record<string, string>> => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-bundles-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'SwitchboardBenchBundles');
  const functions = HUB_FUNCTION_ENTRIES.map(
    (entryName) =>
      [
        entryName,
        new HubFunction(stack, entryName, {
          entryName,
          runtimeEnvironment: {
            SWITCHBOARD_TABLE_NAME: 'bench-table',
            SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest.fifo',
            SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/helpdesk.fifo',
            SWITCHBOARD_PAYLOAD_BUCKET: 'bench-bucket',
          },
        }),
      ] as const,
  );
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: string } } }>;
  };
  const files: Record<string, string> = {};
  for (const [entryName, fn] of functions) {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
    const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
    if (!key) throw new Error(`no asset for ${entryName}`);
    files[entryName] = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  }
  files[FLOOR_BUNDLE] = (await bundleFile(FLOOR_BUNDLE, FLOOR_ENTRY, outdir)).file;
  files[LIMIT_BUNDLE] = (await bundleFile(LIMIT_BUNDLE, LIMIT_ENTRY, outdir)).file;
  files[EMAIL_LIMIT_BUNDLE] = (await bundleFile(EMAIL_LIMIT_BUNDLE, EMAIL_LIMIT_ENTRY, outdir)).file;
  return files;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`${BUNDLE_MARKER}${JSON.stringify(await bundleAll())}`);
}
