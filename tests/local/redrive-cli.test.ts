import { createServer, type Server } from 'node:http';
import { DeleteMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, resolveRedriveTarget } from '#shared/cli/redrive.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
import type { HubInfo } from '#shared/local/hub-info.ts';
import { queueDepths } from '#shared/local/queue-depth.ts';
import { REDRIVE_QUEUES } from '#shared/local/redrive.ts';
import { HUB_INFO_PATH } from '#shared/local/routes.ts';
import { noRegionEnv, runCli } from '#tests/support/cli-process.ts';
import { deadPort } from '#tests/support/dead-port.ts';

const MEDIA_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-media.fifo';

describe('npm run redrive: what it does with its arguments', () => {
  it('--help prints the usage, naming every queue the console redrives (media included)', () => {
    // Prepare / Act
    const target = resolveRedriveTarget(['--help'], {});
    // Assess
    expect(target.kind).toBe('help');
    const text = target.kind === 'help' ? target.text : '';
    expect(text).toMatch(/^usage: npm run redrive -- <ingest\|helpdesk\|outbox\|media> --local/);
    for (const queue of REDRIVE_QUEUES) expect(text).toContain(queue);
  });

  it('run as npm runs it, --help prints nothing on stderr: no emulator (node:sqlite) is loaded for it (found by a README walkthrough)', async () => {
    // Act
    const help = await runCli('shared/cli/redrive.ts', ['--help']);
    // Assess: loading the emulators printed node:sqlite's ExperimentalWarning on every run
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run redrive -- /);
    expect(help.stderr).toBe('');
  }, 60_000);

  it('an unknown option is refused with the usage, not a bare parse error', () => {
    // Prepare / Act
    const target = resolveRedriveTarget(['outbox', '--target', 'x'], {});
    // Assess
    expect(target.kind).toBe('refused');
    expect(target.kind === 'refused' ? target.message : '').toContain('usage: npm run redrive --');
  });

  it('a word that is no queue is named as such, with the usage (found by a review)', () => {
    // Prepare / Act
    const bogus = resolveRedriveTarget(['bogus', '--local'], {});
    const none = resolveRedriveTarget(['--local'], {});
    // Assess
    expect(bogus.kind === 'refused' ? bogus.message : '').toMatch(
      /^bogus is not a queue name \(ingest, helpdesk, outbox, media, ses-intake, ses-events\)\nusage: npm run redrive -- /,
    );
    expect(none.kind === 'refused' ? none.message : '').toMatch(/^usage: npm run redrive -- /);
  });

  it('a --hub or --sqs-endpoint npm took for itself (written before the --) is refused, not taken for AWS', () => {
    // Prepare: npm sets npm_config_<option> and passes nothing on; the deployed queue's URL is set
    const deployed = {
      SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest',
    };
    // Act
    const hub = resolveRedriveTarget(['ingest'], { ...deployed, npm_config_hub: 'http://127.0.0.1:3150' });
    const endpoint = resolveRedriveTarget(['ingest'], {
      ...deployed,
      npm_config_sqs_endpoint: 'http://127.0.0.1:3151',
    });
    const passedOn = resolveRedriveTarget(['ingest', '--hub', 'http://127.0.0.1:3150'], {
      ...deployed,
      npm_config_hub: 'http://127.0.0.1:3150',
    });
    // Assess
    expect(hub.kind === 'refused' ? hub.message : hub.kind).toContain('npm run redrive -- --hub URL');
    expect(endpoint.kind === 'refused' ? endpoint.message : endpoint.kind).toContain(
      'npm run redrive -- --sqs-endpoint URL',
    );
    expect(passedOn).toEqual({ kind: 'local', queue: 'ingest', hubUrl: 'http://127.0.0.1:3150' });
  });

  it('--local asks the default local hub; --hub names another one and implies --local', () => {
    // Prepare / Act
    const local = resolveRedriveTarget(['outbox', '--local'], {});
    const hub = resolveRedriveTarget(['media', '--hub', 'http://127.0.0.1:4100'], {});
    // Assess
    expect(local).toEqual({ kind: 'local', queue: 'outbox', hubUrl: 'http://127.0.0.1:3000' });
    expect(hub).toEqual({ kind: 'local', queue: 'media', hubUrl: 'http://127.0.0.1:4100' });
  });

  it('--sqs-endpoint overrides the hub; beside --hub it is refused', () => {
    // Prepare / Act
    const endpoint = resolveRedriveTarget(
      ['ingest', '--local', '--sqs-endpoint', 'http://127.0.0.1:4101'],
      {},
    );
    const both = resolveRedriveTarget(
      ['ingest', '--hub', 'http://127.0.0.1:4100', '--sqs-endpoint', 'http://127.0.0.1:4101'],
      {},
    );
    // Assess
    expect(endpoint).toEqual({
      kind: 'local-endpoint',
      queue: 'ingest',
      sqsEndpoint: 'http://127.0.0.1:4101',
    });
    expect(both.kind).toBe('refused');
  });

  it('without --local it is AWS, the queue URL from its variable (media too)', () => {
    // Prepare / Act
    const aws = resolveRedriveTarget(['media'], { SWITCHBOARD_MEDIA_QUEUE_URL: MEDIA_QUEUE_URL });
    const unset = resolveRedriveTarget(['media'], {});
    // Assess
    expect(aws).toEqual({ kind: 'aws', queue: 'media', queueUrl: MEDIA_QUEUE_URL });
    expect(unset.kind === 'refused' ? unset.message : '').toContain('SWITCHBOARD_MEDIA_QUEUE_URL');
  });
});

describe('npm run redrive -- <queue> --local: against a running hub', () => {
  let emulators: RunningEmulators;
  let hub: Server;
  let hubUrl = '';

  beforeAll(async () => {
    emulators = await startEmulators();
    // The hub's self-description, as `npm start` answers it: all the CLI needs to find the emulator.
    const info: HubInfo = {
      service: 'switchboard-local-hub',
      region: LOCAL_REGION,
      credentials: { ...LOCAL_CREDENTIALS },
      endpoints: emulators.endpoints,
      resources: emulators.resources,
    };
    hub = createServer((request, response) => {
      response.writeHead(request.url === HUB_INFO_PATH ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(request.url === HUB_INFO_PATH ? info : {}));
    });
    await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
    const address = hub.address();
    hubUrl = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => hub?.close(() => resolve()));
    await emulators?.stop();
  });

  it('finds the SQS endpoint through the hub and moves the media DLQ back to its queue', async () => {
    // Prepare
    const { sqs } = emulators.clients;
    const { mediaQueueUrl, mediaDlqUrl } = emulators.resources;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: mediaDlqUrl,
        MessageBody: '{"type":"example.media.job"}',
        MessageGroupId: 'conv_1',
        MessageDeduplicationId: 'dead-1',
      }),
    );
    const out = memoryOutput();
    const err = memoryOutput();
    // Act
    const code = await main(['media', '--local', '--hub', hubUrl], { out, err, env: {} });
    // Assess
    expect(err.lines).toEqual([]);
    expect(code).toBe(0);
    expect(out.lines).toEqual([
      `redrive media (local, SQS ${emulators.endpoints.sqs}): received 1, re-sent 1, deleted 1, failed 0`,
    ]);
    expect((await queueDepths(sqs, mediaQueueUrl)).visible).toBe(1);
    expect((await queueDepths(sqs, mediaDlqUrl)).visible).toBe(0);
  });

  it('exits 1 when a message re-sent could not be deleted from the DLQ, which still holds it', async () => {
    // Prepare: the DLQ refuses the delete of the message once it is re-sent
    const { sqs } = emulators.clients;
    const { mediaDlqUrl } = emulators.resources;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: mediaDlqUrl,
        MessageBody: '{"type":"example.media.job"}',
        MessageGroupId: 'conv_2',
        MessageDeduplicationId: 'dead-undeleted',
      }),
    );
    const send = SQSClient.prototype.send;
    const refuseDeletes = vi.spyOn(SQSClient.prototype, 'send').mockImplementation(function (
      this: SQSClient,
      command: unknown,
    ) {
      if (command instanceof DeleteMessageBatchCommand)
        return Promise.resolve({
          Successful: [],
          Failed: (command.input.Entries ?? []).map((entry) => ({
            Id: entry.Id ?? '',
            Code: 'ReceiptHandleIsInvalid',
            SenderFault: true,
          })),
        });
      return (send as (command: unknown) => Promise<unknown>).call(this, command);
    } as typeof send);
    const out = memoryOutput();
    const err = memoryOutput();
    // Act
    const code = await main(['media', '--local', '--hub', hubUrl], { out, err, env: {} }).finally(() =>
      refuseDeletes.mockRestore(),
    );
    // Assess
    expect(out.lines).toEqual([
      `redrive media (local, SQS ${emulators.endpoints.sqs}): received 1, re-sent 1, deleted 0, failed 0`,
    ]);
    expect(code).toBe(1);
  });

  it('says no hub answers (exit 1) rather than asking for AWS_ENDPOINT_URL_SQS', async () => {
    // Prepare
    const silent = `http://127.0.0.1:${await deadPort()}`;
    const out = memoryOutput();
    const err = memoryOutput();
    // Act
    const code = await main(['outbox', '--local', '--hub', silent], { out, err, env: {} });
    // Assess
    expect(code).toBe(1);
    expect(err.lines.join('\n')).toMatch(
      new RegExp(`^no local hub at ${silent} \\(start one with npm start`),
    );
  });
});

describe('npm run redrive -- <queue> against AWS: the region (found by a review)', () => {
  it("takes the queue URL's region when none is configured, for the move task and for a function's redrive", async () => {
    // Act
    const move = await runCli(
      'shared/cli/redrive.ts',
      ['ingest'],
      noRegionEnv({
        SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/acme-ingest.fifo',
      }),
    );
    const invoke = await runCli(
      'shared/cli/redrive.ts',
      ['ses-intake'],
      noRegionEnv({
        SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL:
          'https://sqs.eu-west-1.amazonaws.com/123456789012/acme-ses-dlq',
        SWITCHBOARD_SES_INTAKE_FUNCTION_NAME: 'acme-ses-intake',
      }),
    );
    // Assess: both stop at the credentials this machine lacks, not at the region
    for (const run of [move, invoke]) {
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/Region is missing|MissingRegionError/);
      expect(run.stderr).toMatch(/^redrive failed: CredentialsProviderError/m);
    }
  }, 60_000);
});
