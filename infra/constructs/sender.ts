import { Arn, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { MAILGUN_API_BASE_URLS, type MailgunRegion } from '#shared/channels/email/outbound/mailgun-api.ts';
import { CORE_FUNCTION_SECRET_SECTIONS, PAYLOAD_BUCKET, SENDER } from '#shared/resources/definitions.ts';
import { CONTACT_PARTITION_PREFIX, IDENTITY_PARTITION_PREFIX } from '#shared/store/keys.ts';
import {
  addQueueTrigger,
  grantGetPayloads,
  grantIndexQuery,
  grantKeptOptOutDeletes,
  grantListPayloads,
  grantPartitionQuery,
  grantPutPayloads,
  grantReadSecret,
  grantSendMessage,
  grantTableItems,
} from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

/**
 * What the sender sends to the table itself (its indexes and the Queries of partitions are granted apart:
 * grantIndexQuery, SENDER_QUERY_PARTITION_PREFIXES): items read and written, and BatchGetItem for a
 * command's send record with its conversation and for a contact's consent with its kept opt-outs
 * (and a DeleteItem of a legacy one it moves, granted apart: grantKeptOptOutDeletes).
 * tests/bench/outbound-send-counts.test.ts checks a send's calls against it.
 */
/**
 * The partitions the sender queries on the table itself: a channel contact's (`CONTACT#…`: its
 * consent ledger, read only where a consent register holds a HELP an older version wrote) and a
 * WhatsApp customer's identifiers' (`IDENT#…`: read when the conversation of a message it sent
 * vanished between its read and its write, an erasure meanwhile, as the recording then follows the
 * customer as the recorder does: shared/recorder/record-event.ts, findLinked; before 2026-12-05 not
 * granted, found by a review). tests/outbound/send-record-vanished.test.ts checks its Queries against it.
 */
export const SENDER_QUERY_PARTITION_PREFIXES = [CONTACT_PARTITION_PREFIX, IDENTITY_PARTITION_PREFIX] as const;

/**
 * The indexes the sender queries: gsi2 (the e-mail a reply answers, the WhatsApp message a typing indicator answers)
 * and gsi3 (a person's merges and conversations, when the recording of a sent message follows the customer into
 * another conversation filed under a merged person: record-event.ts, linkPerson; the conversation vanished between
 * the sender's read and its write. Before 2026-12-07 not granted: AWS would have refused it, and the command would
 * have ended `provider_error` after the message went). tests/outbound/send-record-vanished.test.ts checks its
 * Queries against it.
 */
export const SENDER_QUERY_INDEXES = ['gsi2', 'gsi3'] as const;

export const SENDER_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

export interface SenderProps {
  readonly storage: HubStorage;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * The domain the hub sends e-mail from through SES (a verified identity in this account and
   * region); the sender may send from it only, through the hub's configuration set.
   * @default none (no SES sending: e-mail replies go through Mailgun, or fail `credentials`)
   */
  readonly sesSendingDomain?: string;
  /**
   * Where Twilio posts the statuses of the hub's sends: the SMS webhook's public URL.
   * @default none (Twilio sends without status callbacks; an unanswered send cannot be reconciled)
   */
  readonly twilioStatusCallbackUrl?: string;
  /**
   * Commands per invocation (FIFO event sources accept at most 10).
   * @default SENDER.batchSize from shared/resources/definitions.ts
   */
  readonly batchSize?: number;
  /**
   * Upper bound on concurrent sender invocations (2–1000); each takes this share of an endpoint's
   * provider rate (SENDER.endpointRatesPerSecond), so together they stay under it.
   * @default SENDER.maxConcurrency from shared/resources/definitions.ts
   */
  readonly maxConcurrency?: number;
  /**
   * Messages per second each WhatsApp Cloud API number is sent, all environments together (1–1,000:
   * Meta starts a number at 80 and upgrades it to 1,000).
   * @default SENDER.endpointRatesPerSecond.whatsapp from shared/resources/definitions.ts
   */
  readonly whatsappNumberRate?: number;
  /**
   * The Mailgun region of the sending domain: its messages API answers only there.
   * @default 'us'
   */
  readonly mailgunRegion?: MailgunRegion;
  /**
   * Quote the customer message a Messenger or Instagram reply answers (`reply_to`, which the Graph
   * API's Page messages reference lists and the Send API guide does not describe): `false` turns it
   * off for a deployment whose replies Meta refuses for it.
   * @default true
   */
  readonly messengerReplyQuotes?: boolean;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The outbox's consumer: sends the helpdesk's commands through the providers, at most one provider
 * request per message, and ends each send command in one event on the helpdesk queue. With SES it
 * also owns the configuration set whose events (delivery, bounce, complaint) come back as statuses.
 */
export class Sender extends Construct {
  public readonly function: HubFunction;
  public readonly trigger: lambda.EventSourceMapping;
  /** Present with `sesSendingDomain`: every SES send goes through it, so its events reach the hub. */
  public readonly configurationSet?: ses.ConfigurationSet;

  constructor(scope: Construct, id: string, props: SenderProps) {
    super(scope, id);
    const { storage } = props;

    if (props.sesSendingDomain) {
      this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
        // Not SES's own suppression of the account's list alone: the hub tracks consent itself too.
        reputationMetrics: true,
      });
    }

    this.function = new HubFunction(this, 'Function', {
      entryName: 'sender',
      description: 'Switchboard sender: outbox queue → providers → helpdesk queue',
      runtimeEnvironment: {
        ...props.runtimeEnvironment,
        // Its own queue: a command backing off from a provider is made visible again when its backoff
        // ends (ChangeMessageVisibility, in the event source's consume grant on this queue alone).
        SWITCHBOARD_OUTBOX_QUEUE_URL: storage.outbox.queue.queueUrl,
        SWITCHBOARD_OUTBOX_DLQ_URL: storage.outbox.deadLetterQueue.queueUrl,
        // A send's consent check reads the contact's kept opt-outs, filed under the pseudonym key.
        SWITCHBOARD_PSEUDONYM_KEY_ARN: storage.pseudonymKey.secretArn,
        // Each environment takes this share of an endpoint's provider rate.
        SWITCHBOARD_SENDER_CONCURRENCY: String(props.maxConcurrency ?? SENDER.maxConcurrency),
        ...(props.whatsappNumberRate === undefined
          ? {}
          : { SWITCHBOARD_WHATSAPP_NUMBER_RATE: String(props.whatsappNumberRate) }),
        ...(props.messengerReplyQuotes === false ? { SWITCHBOARD_MESSENGER_REPLY_QUOTES: 'false' } : {}),
        ...(props.twilioStatusCallbackUrl
          ? { SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL: props.twilioStatusCallbackUrl }
          : {}),
        ...(this.configurationSet
          ? { SWITCHBOARD_SES_CONFIGURATION_SET: this.configurationSet.configurationSetName }
          : {}),
        // An e-mail conversation that names no provider (recorded before conversations kept theirs)
        // is answered through SES where the hub may send with it, else through Mailgun: before
        // 2026-12-05 it was SES always, and a Mailgun-only deployment ended such replies `credentials`.
        SWITCHBOARD_EMAIL_PROVIDER: props.sesSendingDomain ? 'ses' : 'mailgun',
        SWITCHBOARD_MAILGUN_API_URL: MAILGUN_API_BASE_URLS[props.mailgunRegion ?? 'us'],
      },
      memorySize: props.memorySize ?? SENDER.memoryMb,
      timeout: Duration.seconds(SENDER.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });

    this.trigger = addQueueTrigger(this.function, storage.outbox.queue, {
      batchSize: props.batchSize ?? SENDER.batchSize,
      maxConcurrency: props.maxConcurrency ?? SENDER.maxConcurrency,
      changesVisibility: true,
    });

    // Exactly what the sender calls: its send records, the conversation, consent and message items
    // (shared/store/sends.ts, conversations.ts, contacts.ts, messages.ts), the recorder's writes for
    // the sent message, and the indexes of SENDER_QUERY_INDEXES.
    grantTableItems(this.function, storage.table, SENDER_TABLE_ACTIONS, storage.dataKey);
    for (const index of SENDER_QUERY_INDEXES)
      grantIndexQuery(this.function, storage.table, index, storage.dataKey);
    grantSendMessage(this.function, storage.helpdesk.queue, storage.dataKey);
    grantSendMessage(this.function, storage.outbox.deadLetterQueue, storage.dataKey);
    grantPutPayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.claimCheckPrefix]);
    // Files a send names (shared/outbound/stored-media.ts): HeadObject and GetObject, and the
    // presigned links it hands Twilio and Messenger, which act with this role. Listing under the same
    // prefixes should make S3 answer 404, not 403, for a key that does not exist; where it answers
    // 403 anyway, the sender lists the key itself (shared/aws/missing-object.ts).
    const sendable = [PAYLOAD_BUCKET.prefixes.outboundMedia, PAYLOAD_BUCKET.prefixes.attachments];
    grantGetPayloads(this.function, storage.payloadBucket, sendable);
    grantListPayloads(this.function, storage.payloadBucket, sendable);
    storage.readChannelSecrets(this.function, CORE_FUNCTION_SECRET_SECTIONS.sender);
    // The pseudonym key the kept opt-outs are filed under (read once per environment), and deleting
    // a legacy kept opt-out once moved to the keyed key.
    grantReadSecret(this.function, storage.pseudonymKey, storage.dataKey);
    grantKeptOptOutDeletes(this.function, storage.table, storage.dataKey);
    grantPartitionQuery(this.function, storage.table, SENDER_QUERY_PARTITION_PREFIXES, storage.dataKey);

    if (props.sesSendingDomain && this.configurationSet) {
      const stack = Stack.of(this);
      const arnOf = (resource: string, resourceName: string) =>
        Arn.format({ service: 'ses', resource, resourceName }, stack);
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          // SESv2 SendEmail with raw content is authorized as both actions, on the identity and the configuration set.
          actions: ['ses:SendEmail', 'ses:SendRawEmail'],
          resources: [
            arnOf('identity', props.sesSendingDomain),
            arnOf('configuration-set', this.configurationSet.configurationSetName),
          ],
        }),
      );
    }
  }
}
