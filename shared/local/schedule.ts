import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './apigw-event.ts';
import { LOCAL_REGION } from './local-aws.ts';

/*
 * An EventBridge schedule rule, played locally: invokes a function with the event a rule's
 * schedule delivers, every interval. One invocation at a time: the next starts an interval after
 * the last one ended, so a slow one delays the next instead of overlapping it.
 */

export interface ScheduleOptions {
  readonly ruleName: string;
  readonly intervalMs: number;
  /** Only for the handler's `getRemainingTimeInMillis`; nothing is cut off. */
  readonly timeoutSeconds: number;
  readonly invoke: (
    event: ScheduledEvent,
    context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
  ) => Promise<unknown>;
  /** An invocation failed (only the error: the next one comes at its time anyway). */
  readonly onError?: (error: unknown) => void;
}

export interface RunningSchedule {
  /** Invocations that ended, failed ones included. */
  runs(): number;
  /** Stops the timer and lets the invocation in hand finish. */
  stop(): Promise<void>;
}

/** The event a schedule rule delivers (`time` is whole seconds, as EventBridge writes it). */
const scheduledEventOf = (ruleName: string, time: Date): ScheduledEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: LOCAL_ACCOUNT_ID,
  time: `${time.toISOString().slice(0, 19)}Z`,
  region: LOCAL_REGION,
  resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
  detail: {},
});

export const startSchedule = (options: ScheduleOptions): RunningSchedule => {
  let stopped = false;
  let runs = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = () => {
    running = (async () => {
      const deadline = Date.now() + options.timeoutSeconds * 1000;
      try {
        await options.invoke(scheduledEventOf(options.ruleName, new Date()), {
          awsRequestId: randomUUID(),
          getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        });
      } catch (error) {
        if (!stopped) options.onError?.(error);
      } finally {
        runs += 1;
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      }
    })();
  };
  timer = setTimeout(tick, options.intervalMs);

  return {
    runs: () => runs,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
};
