/*
 * AWS clients live one per service in ./clients/ (sqs.ts, s3.ts, secrets-manager.ts, sesv2.ts),
 * so a Lambda bundle only holds the SDK clients its code imports. Each is one singleton per
 * execution environment, created on first use. Region, credentials and endpoints come from the
 * SDK's own environment variables (AWS_REGION, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL_DYNAMODB…): locally they point at the emulators, in Lambda they are unset.
 *
 * This module imports none of them: the service modules register here how to drop their client.
 * The webhooks' calls (SQS SendMessageBatch, Secrets Manager GetSecretValue, S3 PutObject, DynamoDB
 * PutItem) and every function's DynamoDB item calls and helpdesk batches skip the SDK: signed requests
 * of their own (./signed/), which read the same variables and reset the same way.
 */

const resets = new Set<() => void>();

/** Any SDK v3 client: what observers may attach middleware to. */
export interface ObservableClient {
  readonly middlewareStack: { add: (...args: never[]) => unknown };
}

const observers = new Set<(client: ObservableClient) => void>();

/**
 * Calls `observer` with every client created from now on. The Lambdas never observe their clients;
 * the benchmark and tests count commands this way (shared/local/aws-command-counter.ts).
 */
export const observeAwsClients = (observer: (client: ObservableClient) => void): (() => void) => {
  observers.add(observer);
  return () => observers.delete(observer);
};

/** Each service module hands its client over once created. */
export const announceAwsClient = <C extends ObservableClient>(client: C): C => {
  for (const observer of observers) observer(client);
  return client;
};

/** A request made without the SDK (./signed/): once per call as a `command`, once per HTTP `attempt`. */
export type SignedRequestObserver = (operation: string, kind: 'command' | 'attempt') => void;

const signedRequestObservers = new Set<SignedRequestObserver>();

/** Like `observeAwsClients`, for the webhooks' signed requests, which have no SDK client to observe. */
export const observeSignedRequests = (observer: SignedRequestObserver): (() => void) => {
  signedRequestObservers.add(observer);
  return () => signedRequestObservers.delete(observer);
};

export const announceSignedRequest = (operation: string, kind: 'command' | 'attempt'): void => {
  for (const observer of signedRequestObservers) observer(operation, kind);
};

/** Called by each service module with a function that destroys and forgets its client. */
export const onAwsClientsReset = (reset: () => void): void => {
  resets.add(reset);
};

/** Drops the singletons (tests and the local hub switch endpoints between runs). */
export const resetAwsClients = (): void => {
  for (const reset of resets) reset();
};
