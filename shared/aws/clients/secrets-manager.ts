import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { announceAwsClient, onAwsClientsReset } from '../clients.ts';

let secretsManager: SecretsManagerClient | undefined;

onAwsClientsReset(() => {
  secretsManager?.destroy();
  secretsManager = undefined;
});

export const secretsManagerClient = (): SecretsManagerClient => {
  if (!secretsManager) {
    secretsManager = new SecretsManagerClient({});
    announceAwsClient(secretsManager);
  }
  return secretsManager;
};
