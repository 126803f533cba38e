import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import { LAMBDA_CREDENTIALS, REPO_ROOT } from '#infra/bundling/options.ts';

/** The credential chain Lambda bundles use instead of @aws-sdk/credential-provider-node. */
type DefaultProvider = (init?: object) => () => Promise<AwsCredentialIdentity>;

const loadDefaultProvider = async (): Promise<DefaultProvider> =>
  ((await import(pathToFileURL(LAMBDA_CREDENTIALS).href)) as { defaultProvider: DefaultProvider })
    .defaultProvider;

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_EC2_METADATA_DISABLED',
] as const;

const saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((name) => [name, process.env[name]]));

const setEnvironment = (values: Partial<Record<(typeof CREDENTIAL_VARIABLES)[number], string>>): void => {
  for (const name of CREDENTIAL_VARIABLES) {
    const value = values[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
};

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('Lambda bundle credential chain', () => {
  it('takes the role credentials Lambda puts in the environment', async () => {
    // Prepare
    setEnvironment({
      AWS_ACCESS_KEY_ID: 'AKIDLAMBDAROLE',
      AWS_SECRET_ACCESS_KEY: 'role-secret',
      AWS_SESSION_TOKEN: 'role-session',
    });
    const defaultProvider = await loadDefaultProvider();
    // Act
    const credentials = await defaultProvider()();
    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'AKIDLAMBDAROLE',
      secretAccessKey: 'role-secret',
      sessionToken: 'role-session',
    });
  });

  it('falls back to the container credentials endpoint when the environment has none', async () => {
    // Prepare
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          AccessKeyId: 'AKIDCONTAINER',
          SecretAccessKey: 'container-secret',
          Token: 'container-token',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    setEnvironment({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/credentials` });
    const defaultProvider = await loadDefaultProvider();
    try {
      // Act
      const credentials = await defaultProvider()();
      // Assess
      expect(credentials).toMatchObject({ accessKeyId: 'AKIDCONTAINER', sessionToken: 'container-token' });
    } finally {
      server.close();
    }
  });

  it('fails with a credentials error when no source applies', async () => {
    // Prepare
    setEnvironment({ AWS_EC2_METADATA_DISABLED: 'true' });
    const defaultProvider = await loadDefaultProvider();
    // Act
    const resolving = defaultProvider()();
    // Assess
    await expect(resolving).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });

  it('replaces the default chain in the bundles, leaving out the STS and SSO clients', async () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-credentials-'));
    try {
      // Act
      const { metafile } = await bundleEntry('recorder', outdir);
      const inputs = Object.keys(metafile.inputs);
      // Assess
      expect(inputs.some((input) => input.endsWith('infra/bundling/lambda-credentials.js'))).toBe(true);
      expect(
        inputs.filter((input) => /nested-clients|credential-provider-(sso|ini|web-identity)/.test(input)),
      ).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("reaches no package's dist-es files by path: public entry points and our own code only", () => {
    // Prepare
    const folder = path.join(REPO_ROOT, 'infra', 'bundling');
    // Act
    const reaching = readdirSync(folder).filter((file) =>
      /from\s+['"][^'"]*\/dist-es\//.test(readFileSync(path.join(folder, file), 'utf8')),
    );
    // Assess
    expect(reaching).toEqual([]);
  });
});
