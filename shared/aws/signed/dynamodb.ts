import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { onAwsClientsReset } from '../clients.ts';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsJsonService } from './aws-json.ts';

/** DynamoDB over its JSON protocol (awsJson1_0). */
export const DYNAMODB_SERVICE: AwsJsonService = {
  signingName: 'dynamodb',
  endpointVariable: 'DYNAMODB',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
};

/**
 * PutItem as one signed request: the Mailgun webhook's replay guard (one conditional put per
 * request) without the DynamoDB SDK. A failed condition rejects with the SDK's error name,
 * `ConditionalCheckFailedException`.
 */
export class SignedDynamoDbClient {
  private readonly client: AwsJsonClient;

  constructor(options: Omit<AwsJsonClientOptions, 'service'> = {}) {
    this.client = new AwsJsonClient({ ...options, service: DYNAMODB_SERVICE });
  }

  async putItem(input: PutItemCommandInput): Promise<void> {
    await this.client.call('PutItem', input);
  }
}

let dynamodb: SignedDynamoDbClient | undefined;

onAwsClientsReset(() => {
  dynamodb = undefined;
});

export const signedDynamoDbClient = (): SignedDynamoDbClient => {
  dynamodb ??= new SignedDynamoDbClient();
  return dynamodb;
};
