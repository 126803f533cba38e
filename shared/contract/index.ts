/*
 * The whole contract, schemas included. Code on a webhook's path imports its values from the
 * schema-free modules instead (build.ts, ids.ts, event-types.ts) and only types from here: a value
 * import of this barrel evaluates every zod schema at a Lambda's import (about 10 ms of cold start)
 * for schemas the webhooks never run.
 */
export * from './build.ts';
export * from './claim-check.ts';
export * from './commands.ts';
export * from './common.ts';
export * from './conversation.ts';
export * from './events.ts';
export * from './ids.ts';
export * from './message.ts';
export * from './parts.ts';
