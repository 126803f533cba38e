import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the local Graph stand-in received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

export interface GraphStandIn {
  /** `http://127.0.0.1:<port>/<mode>`: the first path segment picks the answer. */
  readonly baseFor: (mode: string) => string;
  readonly received: ReceivedRequest[];
  readonly close: () => Promise<void>;
}

/** What the stand-in answers per mode; `hang` never answers. */
export type Answers = Readonly<Record<string, { status: number; body: unknown }>>;

/** A tiny local HTTP server that records requests and answers by the first path segment. */
export const startGraphStandIn = async (answers: Answers): Promise<GraphStandIn> => {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: text === '' ? undefined : JSON.parse(text),
      });
      const mode = (request.url ?? '').split('/')[1] ?? '';
      if (mode === 'hang') return;
      const answer = answers[mode] ?? {
        status: 404,
        body: { error: { message: 'no such mode', code: 803 } },
      };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseFor: (mode) => `http://127.0.0.1:${port}/${mode}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

/** A loopback port nothing listens on. */
export const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
};
