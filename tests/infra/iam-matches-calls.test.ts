import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFile } from '#infra/bundling/analyze.ts';
import { entryPath, HUB_FUNCTION_ENTRIES, type HubFunctionEntry } from '#infra/bundling/options.ts';
import type { SwitchboardStack } from '#infra/switchboard-stack.ts';
import { ALL_CHANNELS_CONTEXT, actionsOfRole, buildHub, roleIdOf } from './support.ts';

/**
 * Least privilege that matches what the code calls, for every Lambda function at once: the role of
 * each may do exactly the actions of its row in GRANTS (no more, no fewer), and each action a row
 * gives for a call is one the function's bundle makes, in the module the row names; every AWS call a
 * bundle makes (an SDK command, or an operation of the signed clients in shared/aws/signed/) is an
 * action of its row. Adding or removing an action, in the code or in infra/, means changing a row.
 * Resources and conditions are checked by each construct's own test (sender.test.ts and the others).
 *
 * Synthesized with every channel, SES sending, the helpdesk API and the customer-managed key, so
 * that every function and every key action is there.
 */

/** A granted action, with what uses it: the function's own code (a module and the calls it makes there), or AWS. */
type Use = { readonly module: string; readonly calls: readonly string[] } | { readonly by: string };

const code = (module: string, ...calls: string[]): Use => ({ module, calls });
const by = (who: string): Use => ({ by: who });

/** IAM's action for each call the hub makes (SDK commands without `Command`, signed operations by name). */
const ACTIONS_OF_CALL: Readonly<Record<string, readonly string[]>> = {
  GetItem: ['dynamodb:GetItem'],
  BatchGetItem: ['dynamodb:BatchGetItem'],
  PutItem: ['dynamodb:PutItem'],
  UpdateItem: ['dynamodb:UpdateItem'],
  DeleteItem: ['dynamodb:DeleteItem'],
  BatchWriteItem: ['dynamodb:BatchWriteItem'],
  Query: ['dynamodb:Query'],
  SendMessage: ['sqs:SendMessage'],
  SendMessageBatch: ['sqs:SendMessage'],
  ChangeMessageVisibility: ['sqs:ChangeMessageVisibility'],
  ChangeMessageVisibilityBatch: ['sqs:ChangeMessageVisibility'],
  GetObject: ['s3:GetObject'],
  // HeadObject is authorized as s3:GetObject.
  HeadObject: ['s3:GetObject'],
  PutObject: ['s3:PutObject'],
  // A multipart upload's calls are s3:PutObject in IAM, but its abort.
  CreateMultipartUpload: ['s3:PutObject'],
  UploadPart: ['s3:PutObject'],
  CompleteMultipartUpload: ['s3:PutObject'],
  AbortMultipartUpload: ['s3:AbortMultipartUpload'],
  DeleteObjects: ['s3:DeleteObject'],
  ListObjectsV2: ['s3:ListBucket'],
  ListMultipartUploads: ['s3:ListBucketMultipartUploads'],
  GetSecretValue: ['secretsmanager:GetSecretValue'],
  PutSecretValue: ['secretsmanager:PutSecretValue'],
  // SESv2 SendEmail with raw content is authorized as both.
  SendEmail: ['ses:SendEmail', 'ses:SendRawEmail'],
};

const LOGS: Record<string, Use> = {
  'logs:CreateLogStream': by('Lambda, writing the function’s log group'),
  'logs:PutLogEvents': by('Lambda, writing the function’s log group'),
};
/** Lambda's SQS event source mapping polls with the function's role (grants.ts, addQueueTrigger). */
const QUEUE_TRIGGER: Record<string, Use> = {
  'sqs:ReceiveMessage': by('Lambda’s event source mapping'),
  'sqs:DeleteMessage': by('Lambda’s event source mapping'),
  'sqs:GetQueueAttributes': by('Lambda’s event source mapping'),
};
const KMS_DECRYPT = by(
  'SQS (a receive, or a send to a queue under the data key), Secrets Manager (a read), DynamoDB (the table key)',
);
const KMS_GENERATE = by('SQS, a send to a queue under the data key (Secrets Manager, a PutSecretValue)');
const KMS_ENCRYPT = by('DynamoDB, the table key (grants.ts, grantTableItems)');

/** A webhook: the signed clients' calls only (shared/aws/signed/), with its provider's secret. */
const WEBHOOK: Record<string, Use> = {
  ...LOGS,
  'sqs:SendMessage': code('shared/aws/signed/sqs.ts', 'SendMessageBatch'),
  's3:PutObject': code('shared/aws/signed/s3.ts', 'PutObject'),
  'secretsmanager:GetSecretValue': code('shared/aws/signed/secrets-manager.ts', 'GetSecretValue'),
  'kms:Decrypt': KMS_DECRYPT,
  'kms:GenerateDataKey': KMS_GENERATE,
};

interface FunctionRow {
  readonly of: (stack: SwitchboardStack) => { readonly role?: IConstruct } | undefined;
  readonly grants: Readonly<Record<string, Use>>;
  /** Calls its bundle holds that no path of the function takes (another method of a class it uses), with why. */
  readonly unreachable?: Readonly<Record<string, string>>;
}

/** Every Lambda function of the hub: each action its role may do, and what uses it. */
const GRANTS: Readonly<Record<HubFunctionEntry, FunctionRow>> = {
  'webhook-messenger': { of: (stack) => stack.webhooks.messenger?.function, grants: WEBHOOK },
  'webhook-whatsapp': { of: (stack) => stack.webhooks.whatsapp?.function, grants: WEBHOOK },
  'webhook-sms-twilio': { of: (stack) => stack.webhooks.sms?.function, grants: WEBHOOK },
  'webhook-email-mailgun': {
    of: (stack) => stack.webhooks['email-mailgun']?.function,
    grants: {
      ...WEBHOOK,
      // The replay guard's conditional put.
      'dynamodb:PutItem': code('shared/aws/signed/dynamodb.ts', 'PutItem'),
      'kms:Encrypt': KMS_ENCRYPT,
    },
  },
  'email-ses': {
    of: (stack) => stack.emailIntake?.function,
    grants: {
      ...LOGS,
      // To the ingest queue, and Lambda's own send of a failed invocation to FailedEvents.
      'sqs:SendMessage': code('shared/aws/signed/sqs.ts', 'SendMessageBatch'),
      // The mail SES stored under ses-inbound/.
      's3:GetObject': code('shared/aws/blob-store.ts', 'GetObject'),
      's3:PutObject': code('shared/aws/blob-store.ts', 'PutObject'),
      'secretsmanager:GetSecretValue': code('shared/aws/secrets.ts', 'GetSecretValue'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  recorder: {
    of: (stack) => stack.recorder.function,
    grants: {
      ...LOGS,
      ...QUEUE_TRIGGER,
      'dynamodb:GetItem': code('shared/store/conversations.ts', 'GetItem'),
      'dynamodb:BatchGetItem': code('shared/store/table.ts', 'BatchGetItem'),
      'dynamodb:PutItem': code('shared/store/messages.ts', 'PutItem'),
      'dynamodb:UpdateItem': code('shared/store/conversations.ts', 'UpdateItem'),
      // A kept opt-out moved to its keyed key.
      'dynamodb:DeleteItem': code('shared/store/suppressions.ts', 'DeleteItem'),
      // A customer's identifiers; a conversation's send records (gsi3).
      'dynamodb:Query': code('shared/store/sends.ts', 'Query'),
      // The helpdesk and media queues; a poisoned record to the ingest DLQ.
      'sqs:SendMessage': code('shared/aws/dead-letter.ts', 'SendMessage'),
      // Claim checks: read, written for large events, listed to tell a missing one.
      's3:GetObject': code('shared/aws/blob-store.ts', 'GetObject'),
      's3:PutObject': code('shared/aws/blob-store.ts', 'PutObject'),
      's3:ListBucket': code('shared/aws/missing-object.ts', 'ListObjectsV2'),
      // The pseudonym key.
      'secretsmanager:GetSecretValue': code('shared/aws/secrets.ts', 'GetSecretValue'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:Encrypt': KMS_ENCRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  'media-fetcher': {
    of: (stack) => stack.mediaFetcher.function,
    grants: {
      ...LOGS,
      ...QUEUE_TRIGGER,
      // A job backing off.
      'sqs:ChangeMessageVisibility': code('shared/media/wiring.ts', 'ChangeMessageVisibility'),
      'dynamodb:GetItem': code('shared/store/media-fetches.ts', 'GetItem'),
      'dynamodb:UpdateItem': code('shared/store/media-fetches.ts', 'UpdateItem'),
      'sqs:SendMessage': code('shared/aws/sqs-event-publisher.ts', 'SendMessageBatch'),
      // The attachment (single or multipart) and large events' claim checks.
      's3:PutObject': code('shared/media/upload.ts', 'PutObject', 'CreateMultipartUpload', 'UploadPart'),
      's3:AbortMultipartUpload': code('shared/media/upload.ts', 'AbortMultipartUpload'),
      // An attachment stored for a part that turned out not to be one.
      's3:DeleteObject': code('shared/aws/blob-store.ts', 'DeleteObjects'),
      // The Graph API's and Twilio's credentials.
      'secretsmanager:GetSecretValue': code('shared/aws/secrets.ts', 'GetSecretValue'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:Encrypt': KMS_ENCRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
    unreachable: {
      'shared/aws/blob-store.ts: GetObject': 'S3BlobStore.get: the fetcher’s store only puts claim checks',
    },
  },
  sender: {
    of: (stack) => stack.sender.function,
    grants: {
      ...LOGS,
      ...QUEUE_TRIGGER,
      // A command backing off from a provider.
      'sqs:ChangeMessageVisibility': code('shared/outbound/wiring.ts', 'ChangeMessageVisibilityBatch'),
      'dynamodb:GetItem': code('shared/store/sends.ts', 'GetItem'),
      'dynamodb:BatchGetItem': code('shared/store/table.ts', 'BatchGetItem'),
      'dynamodb:PutItem': code('shared/store/sends.ts', 'PutItem'),
      'dynamodb:UpdateItem': code('shared/store/sends.ts', 'UpdateItem'),
      'dynamodb:DeleteItem': code('shared/store/suppressions.ts', 'DeleteItem'),
      // gsi2 (the message a reply answers), gsi3, contacts' and identifiers' partitions.
      'dynamodb:Query': code('shared/store/messages.ts', 'Query'),
      // The helpdesk queue; a command that cannot be read to the outbox DLQ.
      'sqs:SendMessage': code('shared/aws/dead-letter.ts', 'SendMessage'),
      // A file a send names: HeadObject before signing a link to it, GetObject, a listing to tell a missing one.
      's3:GetObject': code('shared/aws/media-objects.ts', 'HeadObject', 'GetObject'),
      's3:ListBucket': code('shared/aws/missing-object.ts', 'ListObjectsV2'),
      // Large events' claim checks.
      's3:PutObject': code('shared/aws/blob-store.ts', 'PutObject'),
      'secretsmanager:GetSecretValue': code('shared/aws/secrets.ts', 'GetSecretValue'),
      'ses:SendEmail': code('shared/channels/email/outbound/ses-sender.ts', 'SendEmail'),
      'ses:SendRawEmail': code('shared/channels/email/outbound/ses-sender.ts', 'SendEmail'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:Encrypt': KMS_ENCRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  'email-ses-events': {
    of: (stack) => stack.emailDeliveryEvents?.function,
    grants: {
      ...LOGS,
      // To the ingest queue, and Lambda's own send of a failed invocation to FailedEvents.
      'sqs:SendMessage': code('shared/aws/signed/sqs.ts', 'SendMessageBatch'),
      's3:PutObject': code('shared/aws/signed/s3.ts', 'PutObject'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  'attention-sweeper': {
    of: (stack) => stack.attentionSweeper.function,
    grants: {
      ...LOGS,
      'dynamodb:GetItem': code('shared/store/conversations.ts', 'GetItem'),
      'dynamodb:BatchGetItem': code('shared/store/table.ts', 'BatchGetItem'),
      'dynamodb:PutItem': code('shared/store/pending-redactions.ts', 'PutItem'),
      'dynamodb:UpdateItem': code('shared/store/conversations.ts', 'UpdateItem'),
      'dynamodb:DeleteItem': code('shared/store/pending-announcements.ts', 'DeleteItem'),
      // gsi4: attention entries and pending redactions.
      'dynamodb:Query': code('shared/store/helpdesk-queries.ts', 'Query'),
      'sqs:SendMessage': code('shared/aws/sqs-event-publisher.ts', 'SendMessage'),
      // The providers' credentials for a redaction retried.
      'secretsmanager:GetSecretValue': code('shared/aws/secrets.ts', 'GetSecretValue'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:Encrypt': KMS_ENCRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  'helpdesk-api': {
    of: (stack) => stack.helpdeskApi?.function,
    grants: {
      ...LOGS,
      'dynamodb:GetItem': code('shared/store/conversations.ts', 'GetItem'),
      'dynamodb:BatchGetItem': code('shared/store/table.ts', 'BatchGetItem'),
      'dynamodb:PutItem': code('shared/store/send-reservations.ts', 'PutItem'),
      'dynamodb:UpdateItem': code('shared/store/conversations.ts', 'UpdateItem'),
      'dynamodb:DeleteItem': code('shared/store/person-merges.ts', 'DeleteItem'),
      // Erasure's deletes.
      'dynamodb:BatchWriteItem': code('shared/store/table.ts', 'BatchWriteItem'),
      'dynamodb:Query': code('shared/store/helpdesk-queries.ts', 'Query'),
      // The helpdesk queue and the outbox.
      'sqs:SendMessage': code('shared/api/wiring.ts', 'SendMessage'),
      // Attachment URLs: HeadObject, presigned GETs and PUTs.
      's3:GetObject': code('shared/aws/media-objects.ts', 'HeadObject', 'GetObject'),
      's3:PutObject': code('shared/aws/media-objects.ts', 'PutObject'),
      // Erasure: a conversation's objects listed and deleted, the uploads left under its attachments aborted.
      's3:ListBucket': code('shared/aws/blob-store.ts', 'ListObjectsV2'),
      's3:DeleteObject': code('shared/aws/blob-store.ts', 'DeleteObjects'),
      's3:ListBucketMultipartUploads': code('shared/aws/blob-store.ts', 'ListMultipartUploads'),
      's3:AbortMultipartUpload': code('shared/aws/blob-store.ts', 'AbortMultipartUpload'),
      // The providers' credentials (erasure's redactions) and the pseudonym key.
      'secretsmanager:GetSecretValue': code('shared/aws/secrets.ts', 'GetSecretValue'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:Encrypt': KMS_ENCRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  'ingest-spill-drain': {
    of: (stack) => stack.ingestSpill.function,
    grants: {
      ...LOGS,
      // The webhooks' publisher: the ingest queue, and the claim check of an event too large for it.
      'sqs:SendMessage': code('shared/aws/signed/sqs.ts', 'SendMessageBatch'),
      's3:PutObject': code('shared/aws/signed/s3.ts', 'PutObject'),
      // The spill objects: listed, read, deleted once queued.
      's3:ListBucket': code('shared/aws/blob-store.ts', 'ListObjectsV2'),
      's3:GetObject': code('shared/aws/blob-store.ts', 'GetObject'),
      's3:DeleteObject': code('shared/aws/blob-store.ts', 'DeleteObjects'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
  'channel-secret-upgrade': {
    of: (stack) => stack.channelSecretUpgrade.function,
    grants: {
      ...LOGS,
      'secretsmanager:GetSecretValue': code('shared/aws/channel-secret-upgrade-lambda.ts', 'GetSecretValue'),
      'secretsmanager:PutSecretValue': code('shared/aws/channel-secret-upgrade-lambda.ts', 'PutSecretValue'),
      'kms:Decrypt': KMS_DECRYPT,
      'kms:GenerateDataKey': KMS_GENERATE,
    },
  },
};

/** An AWS call in a bundle: an SDK command made (`new GetObjectCommand(`), or a signed client's operation (`.call("PutObject"`). */
const CALL = /new (?:[\w$]+\.)?(\w+?)Command\d*\(|\.call\(\s*"(\w+)"/g;
/** esbuild's marker of the module whose code follows, in an unminified bundle. */
const MODULE = /^\/\/ (\S+\.[cm]?[jt]s)$/;

/** `module: Call` for every AWS call the first-party code of a bundle makes (not the SDK's own, such as its waiters). */
const callsIn = (bundle: string): Set<string> => {
  const calls = new Set<string>();
  let module = '';
  for (const line of bundle.split('\n')) {
    const marker = MODULE.exec(line);
    if (marker) {
      module = marker[1] ?? '';
      continue;
    }
    if (!module.startsWith('shared/') && !module.startsWith('functions/')) continue;
    for (const match of line.matchAll(CALL)) calls.add(`${module}: ${match[1] ?? match[2]}`);
  }
  return calls;
};

// Prepare (once per file)
const { stack, template } = buildHub({
  ...ALL_CHANNELS_CONTEXT,
  helpdeskApi: 'true',
  customerManagedKey: 'true',
});
const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-iam-calls-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const roleOf = (entry: HubFunctionEntry): string => {
  const fn = GRANTS[entry].of(stack);
  if (!fn) throw new Error(`${entry}: not in the stack`);
  return roleIdOf(fn);
};

describe('least-privilege IAM that matches what the code calls', () => {
  it('has a row for every Lambda function of the stack', () => {
    // Act
    const roles = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
    );
    // Assess
    expect(Object.keys(GRANTS).sort()).toEqual([...HUB_FUNCTION_ENTRIES].sort());
    expect(roles.sort()).toEqual(HUB_FUNCTION_ENTRIES.map(roleOf).sort());
  });

  it.each(HUB_FUNCTION_ENTRIES)('lets %s do exactly the actions of its row', (entry) => {
    // Act
    const actions = actionsOfRole(template, roleOf(entry));
    // Assess
    expect(actions).toEqual(Object.keys(GRANTS[entry].grants).sort());
  });

  it('grants each function every action its code calls, and no call action its code does not make', async () => {
    // Prepare
    const findings: Record<string, Record<string, string[]>> = {};
    for (const entry of HUB_FUNCTION_ENTRIES) {
      const row = GRANTS[entry];
      const { file } = await bundleFile(entry, entryPath(entry), outdir, { minify: false });
      // Act
      const calls = [...callsIn(readFileSync(file, 'utf8'))].filter((call) => !row.unreachable?.[call]);
      const actionsOf = (call: string) => ACTIONS_OF_CALL[call.split(': ')[1] ?? ''];
      const claimed = Object.entries(row.grants).flatMap(([action, use]) =>
        'module' in use ? use.calls.map((call) => ({ action, call: `${use.module}: ${call}` })) : [],
      );
      const found = {
        // A call ACTIONS_OF_CALL does not know: map it to its IAM action(s).
        unknownCalls: calls.filter((call) => !actionsOf(call)),
        // What AWS would refuse.
        callsNotGranted: calls.filter((call) => actionsOf(call)?.some((action) => !row.grants[action])),
        // A row's call the bundle does not make there: excess, or the row names the wrong module.
        namedButNotMade: claimed.filter(({ call }) => !calls.includes(call)).map(({ call }) => call),
        namedForAnotherAction: claimed
          .filter(({ action, call }) => !actionsOf(call)?.includes(action))
          .map(({ action, call }) => `${action} ← ${call}`),
      };
      const nonEmpty = Object.entries(found).filter(([, list]) => list.length > 0);
      if (nonEmpty.length > 0) findings[entry] = Object.fromEntries(nonEmpty);
    }
    // Assess
    expect(findings).toEqual({});
  }, 180_000);
});
