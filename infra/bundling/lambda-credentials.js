// Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles (esbuild --alias, see
// options.ts). Lambda gives a function its role's credentials in AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so the default chain's profile, SSO, process and
// web-identity links never apply there, yet they bundle the STS and SSO clients (about 80 KB in
// every function). This keeps the SDK's own order for what can apply: the environment first, then
// the container and instance endpoints (the SDK's remoteProvider), memoized and refreshed the same way.
// Local runs (tsx, vitest, the CLIs) are not bundled and keep the full chain.
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { CredentialsProviderError } from '@smithy/core/config';
import { remoteProvider } from '../../node_modules/@aws-sdk/credential-provider-node/dist-es/remoteProvider.js';
import { memoizeChain } from '../../node_modules/@aws-sdk/credential-provider-node/dist-es/runtime/memoize-chain.js';

export const credentialsWillNeedRefresh = (credentials) => credentials?.expiration !== undefined;

export const credentialsTreatedAsExpired = (credentials) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;

export const defaultProvider = (init = {}) =>
  memoizeChain(
    [
      async () => fromEnv(init)(),
      async () => (await remoteProvider(init))(),
      async () => {
        throw new CredentialsProviderError('Could not load credentials from any providers', {
          tryNextLink: false,
          logger: init.logger,
        });
      },
    ],
    credentialsTreatedAsExpired,
  );
