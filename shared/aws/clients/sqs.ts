import { SQSClient } from '@aws-sdk/client-sqs';
import { announceAwsClient, onAwsClientsReset } from '../clients.ts';

let sqs: SQSClient | undefined;

onAwsClientsReset(() => {
  sqs?.destroy();
  sqs = undefined;
});

export const sqsClient = (): SQSClient => {
  if (!sqs) {
    // The endpoint comes from the region or AWS_ENDPOINT_URL_SQS, never from a queue URL's host:
    // emulators name their queues after hosts that do not resolve.
    sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    announceAwsClient(sqs);
  }
  return sqs;
};
