import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import {
  type AwsCounts,
  type FromFunctionWorker,
  FromFunctionWorkerSchema,
  type FunctionWorkerData,
  type ToFunctionWorker,
} from './function-protocol.ts';

/**
 * A function's execution environments, as Lambda keeps them: each one a worker thread with its own
 * event loop, environment variables and module instances, so an invocation that computes for 30 s
 * holds up its own environment and nothing else: not the other functions, not the hub's HTTP
 * server, not the recorder's poller.
 *
 * Unlike Lambda, an environment takes several invocations at a time while its event loop is free:
 * the handlers mostly wait on I/O, and a cold start costs close to a second of CPU here, which
 * one environment per concurrent request would pay over and over on a laptop. An environment whose
 * loop has not come round for BLOCKED_AFTER_MS gets nothing new; the invocation goes to another
 * environment, started when there is none, up to `maxEnvironments`. An invocation that reaches an
 * environment in the moment before its loop counts as blocked still waits behind the computation.
 */

/**
 * An environment is busy computing when its heartbeat is older than this. Lower, and a loaded
 * laptop (first invocations compiling, other processes) starts environments it does not need.
 */
const BLOCKED_AFTER_MS = 1000;
export const DEFAULT_MAX_ENVIRONMENTS = 2;

/** The error an invocation fails with when its environment dies under it (as Lambda's Runtime.ExitError). */
const ENVIRONMENT_EXIT_ERROR = 'Runtime.ExitError';

const WORKER_ENTRY = pathToFileURL(resolve(import.meta.dirname, 'function-worker.ts')).href;
/** Workers start without the hub's loader flags (tsx's CLI, vitest's): they register tsx themselves. */
const TSX_API = createRequire(import.meta.url).resolve('tsx/esm/api');
const BOOTSTRAP = [
  "const { workerData } = require('node:worker_threads');",
  'require(workerData.tsxApi).register();',
  'import(workerData.entry);',
].join('\n');

export interface LambdaFunctionOptions {
  readonly functionName: string;
  /** Absolute path of the entry file exporting `handler`. */
  readonly functionFile: string;
  /** The environment variables each environment sees (and nothing else). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default DEFAULT_MAX_ENVIRONMENTS */
  readonly maxEnvironments?: number;
  /** An environment died (a handler called process.exit, an unhandled rejection…); only the error's name. */
  readonly onEnvironmentExit?: (errorName: string) => void;
  /** Another environment finished its cold start (the others were computing); how many run now. */
  readonly onEnvironmentStart?: (running: number) => void;
  /** When set, environments count their AWS commands and report them here after each invocation. */
  readonly onAwsCounts?: (counts: { awsCommands?: AwsCounts; awsAttempts?: AwsCounts }) => void;
  /** The environments' SDK clients of DynamoDB and SQS send a placeholder signature (placeholder-signing.ts). */
  readonly placeholderSigning?: boolean;
}

export interface LambdaFunction {
  readonly functionName: string;
  /** Runs the handler in one of the function's environments; rejects with an Error named as the function's error. */
  invoke(
    event: unknown,
    context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
  ): Promise<unknown>;
  /**
   * Environments running, invocations in progress across them and, when the environments count
   * (`onAwsCounts`), the CPU their threads had used as of their last invocations, ended ones included (µs).
   */
  stats(): { environments: number; inFlight: number; threadCpuMicros: number };
  /** Ends every environment, whatever it is running. */
  close(): Promise<void>;
}

export type StartedFunction = { ok: true; fn: LambdaFunction } | { ok: false; reason: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Environment {
  readonly worker: Worker;
  readonly beat: BigInt64Array;
  readonly pending: Map<number, Pending>;
  /** The thread's CPU as of its last reported invocation (µs), when it counts. */
  cpuMicros: number;
}

const namedError = (name: string): Error => {
  const error = new Error(`function error: ${name}`);
  error.name = name;
  return error;
};

const isBlocked = (environment: Environment): boolean =>
  environment.pending.size > 0 && Date.now() - Number(Atomics.load(environment.beat, 0)) > BLOCKED_AFTER_MS;

const leastLoaded = (environments: readonly Environment[]): Environment | undefined =>
  environments.reduce<Environment | undefined>(
    (best, environment) => (!best || environment.pending.size < best.pending.size ? environment : best),
    undefined,
  );

/** Starts a function's first environment (its init phase); fails with the reason when the entry does not load. */
export const startLambdaFunction = async (options: LambdaFunctionOptions): Promise<StartedFunction> => {
  const maxEnvironments = Math.max(1, options.maxEnvironments ?? DEFAULT_MAX_ENVIRONMENTS);
  const environments: Environment[] = [];
  let closed = false;
  let endedCpuMicros = 0;
  let nextId = 0;

  const onMessage = (environment: Environment, raw: unknown) => {
    const parsed = FromFunctionWorkerSchema.safeParse(raw);
    if (!parsed.success) return;
    const message: FromFunctionWorker = parsed.data;
    if (message.type !== 'done' && message.type !== 'failed') return;
    if (message.awsCommands || message.awsAttempts) options.onAwsCounts?.(message);
    if (message.threadCpuMicros !== undefined) environment.cpuMicros = message.threadCpuMicros;
    const pending = environment.pending.get(message.id);
    if (!pending) return;
    environment.pending.delete(message.id);
    if (message.type === 'failed') pending.reject(namedError(message.errorName));
    else pending.resolve(message.json === undefined ? undefined : JSON.parse(message.json));
  };

  const onExit = (environment: Environment, errorName: string) => {
    const index = environments.indexOf(environment);
    if (index === -1) return;
    environments.splice(index, 1);
    endedCpuMicros += environment.cpuMicros;
    for (const pending of environment.pending.values()) pending.reject(namedError(errorName));
    environment.pending.clear();
    if (!closed) options.onEnvironmentExit?.(errorName);
  };

  /** A cold start: resolves with the ready environment, or with why the entry did not load. */
  const spawn = (): Promise<Environment | string> =>
    new Promise((settle) => {
      const heartbeat = new SharedArrayBuffer(8);
      const workerData: FunctionWorkerData & { tsxApi: string; entry: string } = {
        functionFile: options.functionFile,
        functionName: options.functionName,
        heartbeat,
        countAwsCommands: options.onAwsCounts !== undefined,
        placeholderSigning: options.placeholderSigning ?? false,
        tsxApi: TSX_API,
        entry: WORKER_ENTRY,
      };
      const worker = new Worker(BOOTSTRAP, {
        eval: true,
        execArgv: [],
        env: { ...options.environment },
        workerData,
      });
      const environment: Environment = {
        worker,
        beat: new BigInt64Array(heartbeat),
        pending: new Map(),
        cpuMicros: 0,
      };
      let ready = false;
      worker.on('message', (raw: unknown) => {
        if (ready) return onMessage(environment, raw);
        const parsed = FromFunctionWorkerSchema.safeParse(raw);
        if (!parsed.success) return;
        if (parsed.data.type === 'ready') {
          if (closed) {
            void worker.terminate();
            settle('the function was closed during init');
            return;
          }
          ready = true;
          environments.push(environment);
          if (environments.length > 1) options.onEnvironmentStart?.(environments.length);
          settle(environment);
        } else if (parsed.data.type === 'init-failed') {
          void worker.terminate();
          settle(parsed.data.reason);
        }
      });
      worker.on('error', (error) => {
        if (ready) onExit(environment, error.name);
        else settle(error.message.split('\n')[0] ?? error.name);
      });
      worker.on('exit', () => {
        if (ready) onExit(environment, ENVIRONMENT_EXIT_ERROR);
        else settle('the environment exited during init');
      });
    });

  const spawning = new Set<Promise<Environment | string>>();
  const spawnTracked = (): Promise<Environment | string> => {
    const started = spawn();
    spawning.add(started);
    void started.finally(() => spawning.delete(started));
    return started;
  };

  /**
   * A free environment (its loop not blocked) takes the invocation, the least loaded first. With
   * none, a new one starts for it, up to `maxEnvironments`; past that, it waits in the least loaded.
   */
  const pick = async (): Promise<Environment> => {
    for (;;) {
      const free = leastLoaded(environments.filter((environment) => !isBlocked(environment)));
      if (free) return free;
      if (environments.length + spawning.size < maxEnvironments) {
        const started = await spawnTracked();
        if (typeof started === 'string') throw namedError('Runtime.ImportModuleError');
        return started;
      }
      if (spawning.size > 0) {
        await Promise.race(spawning);
        continue;
      }
      const leastBusy = leastLoaded(environments);
      if (!leastBusy) throw namedError(ENVIRONMENT_EXIT_ERROR);
      return leastBusy;
    }
  };

  const first = await spawnTracked();
  if (typeof first === 'string') return { ok: false, reason: first };

  const fn: LambdaFunction = {
    functionName: options.functionName,
    async invoke(event, context) {
      if (closed) throw namedError(ENVIRONMENT_EXIT_ERROR);
      const environment = await pick();
      const id = nextId++;
      const message: ToFunctionWorker = {
        type: 'invoke',
        id,
        event,
        requestId: context.awsRequestId,
        remainingMs: context.getRemainingTimeInMillis(),
      };
      return new Promise<unknown>((resolve, reject) => {
        environment.pending.set(id, { resolve, reject });
        environment.worker.postMessage(message);
      });
    },
    stats: () => ({
      environments: environments.length,
      inFlight: environments.reduce((total, environment) => total + environment.pending.size, 0),
      threadCpuMicros: environments.reduce(
        (total, environment) => total + environment.cpuMicros,
        endedCpuMicros,
      ),
    }),
    async close() {
      closed = true;
      const ending = environments.splice(0);
      for (const environment of ending) {
        endedCpuMicros += environment.cpuMicros;
        for (const pending of environment.pending.values())
          pending.reject(namedError(ENVIRONMENT_EXIT_ERROR));
        environment.pending.clear();
      }
      await Promise.all(ending.map((environment) => environment.worker.terminate()));
    },
  };
  return { ok: true, fn };
};
