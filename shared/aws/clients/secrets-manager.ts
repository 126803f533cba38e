import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { onAwsClientsReset } from '../clients.ts';
import { countCommandsOf } from '../command-counter.ts';

let secretsManager: SecretsManagerClient | undefined;

onAwsClientsReset(() => {
  secretsManager?.destroy();
  secretsManager = undefined;
});

export const secretsManagerClient = (): SecretsManagerClient => {
  if (!secretsManager) {
    secretsManager = new SecretsManagerClient({});
    countCommandsOf(secretsManager);
  }
  return secretsManager;
};
