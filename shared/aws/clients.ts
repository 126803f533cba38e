import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { runtimeConfig } from '#shared/config/runtime.ts';
import { countCommandsOf } from './command-counter.ts';

/*
 * One client of each kind per execution environment, created on first use so a function only
 * pays for the clients it touches. Region, credentials and endpoints come from the SDK's own
 * environment variables (AWS_REGION, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL_DYNAMODB…): locally they point at the emulators, in Lambda they are unset.
 */

let sqs: SQSClient | undefined;
let s3: S3Client | undefined;
let dynamodb: DynamoDBClient | undefined;
let secretsManager: SecretsManagerClient | undefined;

export const sqsClient = (): SQSClient => {
  if (!sqs) {
    // The endpoint comes from the region or AWS_ENDPOINT_URL_SQS, never from a queue URL's host:
    // emulators name their queues after hosts that do not resolve.
    sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    countCommandsOf(sqs);
  }
  return sqs;
};

export const s3Client = (): S3Client => {
  // Emulators serve buckets by path, not as `<bucket>.host` virtual hosts.
  if (!s3) {
    s3 = new S3Client({ forcePathStyle: runtimeConfig().SWITCHBOARD_S3_FORCE_PATH_STYLE });
    countCommandsOf(s3);
  }
  return s3;
};

export const dynamoDbClient = (): DynamoDBClient => {
  if (!dynamodb) {
    dynamodb = new DynamoDBClient({});
    countCommandsOf(dynamodb);
  }
  return dynamodb;
};

export const secretsManagerClient = (): SecretsManagerClient => {
  if (!secretsManager) {
    secretsManager = new SecretsManagerClient({});
    countCommandsOf(secretsManager);
  }
  return secretsManager;
};

/** Drops the singletons (tests and the local hub switch endpoints between runs). */
export const resetAwsClients = (): void => {
  for (const client of [sqs, s3, dynamodb, secretsManager]) client?.destroy();
  sqs = undefined;
  s3 = undefined;
  dynamodb = undefined;
  secretsManager = undefined;
};
