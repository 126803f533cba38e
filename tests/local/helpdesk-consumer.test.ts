import { spawn } from 'node:child_process';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { claimCheckKeyFor } from '#shared/aws/claim-check-keys.ts';
import {
  claimCheckReader,
  consume,
  consumerSource,
  ExampleHelpdesk,
  main,
  maxReceiveCountOf,
} from '#shared/cli/helpdesk-consumer.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import { cliAwsRegion, MissingRegionError, regionOfQueueUrl } from '#shared/local/aws-region.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/local-aws.ts';
import { HELPDESK_QUEUE } from '#shared/resources/definitions.ts';
import { noRegionEnv, runCli } from '#tests/support/cli-process.ts';
import { deadPort } from '#tests/support/dead-port.ts';

let emulators: RunningEmulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators.stop();
});

const received = EXAMPLE_EVENTS['switchboard.message.received'];

/** A claim check of `event` as the publishers write it, with its object stored or not. */
const claimCheckOf = async (event: typeof received, stored: boolean): Promise<string> => {
  const json = JSON.stringify(event);
  const { key, sha256 } = claimCheckKeyFor(json, event.subject);
  const bucket = emulators.resources.bucketName;
  if (stored) {
    await emulators.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: json }));
  }
  return JSON.stringify({
    switchboardClaimCheck: { version: 1, bucket, key, sha256, bytes: Buffer.byteLength(json) },
    id: event.id,
    type: event.type,
    subject: event.subject,
  });
};

const send = (body: string, group: string) =>
  emulators.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: emulators.resources.helpdeskQueueUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: `${group}-${body.length}-${Math.random()}`,
    }),
  );

const messagesLeft = async (): Promise<number> => {
  const { Attributes } = await emulators.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: emulators.resources.helpdeskQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

describe('example helpdesk consumer (npm run consume)', () => {
  it('follows a claim check, deletes one whose object was erased, and leaves a body that is no event for the DLQ', async () => {
    // Prepare: a claim-checked event, one whose object is gone (erased), and a body that is no event.
    const erased = { ...received, id: 'evt_erased0000000000000000000000' };
    await send(await claimCheckOf(received, true), 'kept');
    await send(await claimCheckOf(erased, false), 'erased');
    await send('{"not":"an event"}', 'junk');
    const output = memoryOutput();
    const s3 = emulators.clients.s3;
    const fetchObject = async (bucket: string, key: string): Promise<Uint8Array> => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new Error('no body');
      return object.Body.transformToByteArray();
    };

    // Act
    await consume({
      sqs: emulators.clients.sqs,
      queueUrl: emulators.resources.helpdeskQueueUrl,
      helpdesk: new ExampleHelpdesk(output),
      fetchObject,
      waitTimeSeconds: 0,
      maxEmptyPolls: 1,
    });

    // Assess: the kept event handled, the erased one reported and deleted, the junk left alone.
    expect(output.lines.some((line) => line.includes(received.id) && !line.startsWith('lost'))).toBe(true);
    expect(output.lines).toContain(
      `lost: ${erased.id}  ${erased.type}  ${erased.subject}  claim-checked object is gone (deleted)`,
    );
    expect(output.lines.filter((line) => line.startsWith('invalid:'))).toHaveLength(1);
    expect(await messagesLeft()).toBe(1);
  });
});

/**
 * An SQS client answering from memory: the first receive returns `batch` (as SQS may, several messages
 * of one group together), later ones nothing; the receipt handles of deleted messages go to `deleted`,
 * except those named in `refused`, which the batch delete answers as failed.
 */
const batchOnce = (
  batch: readonly Message[],
  deleted: string[],
  refused: readonly string[] = [],
): SQSClient => {
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  let received = false;
  sqs.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName === 'DeleteMessageBatchCommand' && 'Entries' in args.input) {
        const failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
        for (const entry of args.input.Entries ?? []) {
          const handle = 'ReceiptHandle' in entry ? String(entry.ReceiptHandle) : '';
          if (refused.includes(handle))
            failed.push({ Id: String(entry.Id), Code: 'ReceiptHandleIsInvalid', SenderFault: true });
          else deleted.push(handle);
        }
        return { output: { Successful: [], Failed: failed, $metadata: {} }, response: {} };
      }
      const messages = received ? [] : [...batch];
      received = true;
      return { output: { Messages: messages, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'answerFromMemory' },
  );
  return sqs;
};

describe('example helpdesk consumer: per-conversation order', () => {
  it("leaves a group's later messages of the batch undeleted once one of it could not be handled", async () => {
    // Prepare: in group `held`, a claim check whose read fails for now, then two events; `other` beside.
    const second = { ...received, id: 'evt_heldsecond0000000000000000000' };
    const third = { ...received, id: 'evt_heldthird00000000000000000000' };
    const beside = { ...received, id: 'evt_otherbeside000000000000000000' };
    const message = (handle: string, body: string, group: string): Message => ({
      MessageId: `m-${handle}`,
      ReceiptHandle: handle,
      Body: body,
      Attributes: { MessageGroupId: group },
    });
    const deleted: string[] = [];
    const sqs = batchOnce(
      [
        message(
          'held-1',
          await claimCheckOf({ ...received, id: 'evt_heldfirst00000000000000000000' }, false),
          'held',
        ),
        message('other-1', JSON.stringify(beside), 'other'),
        message('held-2', JSON.stringify(second), 'held'),
        message('held-3', JSON.stringify(third), 'held'),
      ],
      deleted,
    );
    const output = memoryOutput();
    const transientlyFailing = async (): Promise<Uint8Array> => {
      throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
    };

    // Act
    await consume({
      sqs,
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo',
      helpdesk: new ExampleHelpdesk(output),
      fetchObject: transientlyFailing,
      waitTimeSeconds: 0,
      maxEmptyPolls: 1,
    });

    // Assess: the other group's event handled and deleted; the held group's later two neither handled nor deleted.
    expect(deleted).toEqual(['other-1']);
    const text = output.lines.join('\n');
    expect(text).toContain(beside.id);
    expect(text).not.toContain(second.id);
    expect(text).not.toContain(third.id);
    expect(output.lines.filter((line) => line.startsWith('held: '))).toEqual([
      'held: m-held-2  behind an earlier message of its group not handled',
      'held: m-held-3  behind an earlier message of its group not handled',
    ]);
  });
});

describe('example helpdesk consumer: a message it gives up on', () => {
  /** A message of group `group` received for the `receives`th time. */
  const message = (handle: string, body: string, group: string, receives: number): Message => ({
    MessageId: `m-${handle}`,
    ReceiptHandle: handle,
    Body: body,
    Attributes: { MessageGroupId: group, ApproximateReceiveCount: String(receives) },
  });
  const second = { ...received, id: 'evt_lastsecond0000000000000000000' };
  const third = { ...received, id: 'evt_lastthird00000000000000000000' };

  it("handles its group's later messages at its last allowed receive, leaving it for the dead-letter queue", async () => {
    // Prepare: a body that is no event at its 10th receive (the queue's maxReceiveCount), two events behind it
    const deleted: string[] = [];
    const sqs = batchOnce(
      [
        message('poison', '{"not":"an event"}', 'g', 10),
        message('second', JSON.stringify(second), 'g', 10),
        message('third', JSON.stringify(third), 'g', 10),
      ],
      deleted,
    );
    const output = memoryOutput();
    // Act
    await consume({
      sqs,
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo',
      helpdesk: new ExampleHelpdesk(output),
      maxReceiveCount: 10,
      waitTimeSeconds: 0,
      maxEmptyPolls: 1,
    });
    // Assess: the two events handled in order and deleted; the poison not deleted, so SQS moves it alone
    expect(deleted).toEqual(['second', 'third']);
    const text = output.lines.join('\n');
    expect(text.indexOf(second.id)).toBeGreaterThan(-1);
    expect(text.indexOf(third.id)).toBeGreaterThan(text.indexOf(second.id));
    expect(output.lines.filter((line) => line.startsWith('held:'))).toEqual([]);
    expect(output.lines).toContain(
      'given up: m-poison  at receive 10 of 10: left for the dead-letter queue, its group goes on',
    );
  });

  it('still holds the group behind it before that receive', async () => {
    // Prepare: the same at its 9th receive
    const deleted: string[] = [];
    const sqs = batchOnce(
      [message('poison', '{"not":"an event"}', 'g', 9), message('second', JSON.stringify(second), 'g', 9)],
      deleted,
    );
    const output = memoryOutput();
    // Act
    await consume({
      sqs,
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo',
      helpdesk: new ExampleHelpdesk(output),
      maxReceiveCount: 10,
      waitTimeSeconds: 0,
      maxEmptyPolls: 1,
    });
    // Assess
    expect(deleted).toEqual([]);
    expect(output.lines).toContain('held: m-second  behind an earlier message of its group not handled');
  });

  it("reads the queue's maxReceiveCount from its redrive policy", async () => {
    // Act
    const count = await maxReceiveCountOf(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);
    const none = await maxReceiveCountOf(emulators.clients.sqs, emulators.resources.helpdeskDlqUrl);
    // Assess
    expect(count).toBe(HELPDESK_QUEUE.maxReceiveCount);
    expect(none).toBeUndefined();
  });
});

describe('example helpdesk consumer: a delete SQS refuses', () => {
  it('reports the message by id and leaves it to come again', async () => {
    // Prepare: two events; the batch delete fails for the second
    const other = { ...received, id: 'evt_undeleted00000000000000000000' };
    const deleted: string[] = [];
    const sqs = batchOnce(
      [
        { MessageId: 'm-one', ReceiptHandle: 'one', Body: JSON.stringify(received) },
        { MessageId: 'm-two', ReceiptHandle: 'two', Body: JSON.stringify(other) },
      ],
      deleted,
      ['two'],
    );
    const output = memoryOutput();
    // Act
    await consume({
      sqs,
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo',
      helpdesk: new ExampleHelpdesk(output),
      waitTimeSeconds: 0,
      maxEmptyPolls: 1,
    });
    // Assess
    expect(deleted).toEqual(['one']);
    expect(output.lines).toContain(
      'undeleted: m-two  ReceiptHandleIsInvalid (comes again; its id is kept, so it is skipped then)',
    );
  });
});

describe('example helpdesk consumer: stopping (Ctrl-C)', () => {
  it('lets the receive in flight end, handling and deleting what it got, so nothing is left invisible', async () => {
    // Prepare: a consumer in a long poll on the empty queue
    const event = { ...received, id: 'evt_duringstop000000000000000000' };
    const output = memoryOutput();
    const stopping = new AbortController();
    const before = await messagesLeft();
    const consuming = consume({
      sqs: emulators.clients.sqs,
      queueUrl: emulators.resources.helpdeskQueueUrl,
      helpdesk: new ExampleHelpdesk(output),
      waitTimeSeconds: 5,
      stopping: stopping.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act: stop, then an event arrives while that poll still waits
    stopping.abort();
    await send(JSON.stringify(event), 'stopping');
    await consuming;
    // Assess: the poll's event was handled and deleted before consume returned
    expect(output.lines.join('\n')).toContain(event.id);
    expect(await messagesLeft()).toBe(before);
  });

  it('quits at once when aborted, the poll in flight cancelled', async () => {
    // Prepare
    const stop = new AbortController();
    const started = Date.now();
    const consuming = consume({
      sqs: emulators.clients.sqs,
      queueUrl: emulators.resources.helpdeskQueueUrl,
      helpdesk: new ExampleHelpdesk(memoryOutput()),
      waitTimeSeconds: 20,
      signal: stop.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act
    stop.abort();
    await consuming;
    // Assess: well before the 20 s poll would have ended
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('npm run consume: Ctrl-C', () => {
  /** A FIFO queue of its own for each test, so no other test's message answers its poll. */
  const queueOfItsOwn = async (name: string): Promise<string> => {
    const { QueueUrl } = await emulators.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: 'true' } }),
    );
    if (!QueueUrl) throw new Error('no queue');
    return QueueUrl;
  };

  /** `npm run consume` (node --import tsx, as package.json runs it) on `queueUrl`. */
  const startConsumer = (queueUrl: string) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'shared/cli/helpdesk-consumer.ts',
        '--queue-url',
        queueUrl,
        '--endpoint',
        emulators.endpoints.sqs,
        '--s3-endpoint',
        emulators.endpoints.s3,
        '--region',
        LOCAL_REGION,
      ],
      {
        env: noRegionEnv({
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const printed = async (text: string): Promise<void> => {
      for (let waited = 0; !stdout.includes(text); waited += 50) {
        if (waited > 30_000) throw new Error(`never printed ${text}: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    return { child, exited, printed, output: () => stdout };
  };

  it('lets the poll in flight end, prints and deletes what it got, then exits 0', async () => {
    // Prepare
    const event = { ...received, id: 'evt_ctrlc0000000000000000000000000' };
    const queueUrl = await queueOfItsOwn('consume-ctrl-c');
    const consumer = startConsumer(queueUrl);
    await consumer.printed('consuming ');
    await new Promise((resolve) => setTimeout(resolve, 700)); // its first long poll under way
    // Act: Ctrl-C, then an event arrives while the poll still waits
    consumer.child.kill('SIGINT');
    await consumer.printed('stopping after the receive in flight');
    await emulators.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(event),
        MessageGroupId: 'ctrl-c',
        MessageDeduplicationId: 'ctrl-c-1',
      }),
    );
    const code = await consumer.exited;
    // Assess: handled, and deleted (nothing left in the queue, visible or in flight)
    expect(code).toBe(0);
    expect(consumer.output()).toContain(event.id);
    const { Attributes } = await emulators.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  }, 60_000);

  it('quits at once, exit 130, on a second Ctrl-C a second after the first', async () => {
    // Prepare
    const consumer = startConsumer(await queueOfItsOwn('consume-ctrl-c-twice'));
    await consumer.printed('consuming ');
    consumer.child.kill('SIGINT');
    await consumer.printed('stopping after the receive in flight');
    // Act
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const second = Date.now();
    consumer.child.kill('SIGINT');
    const code = await consumer.exited;
    // Assess: well before the 20 s poll would have ended
    expect(code).toBe(130);
    expect(Date.now() - second).toBeLessThan(10_000);
  }, 60_000);
});

describe('npm run consume: where it reads', () => {
  const deployedQueue = 'https://sqs.eu-west-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo';
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('with --hub, the hub alone: SWITCHBOARD_HELPDESK_QUEUE_URL is ignored; without it, the environment applies', () => {
    // Prepare
    const env = { SWITCHBOARD_HELPDESK_QUEUE_URL: deployedQueue };
    // Act
    const withHub = consumerSource({ hub: 'http://127.0.0.1:3000' }, env);
    const withoutHub = consumerSource({}, env);
    const nothing = consumerSource({}, {});
    // Assess
    expect(withHub).toEqual({ kind: 'hub', hubUrl: 'http://127.0.0.1:3000', explicit: true });
    expect(withoutHub).toEqual({ kind: 'aws', queueUrl: deployedQueue });
    expect(nothing).toEqual({ kind: 'hub', hubUrl: 'http://127.0.0.1:3000', explicit: false });
  });

  it('a --hub npm took for itself (npm run consume --hub=URL without the --) is refused, reading no queue (found by a README walkthrough)', () => {
    // Prepare: npm keeps `--hub=URL` given before the `--`, sets npm_config_hub and passes nothing on
    const env = { npm_config_hub: 'http://127.0.0.1:3150', SWITCHBOARD_HELPDESK_QUEUE_URL: deployedQueue };
    // Act
    const kept = consumerSource({}, env);
    const passedOn = consumerSource({ hub: 'http://127.0.0.1:3150' }, env);
    // Assess: before, it consumed (and deleted) the deployed queue's events
    expect(kept.kind).toBe('refused');
    expect(kept.kind === 'refused' ? kept.message : '').toContain('npm run consume -- --hub URL');
    expect(passedOn).toEqual({ kind: 'hub', hubUrl: 'http://127.0.0.1:3150', explicit: true });
  });

  it('with --hub that does not answer, exits 1 and consumes nothing, even with SWITCHBOARD_HELPDESK_QUEUE_URL set', async () => {
    // Prepare: a deployed queue left in the environment, and a message waiting on the local one.
    const hubUrl = `http://127.0.0.1:${await deadPort()}`;
    vi.stubEnv('SWITCHBOARD_HELPDESK_QUEUE_URL', emulators.resources.helpdeskQueueUrl);
    const before = await messagesLeft();
    const output = memoryOutput();
    // Act
    const code = await main(['--hub', hubUrl], output);
    // Assess
    expect(code).toBe(1);
    expect(output.lines).toEqual([
      `No local hub answers at ${hubUrl} (--hub): nothing consumed (start it with npm start).`,
    ]);
    expect(await messagesLeft()).toBe(before);
  });
});

describe('npm run consume: --help and unknown options', () => {
  it('prints its usage on --help (exit 0), and why and its usage on an unknown option (exit 2)', async () => {
    // Prepare
    const help = memoryOutput();
    const unknown = memoryOutput();
    // Act
    const helpCode = await main(['--help'], help);
    const unknownCode = await main(['--hubb', 'http://127.0.0.1:3000'], unknown);
    // Assess
    expect(helpCode).toBe(0);
    expect(help.lines).toHaveLength(1);
    expect(help.lines[0]).toMatch(/^usage: npm run consume -- .*\n {2}--hub URL /s);
    expect(unknownCode).toBe(2);
    expect(unknown.lines[0]).toMatch(/^Unknown option '--hubb'/);
    expect(unknown.lines[1]).toBe(help.lines[0]);
  });
});

describe('example helpdesk consumer: a claim check S3 refuses', () => {
  /** An S3 client that refuses every read (403) and lists what `listed` holds. */
  const refusingS3 = (listed: readonly string[]) => ({
    send: vi.fn(async (command: { constructor: { name: string }; input: { Prefix?: string } }) => {
      if (command.constructor.name === 'ListObjectsV2Command')
        return { Contents: listed.filter((key) => key === command.input.Prefix).map((Key) => ({ Key })) };
      throw Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
    }),
  });

  it('takes a 403 for a key the listing does not find as gone, and one it finds as the refusal it is', async () => {
    // Prepare
    const gone = claimCheckReader(refusingS3([]) as never);
    const refused = claimCheckReader(refusingS3(['bodies/events/conv_x/abc.json']) as never);
    // Act
    const goneError = await gone('bucket', 'bodies/events/conv_x/abc.json').catch((error: unknown) => error);
    const refusedError = await refused('bucket', 'bodies/events/conv_x/abc.json').catch(
      (error: unknown) => error,
    );
    // Assess
    expect((goneError as Error).name).toBe('BlobNotFoundError');
    expect((refusedError as Error).name).toBe('AccessDenied');
  });
});

describe('npm run consume against AWS: the region (found by a review)', () => {
  const README_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo';

  it('reads the region an SQS queue URL names, and nothing from a URL that names none', () => {
    // Prepare
    const urls = [
      README_QUEUE,
      'https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q',
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q',
      'http://sqs.us-east-1.localhost:3001/000000000000/helpdesk.fifo',
      'https://sqs.eu-west-1.amazonaws.com.evil.example/123456789012/q',
      'https://sqs.not a region.amazonaws.com/q',
      'not a url',
      `https://sqs.${'a-'.repeat(50_000)}.amazonaws.com/q`,
    ];
    // Act
    const regions = urls.map(regionOfQueueUrl);
    // Assess
    expect(regions).toEqual(['eu-west-1', 'us-gov-west-1', 'cn-north-1', ...Array(5).fill(undefined)]);
  });

  it("takes the queue URL's region first (for the whole process), else the SDK's, else says to set AWS_REGION", async () => {
    // Prepare: a profile (or AWS_REGION) naming another region than the stack's queue
    const env: NodeJS.ProcessEnv = { AWS_REGION: 'us-east-1' };
    const none = async () => undefined;
    const profile = async () => 'us-east-2';
    // Act
    const fromUrl = await cliAwsRegion([undefined, README_QUEUE], env, profile);
    const configured = await cliAwsRegion(['http://127.0.0.1:9324/q'], {}, profile);
    const missing = await cliAwsRegion(['http://127.0.0.1:9324/q'], {}, none).catch((error) => error);
    // Assess: SQS signs for the URL's region, so the URL's wins over the profile's
    expect(fromUrl).toBe('eu-west-1');
    expect(env.AWS_REGION).toBe('eu-west-1');
    expect(configured).toBe('us-east-2');
    expect(missing).toBeInstanceOf(MissingRegionError);
    expect(String(missing.message)).toMatch(/^no AWS region: set AWS_REGION /);
    expect(String(missing.message)).toContain('http://127.0.0.1:9324/q names none');
  });

  it("the README's --queue-url example gets past the region with none configured; a URL naming none says to set AWS_REGION", async () => {
    // Act
    const readme = await runCli(
      'shared/cli/helpdesk-consumer.ts',
      ['--queue-url', README_QUEUE],
      noRegionEnv(),
    );
    const other = await runCli(
      'shared/cli/helpdesk-consumer.ts',
      ['--queue-url', `http://127.0.0.1:${await deadPort()}/000000000000/helpdesk.fifo`],
      noRegionEnv(),
    );
    // Assess: the first stops at the credentials this machine lacks, not at the region
    expect(readme.stdout + readme.stderr).not.toMatch(/Region is missing|MissingRegionError/);
    expect(readme.stdout + readme.stderr).toMatch(/credentials/i);
    expect(other.stderr).toMatch(/^MissingRegionError: no AWS region: set AWS_REGION /m);
    expect(other.stderr).not.toMatch(/Region is missing/);
  }, 60_000);
});
