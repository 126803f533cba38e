import { z } from 'zod';

/** Messages between the hub and a function's execution environment (a worker thread). */

/** How often an environment whose event loop is free stamps its heartbeat. */
export const BEAT_INTERVAL_MS = 50;

export const FunctionWorkerDataSchema = z.object({
  /** Absolute path of the entry file exporting `handler`. */
  functionFile: z.string(),
  functionName: z.string(),
  /** Eight bytes: the last time (epoch ms) the environment's event loop was free. */
  heartbeat: z.instanceof(SharedArrayBuffer),
  /** Count the AWS commands the function sends and report them with each result (benchmarks). */
  countAwsCommands: z.boolean().default(false),
  /** Replace the SDK clients' signing with a placeholder for the emulators that never check it (placeholder-signing.ts). */
  placeholderSigning: z.boolean().default(false),
});
export type FunctionWorkerData = z.infer<typeof FunctionWorkerDataSchema>;

export const ToFunctionWorkerSchema = z.object({
  type: z.literal('invoke'),
  id: z.number().int(),
  event: z.unknown(),
  requestId: z.string(),
  /** What the function's context reports as remaining time when the invocation starts. */
  remainingMs: z.number(),
});
export type ToFunctionWorker = z.infer<typeof ToFunctionWorkerSchema>;

/**
 * AWS commands and HTTP attempts since the last report, and the CPU microseconds the environment's
 * thread has used since its function loaded (its invocations'), when the environment counts them (benchmarks).
 */
const CountsSchema = z.record(z.string(), z.number().int().nonnegative());
const counted = {
  awsCommands: CountsSchema.optional(),
  awsAttempts: CountsSchema.optional(),
  threadCpuMicros: z.number().nonnegative().optional(),
};
export type AwsCounts = z.infer<typeof CountsSchema>;

export const FromFunctionWorkerSchema = z.discriminatedUnion('type', [
  /** The entry file loaded: invocations may come. */
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('init-failed'), reason: z.string() }),
  /** `json` absent: the handler returned undefined. */
  z.object({ type: z.literal('done'), id: z.number().int(), json: z.string().optional(), ...counted }),
  z.object({ type: z.literal('failed'), id: z.number().int(), errorName: z.string(), ...counted }),
]);
export type FromFunctionWorker = z.infer<typeof FromFunctionWorkerSchema>;
