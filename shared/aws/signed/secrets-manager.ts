import { onAwsClientsReset } from '../clients.ts';
import type { SecretValueReader } from '../section-secrets.ts';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsJsonService } from './aws-json.ts';

/** Secrets Manager over its JSON protocol (awsJson1_1). */
export const SECRETS_MANAGER_SERVICE: AwsJsonService = {
  signingName: 'secretsmanager',
  endpointVariable: 'SECRETS_MANAGER',
  targetPrefix: 'secretsmanager',
  jsonVersion: '1.1',
};

/** GetSecretValue as one signed request: the webhooks' secret reader without the SDK. */
export class SignedSecretsManagerClient implements SecretValueReader {
  private readonly client: AwsJsonClient;

  constructor(options: Omit<AwsJsonClientOptions, 'service'> = {}) {
    this.client = new AwsJsonClient({ ...options, service: SECRETS_MANAGER_SERVICE });
  }

  async getSecretValue(input: { readonly SecretId: string }): Promise<{ SecretString?: string | undefined }> {
    const output = await this.client.call<{ SecretString?: unknown }>('GetSecretValue', {
      SecretId: input.SecretId,
    });
    return { SecretString: typeof output.SecretString === 'string' ? output.SecretString : undefined };
  }
}

let secretsManager: SignedSecretsManagerClient | undefined;

onAwsClientsReset(() => {
  secretsManager = undefined;
});

export const signedSecretsManagerClient = (): SignedSecretsManagerClient => {
  secretsManager ??= new SignedSecretsManagerClient();
  return secretsManager;
};
