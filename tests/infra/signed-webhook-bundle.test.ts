import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, bundleFile, packageOf } from '#infra/bundling/analyze.ts';
import {
  entryPath,
  HUB_FUNCTION_ENTRIES,
  type HubFunctionEntry,
  REPO_ROOT,
} from '#infra/bundling/options.ts';

/*
 * The webhooks send SendMessageBatch and GetSecretValue as signed requests of their own
 * (shared/aws/signed/), so their bundles hold neither the SQS nor the Secrets Manager SDK client.
 * The control bundles the same webhook with those SDK clients imported again, as the webhooks
 * did before: the difference is what the signed requests save.
 */

const SDK_CLIENTS_SIGNED_INSTEAD = ['@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager'];
const WEBHOOKS = HUB_FUNCTION_ENTRIES.filter((entry): entry is HubFunctionEntry & `webhook-${string}` =>
  entry.startsWith('webhook-'),
);

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-signed-webhooks-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const packagesOf = (inputs: Record<string, unknown>): Set<string> =>
  new Set(Object.keys(inputs).map(packageOf));

describe('webhook bundles without the SQS and Secrets Manager SDK clients', () => {
  it('leaves both SDK clients out of every webhook bundle', async () => {
    expect(WEBHOOKS.length).toBeGreaterThanOrEqual(4);
    for (const entry of WEBHOOKS) {
      // Act
      const { metafile } = await bundleEntry(entry, outdir);
      // Assess
      const packages = packagesOf(metafile.inputs);
      expect(
        SDK_CLIENTS_SIGNED_INSTEAD.filter((name) => packages.has(name)),
        entry,
      ).toEqual([]);
      expect(
        Object.keys(metafile.inputs).some((input) => input.endsWith('shared/aws/signed/sigv4.ts')),
        entry,
      ).toBe(true);
    }
  }, 180_000);

  it.each(['webhook-whatsapp', 'webhook-sms-twilio'] as const)(
    '%s is at least 40 KB smaller than with the SDK clients back (control)',
    async (entry) => {
      // Prepare: the same handler plus the SDK publisher and secret reader the webhooks used before
      const control = path.join(outdir, `${entry}-with-sdk.ts`);
      const shared = (file: string) => JSON.stringify(path.join(REPO_ROOT, 'shared', file));
      writeFileSync(
        control,
        [
          `export { handler } from ${JSON.stringify(entryPath(entry))};`,
          `import { sqsClient } from ${shared('aws/clients/sqs.ts')};`,
          `import { SqsEventPublisher } from ${shared('aws/sqs-event-publisher.ts')};`,
          `import { channelSecrets } from ${shared('aws/secrets.ts')};`,
          'export const sdkPath = [sqsClient, SqsEventPublisher, channelSecrets];',
        ].join('\n'),
      );
      // Act
      const signed = await bundleEntry(entry, outdir);
      const withSdk = await bundleFile(`${entry}-with-sdk`, control, outdir);
      console.log(
        `${entry}: ${(signed.bytes / 1024).toFixed(1)} KB signed, ${(withSdk.bytes / 1024).toFixed(1)} KB with the SDK clients`,
      );
      // Assess
      expect(SDK_CLIENTS_SIGNED_INSTEAD.every((name) => packagesOf(withSdk.metafile.inputs).has(name))).toBe(
        true,
      );
      expect(withSdk.bytes - signed.bytes).toBeGreaterThan(40 * 1024);
    },
    120_000,
  );
});
