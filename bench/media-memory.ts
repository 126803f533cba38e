import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { conversationIdFor, hubMessageIdFor } from '#shared/contract/index.ts';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import {
  HUGE_MEDIA_BYTES,
  inboundMedia,
  inboundMediaSha256,
} from '#shared/local/simulators/inbound-media.ts';
import { startProviderSimulators } from '#shared/local/simulators/index.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { mediaObjectKey } from '#shared/media/job.ts';
import { sqsMediaJobQueue } from '#shared/media/job-queue.ts';
import { MEDIA_FETCHER } from '#shared/resources/definitions.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';
import { round } from './stats.ts';

/**
 * The media fetcher's resident memory while it stores a WhatsApp document of 100 MB (the providers'
 * largest attachment) from the provider simulators, against the function's 256 MB: the deployed
 * bundle (functions/media-fetcher.ts bundled as the CDK app bundles it) runs in a Node process of
 * its own (`--enable-source-maps`, as HubFunction sets it), its handler given the job's SQS event,
 * its clients on the local DynamoDB, SQS and S3 of this process. Peak resident memory is the
 * kernel's high-water mark, reset after the bundle's import (`/proc/self/clear_refs`), and sampled
 * every 5 ms as well where the kernel does not allow that. A small image in a fresh process of the
 * same kind is the baseline.
 */

export interface MemoryRun {
  readonly file: string;
  readonly bytes: number;
  /** Resident memory once the bundle is imported (the environment's start), MB. */
  readonly afterImportMb: number;
  /** Peak resident memory during the invocation, MB: what Lambda's memory size bounds. */
  readonly peakMb: number;
  /** Peak over the import's level, MB. */
  readonly growthMb: number;
  readonly invocationMs: number;
  /** How the peak was read. */
  readonly peakFrom: 'kernel high-water mark' | 'sampled every 5 ms';
  /** The object and media_stored are the file's: size and sha256 checked. */
  readonly storedIntact: boolean;
}

export interface MediaMemoryResult {
  readonly memoryLimitMb: number;
  readonly runs: readonly MemoryRun[];
  readonly hugeWithinLimit: boolean;
}

const MARKER = 'SWITCHBOARD_MEDIA_MEMORY=';
const MB = 1024 * 1024;

/** Runs in the child: imports the bundle, invokes the handler once, prints what memory did. */
const CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
const rss = () => process.memoryUsage().rss;
const highWaterMark = () => {
  const match = /^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : undefined;
};
const { handler } = await import(process.env.BENCH_BUNDLE_URL);
const event = JSON.parse(process.env.BENCH_SQS_EVENT);
const context = { awsRequestId: 'bench-media-memory', functionName: 'media-fetcher', getRemainingTimeInMillis: () => 120000 };
const afterImport = rss();
let reset = false;
try { writeFileSync('/proc/self/clear_refs', '5'); reset = true; } catch {}
let sampled = afterImport;
const timer = setInterval(() => { sampled = Math.max(sampled, rss()); }, 5);
const started = performance.now();
const response = await handler(event, context);
const invocationMs = performance.now() - started;
clearInterval(timer);
sampled = Math.max(sampled, rss());
const kernel = reset ? highWaterMark() : undefined;
console.log('${MARKER}' + JSON.stringify({ afterImport, sampled, kernel, invocationMs, failures: response.batchItemFailures.length }));
process.exit(0);
`;

interface ChildReport {
  readonly afterImport: number;
  readonly sampled: number;
  readonly kernel?: number;
  readonly invocationMs: number;
  readonly failures: number;
}

const runChild = (bundleFile: string, environment: Record<string, string>, event: unknown) =>
  new Promise<ChildReport>((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', CHILD], {
      env: {
        PATH: process.env.PATH ?? '',
        ...environment,
        BENCH_BUNDLE_URL: pathToFileURL(bundleFile).href,
        BENCH_SQS_EVENT: JSON.stringify(event),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith(MARKER));
      if (code !== 0 || !line) reject(new Error(`the fetcher process ended ${code}: ${errors.slice(-2000)}`));
      else resolve(JSON.parse(line.slice(MARKER.length)) as ChildReport);
    });
  });

/** What HubFunction gives the fetcher in AWS, pointed at the emulators and the simulators. */
const fetcherEnvironment = (emulators: RunningEmulators, graphUrl: string, twilioUrl: string) => ({
  SWITCHBOARD_TABLE_NAME: emulators.resources.tableName,
  SWITCHBOARD_HELPDESK_QUEUE_URL: emulators.resources.helpdeskQueueUrl,
  SWITCHBOARD_MEDIA_QUEUE_URL: emulators.resources.mediaQueueUrl,
  SWITCHBOARD_PAYLOAD_BUCKET: emulators.resources.bucketName,
  SWITCHBOARD_SECRET_ARN: 'local',
  SWITCHBOARD_S3_FORCE_PATH_STYLE: 'true',
  SWITCHBOARD_GRAPH_API_URL: graphUrl,
  SWITCHBOARD_TWILIO_API_URL: twilioUrl,
  SWITCHBOARD_LOG_LEVEL: 'warn',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
  AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
  AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
});

const jobFor = (mediaId: string): MediaJob => ({
  hubMessageId: hubMessageIdFor('whatsapp', `wamid.memory-${mediaId}`),
  conversationId: conversationIdFor('whatsapp', '109384756201938', 'wa_id:491590000001'),
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '109384756201938' },
  partIndex: 0,
  part: {
    type: 'media',
    kind: inboundMedia(mediaId).mimeType === 'application/pdf' ? 'file' : 'image',
    mimeType: inboundMedia(mediaId).mimeType,
    ref: { store: 'provider_media_id', mediaId },
  },
});

export const runMediaMemory = async (progress: (line: string) => void): Promise<MediaMemoryResult> => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-media-'));
  const emulators = await startEmulators();
  const simulators = await startProviderSimulators({
    hubBaseUrl: 'http://127.0.0.1:9',
    secrets: LOCAL_DEV_SECRETS,
  });
  try {
    progress('  bundling functions/media-fetcher.ts as deployed');
    const bundle = await bundleEntry('media-fetcher', outdir);
    const environment = fetcherEnvironment(emulators, simulators.urls.graph, simulators.urls.twilio);
    const { sqs, s3 } = emulators.clients;
    const queueUrl = emulators.resources.mediaQueueUrl;
    const arn =
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
        .Attributes?.QueueArn ?? '';
    const runs: MemoryRun[] = [];
    for (const [file, mediaId] of [
      ['image (simulator JPEG)', 'jpeg-memory-baseline-1'],
      ['100 MB document (simulator PDF)', 'huge-memory-document-1'],
    ] as const) {
      const expected = { bytes: inboundMedia(mediaId).size, sha256: inboundMediaSha256(mediaId) };
      const job = jobFor(mediaId);
      await sqsMediaJobQueue(sqs, queueUrl).enqueue([job]);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const [message] = Messages;
      if (!message) throw new Error('the media job did not arrive');
      const size =
        expected.bytes < MB
          ? `${round(expected.bytes / 1024, 1)} KiB`
          : `${round(expected.bytes / MB, 1)} MiB`;
      progress(`  ${file}: ${size} in a fresh fetcher process`);
      const report = await runChild(bundle.file, environment, {
        Records: [toSqsRecord(message, arn, LOCAL_REGION)],
      });
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: emulators.resources.bucketName, Key: mediaObjectKey(job) }),
      );
      const told = (await takeHelpdeskEvents(sqs, emulators.resources.helpdeskQueueUrl)).find(
        (event) => event.type === 'switchboard.message.media_stored',
      );
      const toldData = told?.data as { size?: number; sha256?: string } | undefined;
      const peak = report.kernel ?? report.sampled;
      runs.push({
        file,
        bytes: expected.bytes,
        afterImportMb: round(report.afterImport / MB, 1),
        peakMb: round(peak / MB, 1),
        growthMb: round((peak - report.afterImport) / MB, 1),
        invocationMs: Math.round(report.invocationMs),
        peakFrom: report.kernel === undefined ? 'sampled every 5 ms' : 'kernel high-water mark',
        storedIntact:
          report.failures === 0 &&
          head.ContentLength === expected.bytes &&
          toldData?.size === expected.bytes &&
          toldData?.sha256 === expected.sha256,
      });
    }
    const huge = runs.find((run) => run.bytes === HUGE_MEDIA_BYTES);
    return {
      memoryLimitMb: MEDIA_FETCHER.memoryMb,
      runs,
      hugeWithinLimit: huge?.storedIntact === true && huge.peakMb < MEDIA_FETCHER.memoryMb,
    };
  } finally {
    await simulators.stop();
    await emulators.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
};
