import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { startLocalHub } from '#shared/local/hub.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { percentile, round } from './stats.ts';

/**
 * The helpdesk API's latency on the local hub (HTTP → the API function → the local DynamoDB) and
 * its DynamoDB units per call. Latency is reported against a baseline measured in the same run: a
 * request the function answers without touching DynamoDB (the OpenAPI document). Units are what
 * the local DynamoDB reports for the same calls made in process (DynamoDB's rule: 4 KB read units,
 * half for eventually consistent reads and index queries).
 */
export interface ApiLatencyRow {
  readonly endpoint: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** p50 over the baseline's p50. */
  readonly p50VsBaseline: number;
  readonly dynamoCallsPerRequest: Readonly<Record<string, number>>;
  readonly readUnitsPerRequest: number;
  readonly writeUnitsPerRequest: number;
}

export interface ApiLatencyResult {
  readonly conversations: number;
  readonly messagesPerConversation: number;
  readonly requestsPerEndpoint: number;
  readonly baselineP50Ms: number;
  readonly baselineP99Ms: number;
  readonly rows: readonly ApiLatencyRow[];
}

const MESSAGES_PER_CONVERSATION = 6;
const PAGE = 25;

interface Probe {
  readonly endpoint: string;
  /** One request for the i-th repetition: method, path and query, headers, body. */
  readonly request: (
    index: number,
  ) => Promise<{ method: string; path: string; headers?: Record<string, string>; body?: unknown }>;
}

export const runApiLatency = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<ApiLatencyResult> => {
  const conversations = quick ? 60 : 300;
  const repetitions = quick ? 60 : 300;
  const hub = await startLocalHub({ inMemory: true, port: 0, pollWaitSeconds: 1 });
  const dynamodb = new DynamoDBClient({
    endpoint: hub.endpoints.dynamodb,
    region: hub.region,
    credentials: hub.credentials,
  });
  try {
    progress(`  seeding ${conversations} conversations × ${MESSAGES_PER_CONVERSATION} messages`);
    const capacity = { calls: {} as Record<string, number>, read: 0, write: 0 };
    const table: TableContext = {
      client: dynamodb,
      tableName: hub.resources.tableName,
      now: () => new Date(),
      onCapacity: (operation, consumed) => {
        capacity.calls[operation] = (capacity.calls[operation] ?? 0) + 1;
        const units = consumed?.CapacityUnits ?? 0;
        if (/Get|Query/.test(operation)) capacity.read += units;
        else capacity.write += units;
      },
    };
    const quiet = createLogger({ level: 'error', write: () => {} });
    const recorder = createRecorderService({
      store: createRecorderStore({ ...table, onCapacity: undefined }, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: quiet,
    });
    const customers = Array.from(
      { length: conversations },
      (_, index) => `3069${String(index).padStart(8, '0')}`,
    );
    for (const [index, customer] of customers.entries()) {
      for (let n = 0; n < MESSAGES_PER_CONVERSATION; n++) {
        const direction = n === MESSAGES_PER_CONVERSATION - 1 && index % 2 === 0 ? 'outbound' : 'inbound';
        await recorder.recordEvent(
          messageEvent(customer, `bench-api-${index}-${n}`, minute(index + n), direction),
        );
      }
    }
    const inProcess = createHelpdeskApi({
      table,
      publishEvent: async () => undefined,
      enqueueCommand: async () => undefined,
      clock: () => new Date(),
      newId: () => 'bench',
      pseudonymKey: localPseudonymKey,
      deleteObjects: async () => undefined,
      // No probe reads or signs media; the port would load the S3 client on first use.
      media: s3MediaObjects(hub.resources.bucketName),
      logger: quiet,
    });
    const idOf = (index: number) => conversationFor(customers[index % customers.length] ?? '').conversationId;
    const versions = new Map<string, { version: number; marker: string }>();
    const probes: Probe[] = [
      {
        endpoint: 'GET /v1/conversations',
        request: async () => ({ method: 'GET', path: `/v1/conversations?limit=${PAGE}` }),
      },
      {
        endpoint: 'GET /v1/conversations?waiting=true',
        request: async () => ({ method: 'GET', path: `/v1/conversations?waiting=true&limit=${PAGE}` }),
      },
      {
        endpoint: 'GET /v1/conversations/{id}',
        request: async (index) => ({ method: 'GET', path: `/v1/conversations/${idOf(index)}` }),
      },
      {
        endpoint: 'GET /v1/conversations/{id}/messages',
        request: async (index) => ({
          method: 'GET',
          path: `/v1/conversations/${idOf(index)}/messages?limit=${PAGE}`,
        }),
      },
      {
        endpoint: 'PATCH /v1/conversations/{id}',
        request: async (index) => {
          const id = idOf(index);
          const { version, marker } = versions.get(id) ?? (await currentVersion(id));
          versions.set(id, { version: version + 1, marker });
          return {
            method: 'PATCH',
            path: `/v1/conversations/${id}`,
            headers: { 'if-match': `"${version}.${marker}"`, 'content-type': 'application/json' },
            body: { labels: [`bench-${index}`] },
          };
        },
      },
    ];
    /** The ETag's version and creation marker (`"<version>.<marker>"`). */
    const currentVersion = async (id: string): Promise<{ version: number; marker: string }> => {
      const response = await fetch(`${hub.urls.base}/v1/conversations/${id}`, { headers: auth });
      const [version = '0', marker = ''] = (response.headers.get('etag') ?? '"0"')
        .replaceAll('"', '')
        .split('.');
      return { version: Number(version), marker };
    };
    const auth = { authorization: `Bearer ${hub.apiToken}` };
    const timeOver = async (request: Awaited<ReturnType<Probe['request']>>) => {
      const started = performance.now();
      const response = await fetch(`${hub.urls.base}${request.path}`, {
        method: request.method,
        headers: { ...auth, ...request.headers },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
      await response.arrayBuffer();
      if (response.status >= 300)
        throw new Error(`${request.method} ${request.path.split('?')[0]}: ${response.status}`);
      return performance.now() - started;
    };
    const measure = async (probe: Probe | 'baseline') => {
      const times: number[] = [];
      for (let index = 0; index < repetitions; index++) {
        const request =
          probe === 'baseline' ? { method: 'GET', path: '/v1/openapi.json' } : await probe.request(index);
        times.push(await timeOver(request));
      }
      return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
    };
    /** Units and calls of one request, made in process on the same table (PATCH on a fresh version). */
    const unitsOf = async (probe: Probe) => {
      capacity.calls = {};
      capacity.read = 0;
      capacity.write = 0;
      const samples = 20;
      for (let index = 0; index < samples; index++) {
        const request = await probe.request(repetitions + index);
        const [path, query] = request.path.split('?');
        await inProcess({
          method: request.method,
          path: path ?? '',
          query: Object.fromEntries(new URLSearchParams(query ?? '')),
          headers: request.headers ?? {},
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          principal: 'bench',
        });
      }
      return {
        calls: Object.fromEntries(
          Object.entries(capacity.calls).map(([name, count]) => [name, round(count / samples, 2)]),
        ),
        read: round(capacity.read / samples, 2),
        write: round(capacity.write / samples, 2),
      };
    };
    progress('  baseline (the OpenAPI document: HTTP and the function, no DynamoDB)');
    await measure('baseline');
    const baseline = await measure('baseline');
    const rows: ApiLatencyRow[] = [];
    for (const probe of probes) {
      progress(`  ${probe.endpoint}`);
      const { p50, p99 } = await measure(probe);
      // In-process PATCHes move versions the HTTP probes no longer know: read them again.
      versions.clear();
      const units = await unitsOf(probe);
      versions.clear();
      rows.push({
        endpoint: probe.endpoint,
        p50Ms: round(p50, 2),
        p99Ms: round(p99, 2),
        p50VsBaseline: round(p50 / baseline.p50, 2),
        dynamoCallsPerRequest: units.calls,
        readUnitsPerRequest: units.read,
        writeUnitsPerRequest: units.write,
      });
    }
    return {
      conversations,
      messagesPerConversation: MESSAGES_PER_CONVERSATION,
      requestsPerEndpoint: repetitions,
      baselineP50Ms: round(baseline.p50, 2),
      baselineP99Ms: round(baseline.p99, 2),
      rows,
    };
  } finally {
    dynamodb.destroy();
    await hub.stop();
  }
};
