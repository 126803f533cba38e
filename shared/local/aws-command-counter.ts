import type { MiddlewareStack } from '@smithy/types';
import { type ObservableClient, observeAwsClients, observeSignedRequests } from '#shared/aws/clients.ts';

/**
 * Counts every AWS command the hub's clients send, by command name, so benchmarks and tests can
 * report requests per message. Commands are counted once per `send` (SDK retries are counted
 * separately as attempts, since each attempt is a billed request). Importing this module attaches
 * the counters to every client the hub creates afterwards; the Lambdas never import it.
 */

const commandCounts = new Map<string, number>();
const attemptCounts = new Map<string, number>();

const increment = (counts: Map<string, number>, name: string): void => {
  counts.set(name, (counts.get(name) ?? 0) + 1);
};

const commandNameOf = (context: { commandName?: string }): string =>
  (context.commandName ?? 'UnknownCommand').replace(/Command$/, '');

/** Commands sent since the process started (or the last reset): `{ SendMessageBatch: 3, PutObject: 1 }`. */
export const awsCommandCounts = (): Record<string, number> => Object.fromEntries(commandCounts);

/** HTTP attempts, SDK retries included. */
export const awsAttemptCounts = (): Record<string, number> => Object.fromEntries(attemptCounts);

/** Adds counts reported from elsewhere (the local hub's execution environments, which are worker threads). */
export const addAwsCommandCounts = (counts: {
  readonly awsCommands?: Readonly<Record<string, number>>;
  readonly awsAttempts?: Readonly<Record<string, number>>;
}): void => {
  for (const [name, count] of Object.entries(counts.awsCommands ?? {}))
    commandCounts.set(name, (commandCounts.get(name) ?? 0) + count);
  for (const [name, count] of Object.entries(counts.awsAttempts ?? {}))
    attemptCounts.set(name, (attemptCounts.get(name) ?? 0) + count);
};

export const resetAwsCommandCounts = (): void => {
  commandCounts.clear();
  attemptCounts.clear();
};

type Handler<A, R> = (args: A) => Promise<R>;
type CountingMiddleware = <A, R>(next: Handler<A, R>, context: { commandName?: string }) => Handler<A, R>;

const countCommand: CountingMiddleware = (next, context) => (args) => {
  increment(commandCounts, commandNameOf(context));
  return next(args);
};

const countAttempt: CountingMiddleware = (next, context) => (args) => {
  increment(attemptCounts, commandNameOf(context));
  return next(args);
};

/**
 * Adds the counters to a client. `initialize` runs once per `send`; `deserialize` runs after the
 * retry loop's `finalizeRequest` step, so once per HTTP attempt.
 */
export const countCommandsOf = <I extends object, O extends object>(client: {
  middlewareStack: MiddlewareStack<I, O>;
}): void => {
  client.middlewareStack.add(countCommand, { step: 'initialize', name: 'switchboardCommandCounter' });
  client.middlewareStack.add(countAttempt, { step: 'deserialize', name: 'switchboardAttemptCounter' });
};

observeAwsClients((client: ObservableClient) =>
  countCommandsOf(client as unknown as { middlewareStack: MiddlewareStack<object, object> }),
);

// The webhooks' SDK-free requests (shared/aws/signed/) count the same way: a command per call,
// an attempt per HTTP request.
observeSignedRequests((operation, kind) =>
  increment(kind === 'command' ? commandCounts : attemptCounts, operation),
);
