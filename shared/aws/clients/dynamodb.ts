import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { onAwsClientsReset } from '../clients.ts';
import { countCommandsOf } from '../command-counter.ts';

let dynamodb: DynamoDBClient | undefined;

onAwsClientsReset(() => {
  dynamodb?.destroy();
  dynamodb = undefined;
});

export const dynamoDbClient = (): DynamoDBClient => {
  if (!dynamodb) {
    dynamodb = new DynamoDBClient({});
    countCommandsOf(dynamodb);
  }
  return dynamodb;
};
