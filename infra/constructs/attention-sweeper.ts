import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ResponseTargets, responseTargetsText } from '#shared/config/runtime.ts';
import { ATTENTION_SWEEPER, CORE_FUNCTION_SECRET_SECTIONS } from '#shared/resources/definitions.ts';
import { CONVERSATION_PARTITION_PREFIX, PERSON_PARTITION_PREFIX } from '#shared/store/keys.ts';
import { grantIndexQuery, grantSendMessage, grantTableItems } from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface AttentionSweeperProps {
  readonly storage: HubStorage;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * Seconds a customer may wait for an answer, per channel, before `response_overdue`.
   * @default ATTENTION_SWEEPER.responseTargetSeconds from shared/resources/definitions.ts
   */
  readonly responseTargetSeconds?: ResponseTargets;
  /**
   * How often it sweeps: a snooze wakes, and an overdue wait is seen, within this.
   * @default Duration.minutes(ATTENTION_SWEEPER.intervalMinutes) (one minute)
   */
  readonly interval?: Duration;
  /**
   * @default 256
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
 * One sweeper on a schedule rule instead of a schedule per snooze or wait: it reads the sparse
 * attention index each minute, wakes snoozes whose time has come and reports customers waiting past
 * their channel's target, publishing to the helpdesk queue; and retries the provider redactions
 * of erased people that are due (Twilio messages, WhatsApp uploads).
 */
export class AttentionSweeper extends Construct {
  public readonly function: HubFunction;
  public readonly rule: events.Rule;
  /** How often the rule invokes the function: the heartbeat alarm's window follows it (monitoring.ts). */
  public readonly interval: Duration;

  constructor(scope: Construct, id: string, props: AttentionSweeperProps) {
    super(scope, id);
    const { storage } = props;
    this.interval = props.interval ?? Duration.minutes(ATTENTION_SWEEPER.intervalMinutes);

    this.function = new HubFunction(this, 'Function', {
      entryName: 'attention-sweeper',
      description:
        'Switchboard attention sweeper: wakes snoozes, reports answers overdue, retries pending redactions (every minute)',
      runtimeEnvironment: {
        ...props.runtimeEnvironment,
        SWITCHBOARD_RESPONSE_TARGET_SECONDS: responseTargetsText(
          props.responseTargetSeconds ?? ATTENTION_SWEEPER.responseTargetSeconds,
        ),
      },
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(ATTENTION_SWEEPER.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    // A failed sweep is not retried: the next one, a minute later, is its retry. A sweep times out
    // after 50 s, so it has ended when the next is due; two can still run at once now and then (the
    // schedule is precise to the minute, not the second, and an event Lambda throttles waits in its
    // queue up to the maximum age), which costs reads twice and nothing else: every write of the
    // sweep and of the redaction retry is conditional (shared/attention/sweeper.ts).
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Switchboard attention sweep',
      schedule: events.Schedule.rate(this.interval),
      targets: [new targets.LambdaFunction(this.function, { maxEventAge: Duration.minutes(2) })],
    });

    // Exactly what the sweep calls (shared/attention/sweeper.ts), on conversation items only:
    // BatchGetItem (hydrating index entries), GetItem (a conflict read again, a wait read again just
    // before its response_overdue), UpdateItem (a wake, moving an index entry a wake of before
    // 2026-12-05 held, the overdue note, forgetting changes it announced), PutItem and DeleteItem
    // (an announcement marker, put before a wake's save and deleted once what it guards is out:
    // shared/store/pending-announcements.ts); Query of gsi4; the helpdesk queue.
    grantTableItems(
      this.function,
      storage.table,
      [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
      ],
      storage.dataKey,
      { leadingKeyPrefixes: [CONVERSATION_PARTITION_PREFIX] },
    );
    grantIndexQuery(this.function, storage.table, 'gsi4', storage.dataKey);
    grantSendMessage(this.function, storage.helpdesk.queue, storage.dataKey);
    // The retry of erased people's pending redactions (shared/outbound/pending-redaction-retry.ts), on
    // person items only: BatchGetItem (the due ones, found in gsi4), PutItem (one rescheduled),
    // DeleteItem (one done); and the channel secret, for the providers' credentials.
    grantTableItems(
      this.function,
      storage.table,
      ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      storage.dataKey,
      { leadingKeyPrefixes: [PERSON_PARTITION_PREFIX] },
    );
    storage.readChannelSecrets(this.function, CORE_FUNCTION_SECRET_SECTIONS['attention-sweeper']);
  }
}
