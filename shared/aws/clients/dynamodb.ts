import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { announceAwsClient, onAwsClientsReset } from '../clients.ts';

let dynamodb: DynamoDBClient | undefined;

onAwsClientsReset(() => {
  dynamodb?.destroy();
  dynamodb = undefined;
});

export const dynamoDbClient = (): DynamoDBClient => {
  if (!dynamodb) {
    dynamodb = new DynamoDBClient({});
    announceAwsClient(dynamodb);
  }
  return dynamodb;
};
