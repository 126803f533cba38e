import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { LOOPBACK_HOSTNAMES, PROXY_HEADERS, REFUSAL } from './origin-guard.ts';

/**
 * The DynamoDB emulator (dynalite) in a worker thread of its own. dynalite parses every request's
 * expressions and walks its LevelDB on the thread it runs on; on the hub's main thread that work
 * queued behind the HTTP API, fauxqs and the event sources' polls, and the hub used one core where
 * a laptop has several. Here it has its own event loop, and its own core when one is free; the
 * functions reach it over loopback HTTP exactly as before. Nothing of it is TypeScript: the thread
 * runs plain Node, with no loader to start. Its expression parser, most of its CPU per call, is
 * memoized there (dynalite-parse-cache.cjs): the hub sends the same expressions with other values.
 *
 * For the same reason the thread cannot import origin-guard.ts: it applies that guard's rules for
 * programs-only servers (no Origin header; Host a loopback name on the port) in a few lines of its
 * own, with the names and the refusal handed over from that module. dynalite answers any Origin with
 * `Access-Control-Allow-Origin: *` and checks no signature, so without it any web page could read
 * and write the table. tests/local/emulator-guard.test.ts holds both placements to the same cases.
 */

export interface DynamoThreadOptions {
  /** Folder for LevelDB's files; in memory when absent. */
  readonly path?: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface RunningDynamoThread {
  readonly port: number;
  /**
   * CPU microseconds the emulator's thread has used; undefined where Node cannot tell (before
   * 22.19), where it runs on the hub's own thread, and once the thread has stopped or died.
   */
  cpuMicros(): Promise<number | undefined>;
  /** Closes the server and its database (LevelDB's files are complete after this), then ends the thread. */
  stop(): Promise<void>;
}

const FromDynamoThreadSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('listening'), port: z.number().int().positive() }),
  z.object({ type: z.literal('failed'), reason: z.string() }),
  z.object({ type: z.literal('closed') }),
  z.object({ type: z.literal('cpu'), micros: z.number().optional() }),
]);

const localRequire = createRequire(import.meta.url);
const DYNALITE = localRequire.resolve('dynalite');
/** dynalite-parse-cache.cjs: its expression parses made once per distinct expression. */
const PARSE_CACHE = localRequire.resolve('./dynalite-parse-cache.cjs');

const THREAD_SOURCE = [
  "const { parentPort, workerData } = require('node:worker_threads');",
  "require(workerData.parseCache).memoizeDynaliteParsers(require('node:path').dirname(workerData.dynalite));",
  'const server = require(workerData.dynalite)(workerData.options);',
  // origin-guard.ts's `refusalOf` with `{ origin: 'none' }`, in front of dynalite's own handler.
  'const { hostnames, proxyHeaders, refusal } = workerData.guard;',
  "const [serve] = server.listeners('request');",
  "server.removeAllListeners('request');",
  "server.on('request', (request, response) => {",
  "  const host = (request.headers.host || '').toLowerCase();",
  "  const own = hostnames.some((name) => host === name + ':' + request.socket.localPort);",
  '  const proxied = proxyHeaders.some((name) => request.headers[name] !== undefined);',
  '  if (request.headers.origin === undefined && own && !proxied) return serve(request, response);',
  '  request.resume();',
  "  response.writeHead(refusal.statusCode, { ...refusal.headers, 'content-length': Buffer.byteLength(refusal.body) });",
  '  response.end(refusal.body);',
  '});',
  "server.once('error', (error) => parentPort.postMessage({ type: 'failed', reason: error.message }));",
  "server.listen(workerData.port, '127.0.0.1', () =>",
  "  parentPort.postMessage({ type: 'listening', port: server.address().port }));",
  "parentPort.on('message', (message) => {",
  "  if (message === 'cpu') {",
  '    const used = process.threadCpuUsage?.();',
  "    parentPort.postMessage({ type: 'cpu', micros: used ? used.user + used.system : undefined });",
  '    return;',
  '  }',
  '  server.close(() => {',
  "    parentPort.postMessage({ type: 'closed' });",
  '    parentPort.close();',
  '  });',
  '});',
].join('\n');

export const startDynamoThread = (options: DynamoThreadOptions): Promise<RunningDynamoThread> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: {
        dynalite: DYNALITE,
        parseCache: PARSE_CACHE,
        port: options.port,
        guard: { hostnames: LOOPBACK_HOSTNAMES, proxyHeaders: PROXY_HEADERS, refusal: REFUSAL },
        options: {
          createTableMs: 0,
          deleteTableMs: 0,
          updateTableMs: 0,
          ...(options.path ? { path: options.path } : {}),
        },
      },
    });
    let onClosed: (() => void) | undefined;
    const cpuReaders: ((micros: number | undefined) => void)[] = [];
    let ended = false;
    /** A thread that is stopping or gone answers no reading: the ones waiting get none. */
    const endReadings = () => {
      ended = true;
      for (const answer of cpuReaders.splice(0)) answer(undefined);
    };
    const exited = new Promise<void>((settle) =>
      worker.once('exit', () => {
        endReadings();
        settle();
      }),
    );
    worker.once('error', (error) => reject(error));
    void exited.then(() => reject(new Error('the DynamoDB emulator thread ended during its start')));
    worker.on('message', (raw: unknown) => {
      const message = FromDynamoThreadSchema.parse(raw);
      if (message.type === 'failed') {
        void worker.terminate();
        reject(new Error(`the DynamoDB emulator did not start: ${message.reason}`));
      } else if (message.type === 'closed') {
        onClosed?.();
      } else if (message.type === 'cpu') {
        cpuReaders.shift()?.(message.micros);
      } else {
        resolve({
          port: message.port,
          cpuMicros: () =>
            ended
              ? Promise.resolve(undefined)
              : new Promise((settle) => {
                  cpuReaders.push(settle);
                  worker.postMessage('cpu');
                }),
          async stop() {
            endReadings();
            const closed = new Promise<void>((settle) => {
              onClosed = settle;
            });
            worker.postMessage('close');
            // A thread that died cannot answer: its exit is as final as the close.
            await Promise.race([closed, exited]);
            await worker.terminate();
          },
        });
      }
    });
  });
