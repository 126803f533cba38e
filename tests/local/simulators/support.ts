import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { WebhookOutcome, WebhookRequest } from '#shared/channels/inbound.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import {
  type ProviderSimulatorOptions,
  type RunningProviderSimulators,
  startProviderSimulators,
} from '#shared/local/simulators/index.ts';

/** One request the stand-in hub received, bytes as sent. */
export interface HubReceived {
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly receivedAt: Date;
}

export interface StandInHub {
  readonly baseUrl: string;
  readonly received: HubReceived[];
  /** The requests received on one path, in order. */
  on(path: string): HubReceived[];
  /** Waits until `count` requests arrived on `path`; fails after `timeoutMs`. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<HubReceived[]>;
  stop(): Promise<void>;
}

/** A tiny HTTP server standing in for the hub: records what it receives, answers 200 (or 404 where told). */
const startStandInHub = async (
  notFoundPaths: readonly string[] = [],
  unavailableOnce: readonly string[] = [],
): Promise<StandInHub> => {
  const received: HubReceived[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.url ?? '/';
      const queryAt = target.indexOf('?');
      const path = queryAt < 0 ? target : target.slice(0, queryAt);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      received.push({
        method: request.method ?? 'GET',
        path,
        rawQueryString: queryAt < 0 ? '' : target.slice(queryAt + 1),
        headers,
        body: Buffer.concat(chunks),
        receivedAt: new Date(),
      });
      const first =
        unavailableOnce.includes(path) && received.filter((one) => one.path === path).length === 1;
      response.writeHead(notFoundPaths.includes(path) ? 404 : first ? 503 : 200).end();
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  const on = (path: string) => received.filter((request) => request.path === path);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    on,
    waitFor: async (path, count, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (on(path).length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} request(s) on ${path}, got ${on(path).length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return on(path);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

export const secrets = LOCAL_DEV_SECRETS;
/** Short delays keep the callbacks quick but still apart, so their order is meaningful. */
const FAST_DELAYS = { sent: 0, delivered: 5, read: 10 };

export interface Rig {
  readonly hub: StandInHub;
  readonly simulators: RunningProviderSimulators;
  readonly logs: string[];
  stop(): Promise<void>;
}

export const startRig = async (
  overrides: Partial<ProviderSimulatorOptions> = {},
  notFoundPaths: readonly string[] = [],
  /** Paths the stand-in answers 503 the first time (a throttled hub), 200 after. */
  unavailableOnce: readonly string[] = [],
): Promise<Rig> => {
  const hub = await startStandInHub(notFoundPaths, unavailableOnce);
  const logs: string[] = [];
  const simulators = await startProviderSimulators({
    hubBaseUrl: hub.baseUrl,
    secrets,
    statusDelaysMs: FAST_DELAYS,
    log: (line) => logs.push(line),
    ...overrides,
  });
  return {
    hub,
    simulators,
    logs,
    stop: async () => {
      await simulators.stop();
      await hub.stop();
    },
  };
};

/** What the hub's adapters take: the request exactly as the stand-in received it. */
export const asWebhookRequest = (received: HubReceived): WebhookRequest => ({
  method: received.method,
  path: received.path,
  rawQueryString: received.rawQueryString,
  headers: received.headers,
  body: received.body,
  receivedAt: received.receivedAt,
});

export const eventsOf = (outcome: WebhookOutcome): readonly HubEvent[] => {
  if (outcome.kind !== 'accept') {
    throw new Error(
      `expected accept, got ${outcome.kind}${outcome.kind === 'reject' ? ` (${outcome.reason})` : ''}`,
    );
  }
  return outcome.events;
};

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

export const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The main Twilio account's login, which reaches every account's messages at the simulator (its subaccounts). */
export const TWILIO_MAIN_LOGIN = basic(secrets.twilio.accountSid ?? '', secrets.twilio.authToken);

/** The simulators' request log, through the admin route. */
export const listedRequests = async (rig: Rig): Promise<Record<string, unknown>[]> => {
  const response = await fetch(`${rig.simulators.baseUrl}/_local/providers/requests`);
  return z.array(z.record(z.string(), z.unknown())).parse(await response.json());
};

const GraphErrorBodySchema = z.object({
  error: z.looseObject({
    message: z.string(),
    type: z.string(),
    code: z.number(),
    error_subcode: z.number().optional(),
    fbtrace_id: z.string(),
  }),
});

/** The `error` of a Graph error answer (parsed, so a wrong shape fails the test). */
export const graphErrorOf = async (response: Response) =>
  GraphErrorBodySchema.parse(await response.json()).error;
