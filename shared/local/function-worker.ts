import dns from 'node:dns';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { observeAwsClients } from '#shared/aws/clients.ts';
import { lambdaContext } from './apigw-event.ts';
import {
  BEAT_INTERVAL_MS,
  type FromFunctionWorker,
  FunctionWorkerDataSchema,
  ToFunctionWorkerSchema,
} from './function-protocol.ts';
import { usePlaceholderSignedRequests, usePlaceholderSigning } from './placeholder-signing.ts';
import { threadCpuMicros } from './thread-cpu.ts';

/**
 * One Lambda execution environment of the local hub: a worker thread with its own event loop,
 * its own environment variables and its own module instances. It loads the function's entry file
 * once (the init phase), then runs each invocation the hub posts and posts back the JSON result or
 * the error's name. Only the name: an error message may quote what a customer wrote.
 */

const port = parentPort;
if (!port) throw new Error('function-worker.ts runs as a worker thread');
const { functionFile, functionName, heartbeat, countAwsCommands, placeholderSigning } =
  FunctionWorkerDataSchema.parse(workerData);
const post = (message: FromFunctionWorker) => port.postMessage(message);

/** The queues' URLs name `sqs.<region>.localhost`; here, as in the hub's own thread, that is loopback. */
const resolveLocalhostSubdomains = () => {
  const original = dns.lookup;
  const patched = (hostname: string, ...rest: unknown[]) => {
    const callback = rest.at(-1);
    if (!hostname.endsWith('.localhost') || typeof callback !== 'function') {
      return Reflect.apply(original, dns, [hostname, ...rest]);
    }
    const options = rest.length > 1 ? rest[0] : undefined;
    const all = typeof options === 'object' && options !== null && 'all' in options && options.all === true;
    process.nextTick(() =>
      all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4),
    );
  };
  dns.lookup = patched as typeof dns.lookup;
};

/** The hub reads this to tell a busy environment (its loop blocked by a long computation) from a free one. */
const beat = new BigInt64Array(heartbeat);
const keepBeating = () => {
  Atomics.store(beat, 0, BigInt(Date.now()));
  setInterval(() => Atomics.store(beat, 0, BigInt(Date.now())), BEAT_INTERVAL_MS).unref();
};

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => unknown;

const load = async (): Promise<Handler | string> => {
  try {
    const module: { handler?: unknown } = await import(pathToFileURL(functionFile).href);
    return typeof module.handler === 'function'
      ? (module.handler as Handler)
      : 'no exported handler function';
  } catch (error) {
    return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : 'import failed';
  }
};

const errorNameOf = (error: unknown): string =>
  error instanceof Error
    ? error.name
    : z.string().safeParse(error).success
      ? 'string thrown'
      : 'non-Error thrown';

/** The thread's CPU when the function had loaded: what its invocations use is counted from there. */
let cpuAtReady: number | undefined;

/**
 * The environment's AWS commands since the last call and its invocations' CPU so far (its init
 * phase left out), when it counts them (loaded before the function).
 */
const takeCounts = countAwsCommands
  ? await (async () => {
      const counter = await import('./aws-command-counter.ts');
      return () => {
        const now = threadCpuMicros();
        const threadCpu = now === undefined || cpuAtReady === undefined ? undefined : now - cpuAtReady;
        const counts = {
          awsCommands: counter.awsCommandCounts(),
          awsAttempts: counter.awsAttemptCounts(),
          ...(threadCpu === undefined ? {} : { threadCpuMicros: threadCpu }),
        };
        counter.resetAwsCommandCounts();
        return counts;
      };
    })()
  : () => ({});

resolveLocalhostSubdomains();
// Before the function loads: its clients are created on first use and announced then.
if (placeholderSigning) {
  observeAwsClients(usePlaceholderSigning);
  usePlaceholderSignedRequests();
}
keepBeating();
const handler = await load();
cpuAtReady = threadCpuMicros();
if (typeof handler === 'string') {
  post({ type: 'init-failed', reason: handler });
} else {
  port.on('message', async (raw: unknown) => {
    const message = ToFunctionWorkerSchema.parse(raw);
    const context = lambdaContext(functionName, message.remainingMs / 1000, message.requestId);
    try {
      const result = await handler(message.event, context);
      // Lambda hands back the JSON serialization of what the handler returned.
      post({
        type: 'done',
        id: message.id,
        ...(result === undefined ? {} : { json: JSON.stringify(result) }),
        ...takeCounts(),
      });
    } catch (error) {
      post({ type: 'failed', id: message.id, errorName: errorNameOf(error), ...takeCounts() });
    }
  });
  post({ type: 'ready' });
}
