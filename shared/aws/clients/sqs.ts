import { SQSClient } from '@aws-sdk/client-sqs';
import { onAwsClientsReset } from '../clients.ts';
import { countCommandsOf } from '../command-counter.ts';

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
    countCommandsOf(sqs);
  }
  return sqs;
};
