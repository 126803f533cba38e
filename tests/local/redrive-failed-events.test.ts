import { InvokeCommand, type LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { resolveRedriveTarget } from '#shared/cli/redrive.ts';
import { FAILED_EVENT_QUEUES, redriveByInvoking } from '#shared/local/redrive.ts';

/*
 * The SES intake and SES delivery-event functions are invoked asynchronously (by SES, by SNS); an
 * event that fails Lambda's retries waits in the function's dead-letter queue, its body the event
 * itself. SQS cannot move those back (no source queue), so the redrive invokes the function again.
 */

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/acme-EmailIntakeFailedEvents';
const FUNCTION_NAME = 'acme-EmailIntakeFunction';

interface FakeMessage {
  readonly body: string;
  readonly receiptHandle: string;
}

/** An SQS queue in memory: depth, receive (up to MaxNumberOfMessages, each once), delete. */
const fakeQueue = (messages: readonly FakeMessage[]) => {
  const waiting = [...messages];
  const deleted: string[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetQueueAttributesCommand)
        return { Attributes: { ApproximateNumberOfMessages: String(waiting.length) } };
      if (command instanceof ReceiveMessageCommand) {
        const taken = waiting.splice(0, command.input.MaxNumberOfMessages ?? 1);
        return taken.length === 0
          ? {}
          : { Messages: taken.map((m) => ({ Body: m.body, ReceiptHandle: m.receiptHandle })) };
      }
      if (command instanceof DeleteMessageCommand) {
        deleted.push(command.input.ReceiptHandle ?? '');
        return {};
      }
      throw new Error(`unexpected SQS command ${String(command)}`);
    },
  };
  return { sqs: client as unknown as Pick<SQSClient, 'send'>, deleted };
};

const payloadText = (payload: unknown): string =>
  payload instanceof Uint8Array ? new TextDecoder().decode(payload) : String(payload);

/** A Lambda that answers each invoke with the next of `answers` (a status code, or an error thrown). */
const fakeLambda = (answers: ReadonlyArray<number | Error>) => {
  const invoked: { functionName?: string; invocationType?: string; payload: string }[] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof InvokeCommand)) throw new Error('unexpected Lambda command');
      invoked.push({
        functionName: command.input.FunctionName,
        invocationType: command.input.InvocationType,
        payload: payloadText(command.input.Payload),
      });
      const answer = answers[invoked.length - 1] ?? 202;
      if (answer instanceof Error) throw answer;
      return { StatusCode: answer };
    },
  };
  return { lambda: client as unknown as Pick<LambdaClient, 'send'>, invoked };
};

const sesReceipt = (id: string) =>
  JSON.stringify({ Records: [{ eventSource: 'aws:ses', ses: { mail: { messageId: id } } }] });

describe('redriveByInvoking: a Lambda failed-event queue back through its function', () => {
  it('invokes the function asynchronously with each body as the event, and deletes what Lambda accepted', async () => {
    // Prepare
    const { sqs, deleted } = fakeQueue([
      { body: sesReceipt('m1'), receiptHandle: 'r1' },
      { body: sesReceipt('m2'), receiptHandle: 'r2' },
    ]);
    const { lambda, invoked } = fakeLambda([202, 202]);
    // Act
    const result = await redriveByInvoking(sqs, lambda, QUEUE_URL, FUNCTION_NAME);
    // Assess
    expect(result).toEqual({ moved: 2, left: 0 });
    expect(invoked).toEqual([
      { functionName: FUNCTION_NAME, invocationType: 'Event', payload: sesReceipt('m1') },
      { functionName: FUNCTION_NAME, invocationType: 'Event', payload: sesReceipt('m2') },
    ]);
    expect(deleted).toEqual(['r1', 'r2']);
  });

  it('keeps a message Lambda did not accept (status other than 202) and stops there', async () => {
    // Prepare
    const { sqs, deleted } = fakeQueue([
      { body: sesReceipt('m1'), receiptHandle: 'r1' },
      { body: sesReceipt('m2'), receiptHandle: 'r2' },
      { body: sesReceipt('m3'), receiptHandle: 'r3' },
    ]);
    const { lambda, invoked } = fakeLambda([202, 200]);
    // Act
    const result = await redriveByInvoking(sqs, lambda, QUEUE_URL, FUNCTION_NAME);
    // Assess: the third is not tried after the refusal.
    expect(result).toEqual({ moved: 1, left: 2, refused: 'status 200' });
    expect(invoked).toHaveLength(2);
    expect(deleted).toEqual(['r1']);
  });

  it('keeps a message whose invoke failed (throttled) and says why', async () => {
    // Prepare
    const { sqs, deleted } = fakeQueue([{ body: sesReceipt('m1'), receiptHandle: 'r1' }]);
    const throttled = new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: {} });
    const { lambda } = fakeLambda([throttled]);
    // Act
    const result = await redriveByInvoking(sqs, lambda, QUEUE_URL, FUNCTION_NAME);
    // Assess
    expect(result).toEqual({ moved: 0, left: 1, refused: 'TooManyRequestsException: Rate Exceeded.' });
    expect(deleted).toEqual([]);
  });

  it('does nothing with an empty queue', async () => {
    // Prepare
    const { sqs, deleted } = fakeQueue([]);
    const { lambda, invoked } = fakeLambda([]);
    // Act
    const result = await redriveByInvoking(sqs, lambda, QUEUE_URL, FUNCTION_NAME);
    // Assess
    expect(result).toEqual({ moved: 0, left: 0 });
    expect(invoked).toEqual([]);
    expect(deleted).toEqual([]);
  });
});

describe('npm run redrive -- ses-intake|ses-events: what it does with its arguments', () => {
  const intakeEnv = {
    SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL: QUEUE_URL,
    SWITCHBOARD_SES_INTAKE_FUNCTION_NAME: FUNCTION_NAME,
  };

  it('in AWS, takes the failed-event queue URL and the function name from their variables', () => {
    // Prepare / Act
    const intake = resolveRedriveTarget(['ses-intake'], intakeEnv);
    const events = resolveRedriveTarget(['ses-events'], {
      SWITCHBOARD_SES_EVENTS_FAILED_QUEUE_URL: QUEUE_URL,
      SWITCHBOARD_SES_EVENTS_FUNCTION_NAME: 'acme-EmailDeliveryEventsFunction',
    });
    // Assess
    expect(intake).toEqual({
      kind: 'aws-invoke',
      queue: 'ses-intake',
      queueUrl: QUEUE_URL,
      functionName: FUNCTION_NAME,
    });
    expect(events).toEqual({
      kind: 'aws-invoke',
      queue: 'ses-events',
      queueUrl: QUEUE_URL,
      functionName: 'acme-EmailDeliveryEventsFunction',
    });
  });

  it('refuses, naming the variable, when the queue URL or the function name is missing', () => {
    // Prepare / Act
    const noFunction = resolveRedriveTarget(['ses-intake'], {
      SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL: QUEUE_URL,
    });
    const noQueue = resolveRedriveTarget(['ses-events'], {
      SWITCHBOARD_SES_EVENTS_FUNCTION_NAME: FUNCTION_NAME,
    });
    // Assess
    expect(noFunction.kind === 'refused' ? noFunction.message : '').toContain(
      'SWITCHBOARD_SES_INTAKE_FUNCTION_NAME',
    );
    expect(noQueue.kind === 'refused' ? noQueue.message : '').toContain(
      'SWITCHBOARD_SES_EVENTS_FAILED_QUEUE_URL',
    );
  });

  it('refuses --local, --hub and --sqs-endpoint: the local hub has no such queue', () => {
    for (const queue of FAILED_EVENT_QUEUES) {
      for (const flags of [['--local'], ['--hub', 'http://127.0.0.1:4100'], ['--sqs-endpoint', 'http://x']]) {
        // Act
        const target = resolveRedriveTarget([queue, ...flags], intakeEnv);
        // Assess
        expect(target.kind).toBe('refused');
        expect(target.kind === 'refused' ? target.message : '').toMatch(
          /local hub has no .*failed-event queue/,
        );
      }
    }
  });

  it('--help names both and every variable they read', () => {
    // Prepare / Act
    const target = resolveRedriveTarget(['--help'], {});
    const text = target.kind === 'help' ? target.text : '';
    // Assess
    expect(text).toContain('npm run redrive -- <ses-intake|ses-events>');
    for (const variable of [
      'SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL',
      'SWITCHBOARD_SES_INTAKE_FUNCTION_NAME',
      'SWITCHBOARD_SES_EVENTS_FAILED_QUEUE_URL',
      'SWITCHBOARD_SES_EVENTS_FUNCTION_NAME',
    ])
      expect(text).toContain(variable);
  });
});
