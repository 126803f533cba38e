// Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles (esbuild --alias, see
// options.ts). Lambda gives a function its role's credentials in AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or, under SnapStart and in containers, through the
// container credentials endpoint), so the default chain's profile, SSO, process, web-identity and
// instance-metadata links never apply there, yet they bundle the STS and SSO clients (about 80 KB in
// every function). The SDK clients a bundle keeps take their credentials from the same small source
// the webhooks' signed requests use (shared/aws/signed/credentials.ts): the environment first, then
// the container endpoint, refreshed five minutes before expiry; nothing from a package's files by path.
// Local runs (tsx, vitest, the CLIs) are not bundled and keep the full chain.
import { credentialsSource } from '../../shared/aws/signed/credentials.ts';

/** The SDK's `defaultProvider(init)`: a provider of the process environment's credentials. */
export const defaultProvider = () => credentialsSource(process.env);
