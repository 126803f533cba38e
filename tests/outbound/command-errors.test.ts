import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEventOf } from '#shared/contract/types.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { endpointPauseKey, sendKey } from '#shared/store/keys.ts';
import {
  HARNESS_LIMITS,
  type Keys,
  openCustomerConversation,
  outcomesOf,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
  type Write,
} from './harness.ts';

/*
 * CommandErrors (the SenderErrors alarm) counts every outbox record the sender leaves for
 * redelivery because a call of its own failed: DynamoDB refusing its bookkeeping before or after
 * the provider call (also when the provider took nothing and the command would have come back
 * anyway), the helpdesk queue refusing the outcome event, Secrets Manager; once per failed record
 * and receive, however often the write was tried within it. So does a command that ends all the same
 * with its endpoint's pause refused through the invocation (kept in its environment's memory only).
 * A wait for a provider is no error.
 * Through all of it, one provider request and one outcome event.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

const credentials: SendOutcome = {
  kind: 'credentials',
  error: { code: '190', title: 'Error validating access token: Session has expired' },
};
const throttled: SendOutcome = { kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } };
const refused: SendOutcome = {
  kind: 'refused',
  reason: 'content_invalid',
  retryable: false,
  error: { code: '100', title: 'Invalid parameter' },
};

/** A write to the send record of `hubMessageId` whose update expression starts with `prefix` (see SendStore). */
const sendUpdate =
  (hubMessageId: string, prefix: string) =>
  ({ commandName, input }: Write) => {
    const update = input as { Key?: Keys; UpdateExpression?: string };
    return (
      commandName === 'UpdateItemCommand' &&
      update.Key?.pk?.S === `MSG#${hubMessageId}` &&
      update.UpdateExpression?.startsWith(prefix) === true
    );
  };
/** The sent mark (`SendStore.markSent`), after the sent message is recorded. */
const sentMarkOf = (hubMessageId: string) => sendUpdate(hubMessageId, 'SET #state = :sent');
/** The failure (`SendStore.fail`). */
const failureOf = (hubMessageId: string) => sendUpdate(hubMessageId, 'SET #state = :failed');
/** The release after a provider took nothing (`SendStore.release`). */
const releaseOf = (hubMessageId: string) => sendUpdate(hubMessageId, 'SET waitingSince');
/** An endpoint's pause item (`EndpointPauses.pause`). */
const pauseWrite = ({ commandName, input }: Write) =>
  commandName === 'PutItemCommand' && ((input as { Item?: Keys }).Item?.pk?.S?.startsWith('PAUSE#') ?? false);

describe('CommandErrors', () => {
  const hub = useOutboundHarness();
  let customer = 0;
  let faults = 0;

  const openConversation = async () =>
    (await openCustomerConversation(hub, { prefix: '4915554', tag: 'ce' }, ++customer)).conversationId;

  /** A sender over the harness's emulators, and what it counted in CommandErrors so far. */
  const countingSender = (
    overrides: Parameters<typeof hub.sender>[1] = {},
    afterStep?: Parameters<typeof hub.sender>[0],
  ) => {
    const counted: number[] = [];
    const sender = hub.sender(afterStep, { ...overrides, onCommandError: (n) => counted.push(n) });
    return { sender, counted: () => counted.reduce((sum, n) => sum + n, 0) };
  };

  /** A throttled request as it reaches the caller after the SDK's retries. */
  const throttling = () =>
    Object.assign(new Error('injected'), { name: 'ThrottlingException', $metadata: {} });

  /** Makes the emulators' `client` refuse every request `target` matches until disarmed. */
  const refusing = (client: 'dynamodb' | 'sqs', target: (request: Write) => boolean) => {
    faults += 1;
    const name = `refuse-for-command-errors-${faults}`;
    let refusedCount = 0;
    const refuses = (request: Write) => {
      if (!target(request)) return false;
      refusedCount += 1;
      return true;
    };
    const { clients } = hub.pipeline.emulators;
    // The same middleware on either client (their stacks' types do not unite).
    if (client === 'dynamodb')
      clients.dynamodb.middlewareStack.add(
        (next, { commandName }) =>
          async (args) => {
            if (refuses({ commandName, input: args.input })) throw throttling();
            return next(args);
          },
        { step: 'initialize', name },
      );
    else
      clients.sqs.middlewareStack.add(
        (next, { commandName }) =>
          async (args) => {
            if (refuses({ commandName, input: args.input })) throw throttling();
            return next(args);
          },
        { step: 'initialize', name },
      );
    return {
      refused: () => refusedCount,
      disarm: () => {
        clients[client].middlewareStack.remove(name);
      },
    };
  };
  const refusingDynamoDb = (target: (write: Write) => boolean) => refusing('dynamodb', target);

  /**
   * Lifts the pause of the endpoint the command under `key` sends from, as a person would (the other
   * tests send from the same business number): until when it held, if it did.
   */
  const liftPause = async (conversationId: string, key: string): Promise<string | undefined> => {
    const plan = (await hub.sends.get(outboundHubMessageId(conversationId, key)))?.plan;
    if (!plan) return undefined;
    const { clients, resources } = hub.pipeline.emulators;
    const { Attributes } = await clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: resources.tableName,
        Key: marshall(endpointPauseKey(plan.provider, plan.endpoint)),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes?.until?.S;
  };

  const failedIds = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier);

  it('counts a sent message whose sent mark DynamoDB refuses after the provider accepted it', async () => {
    // Prepare
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'sent-mark');
    const { sender, counted } = countingSender();
    const fault = refusingDynamoDb(sentMarkOf(outboundHubMessageId(conversationId, 'sent-mark')));
    // Act: the first receive refused, the second not
    let first: SQSBatchResponse;
    try {
      first = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    } finally {
      fault.disarm();
    }
    const countedFirst = counted();
    const second = await sender.handleSqsEvent({ Records: [receivedCommand(command, 2)] });
    // Assess: counted once, with the record left for redelivery; then sent, with no second call
    expect(failedIds(first)).toEqual([`receive-1-${command.id}`]);
    expect(countedFirst).toBe(1);
    expect(failedIds(second)).toEqual([]);
    expect(counted()).toBe(1);
    expect(hub.provider.calls).toHaveLength(1);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });

  it('counts a refused message once whose failure DynamoDB refuses through the invocation, then ends it once', async () => {
    // Prepare: the provider refuses for good; every write of the failure in the first receive is refused
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'failure-refused');
    hub.provider.script.push(refused);
    const { sender, counted } = countingSender();
    const fault = refusingDynamoDb(failureOf(outboundHubMessageId(conversationId, 'failure-refused')));
    // Act
    let first: SQSBatchResponse;
    try {
      first = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    } finally {
      fault.disarm();
    }
    const countedFirst = counted();
    await sender.handleSqsEvent({ Records: [receivedCommand(command, 2)] });
    // Assess: every try refused, one count for the record; then the refusal's one event, no second call
    expect(fault.refused()).toBe(HARNESS_LIMITS.answerWrites.tries);
    expect(failedIds(first)).toEqual([`receive-1-${command.id}`]);
    expect(countedFirst).toBe(1);
    expect(counted()).toBe(1);
    expect(hub.provider.calls).toHaveLength(1);
    const events = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(events.map((event) => event.data)).toMatchObject([{ reason: 'content_invalid' }]);
  });

  it('does not count a throttled message backing off with its release written', async () => {
    // Prepare
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'backoff');
    hub.provider.script.push(throttled);
    const { sender, counted } = countingSender();
    // Act
    const response = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    // Assess: left for its backoff, a wait, not an error
    expect(failedIds(response)).toEqual([`receive-1-${command.id}`]);
    expect(counted()).toBe(0);
  });

  it('counts a throttled message whose release DynamoDB refuses, at each receive of its environment until written', async () => {
    // Prepare
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'release-refused');
    hub.provider.script.push(throttled);
    const { sender, counted } = countingSender();
    const fault = refusingDynamoDb(releaseOf(outboundHubMessageId(conversationId, 'release-refused')));
    // Act: two receives while the release is refused (the second waits on the kept write), one after
    let countedFirst: number;
    try {
      await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
      countedFirst = counted();
      await sender.handleSqsEvent({ Records: [receivedCommand(command, 2)] });
    } finally {
      fault.disarm();
    }
    const countedWhileRefused = counted();
    const third = await sender.handleSqsEvent({ Records: [receivedCommand(command, 3)] });
    // Assess: one count per refused receive; then sent by the second call, the first one's release written
    expect(countedFirst).toBe(1);
    expect(countedWhileRefused).toBe(2);
    expect(failedIds(third)).toEqual([]);
    expect(counted()).toBe(2);
    expect(hub.provider.calls).toHaveLength(2);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });

  it('counts a 190 refusal whose endpoint pause DynamoDB refuses through the invocation, and each later one in its environment while it is still refused', async () => {
    // Prepare: three conversations of the one business number; the provider refuses the credentials
    // twice; every pause write is refused until disarmed
    const [first, second, third] = [
      sendCommand(await openConversation(), 'pause-refused-1'),
      sendCommand(await openConversation(), 'pause-refused-2'),
      sendCommand(await openConversation(), 'pause-refused-3'),
    ];
    hub.provider.script.push(credentials, credentials);
    const { sender, counted } = countingSender();
    const fault = refusingDynamoDb(pauseWrite);
    // Act: two receives while the pause is refused, one after (its kept pause written first)
    let responses: SQSBatchResponse[];
    let pausedUntil: string | undefined;
    const countedAt: number[] = [];
    try {
      const firstResponse = await sender.handleSqsEvent({ Records: [receivedCommand(first, 1)] });
      countedAt.push(counted());
      const secondResponse = await sender.handleSqsEvent({ Records: [receivedCommand(second, 1)] });
      countedAt.push(counted());
      fault.disarm();
      const thirdResponse = await sender.handleSqsEvent({ Records: [receivedCommand(third, 1)] });
      countedAt.push(counted());
      responses = [firstResponse, secondResponse, thirdResponse];
    } finally {
      fault.disarm();
      pausedUntil = await liftPause(first.data.conversationId, 'pause-refused-1');
    }
    // Assess: each command ends credentials (none held); one count per receive that left the pause
    // refused, none once it is written (the third is refused by the pause, without a call)
    expect(responses.map(failedIds)).toEqual([[], [], []]);
    expect(pausedUntil).toBe(new Date(T0.getTime() + HARNESS_LIMITS.credentialsPauseMs).toISOString());
    expect(countedAt).toEqual([1, 2, 2]);
    expect(fault.refused()).toBe(2 * HARNESS_LIMITS.answerWrites.tries + 1);
    expect(hub.provider.calls).toHaveLength(2);
    const events = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(events.map((event) => event.data.reason)).toEqual(['credentials', 'credentials', 'credentials']);
  });

  it('does not count a 190 refusal whose endpoint pause DynamoDB refuses once, written on its next try', async () => {
    // Prepare
    const command = sendCommand(await openConversation(), 'pause-refused-once');
    hub.provider.script.push(credentials);
    const { sender, counted } = countingSender();
    let refusedOnce = false;
    const fault = refusingDynamoDb((write) => {
      if (refusedOnce || !pauseWrite(write)) return false;
      refusedOnce = true;
      return true;
    });
    // Act
    let response: SQSBatchResponse;
    let pausedUntil: string | undefined;
    try {
      response = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    } finally {
      fault.disarm();
      pausedUntil = await liftPause(command.data.conversationId, 'pause-refused-once');
    }
    // Assess: paused within the invocation, ended credentials, nothing counted
    expect(fault.refused()).toBe(1);
    expect(pausedUntil).toBe(new Date(T0.getTime() + HARNESS_LIMITS.credentialsPauseMs).toISOString());
    expect(failedIds(response)).toEqual([]);
    expect(counted()).toBe(0);
    const events = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(events.map((event) => event.data.reason)).toEqual(['credentials']);
  });

  it('counts a 190 refusal whose pause DynamoDB refuses also when its failure then loses a race to another delivery', async () => {
    // Prepare: after the call, another delivery takes the attempt over (its note names that
    // delivery), so this one's failure write loses its condition; every pause write is refused
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'pause-refused-raced');
    const hubMessageId = outboundHubMessageId(conversationId, 'pause-refused-raced');
    hub.provider.script.push(credentials);
    const { clients, resources } = hub.pipeline.emulators;
    const takenOver = async (step: string) => {
      if (step !== 'provider-call') return;
      await clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: resources.tableName,
          Key: marshall(sendKey(hubMessageId)),
          UpdateExpression: 'SET inFlight.#by = :other',
          ExpressionAttributeNames: { '#by': 'by' },
          ExpressionAttributeValues: marshall({ ':other': 'another-delivery' }),
        }),
      );
    };
    const { sender, counted } = countingSender({}, takenOver);
    const fault = refusingDynamoDb(pauseWrite);
    // Act
    let response: SQSBatchResponse;
    try {
      response = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    } finally {
      fault.disarm();
      await liftPause(conversationId, 'pause-refused-raced');
    }
    // Assess: left for the other delivery's outcome, and the refused pause counted
    expect(failedIds(response)).toEqual([receivedCommand(command, 1).messageId]);
    expect(fault.refused()).toBe(HARNESS_LIMITS.answerWrites.tries);
    expect(counted()).toBe(1);
  });

  it('counts a throttled command at its give-up receive whose ending DynamoDB refuses', async () => {
    // Prepare: throttled at the receive where the sender ends what has no outcome
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'give-up-refused');
    const giveUp = OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;
    hub.provider.script.push(throttled);
    const { sender, counted } = countingSender();
    const fault = refusingDynamoDb(failureOf(outboundHubMessageId(conversationId, 'give-up-refused')));
    // Act
    let response: SQSBatchResponse;
    try {
      response = await sender.handleSqsEvent({ Records: [receivedCommand(command, giveUp)] });
    } finally {
      fault.disarm();
    }
    // Assess: not ended, left failed and counted
    expect(fault.refused()).toBe(1);
    expect(failedIds(response)).toEqual([`receive-${giveUp}-${command.id}`]);
    expect(counted()).toBe(1);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk())).toEqual([]);
  });

  it('counts the records a fault leaves failed, not one held behind it that ends at its give-up receive', async () => {
    // Prepare: Secrets Manager throttles; a second command of the conversation is at its give-up receive
    const conversationId = await openConversation();
    const ahead = sendCommand(conversationId, 'held-ahead');
    const behind = sendCommand(conversationId, 'held-behind');
    const giveUp = OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;
    const { sender, counted } = countingSender({ senderFor: () => Promise.reject(throttling()) });
    // Act
    const response = await sender.handleSqsEvent({
      Records: [receivedCommand(ahead, 1), receivedCommand(behind, giveUp)],
    });
    // Assess: the one ahead left failed and counted; the one behind ended without a call
    expect(failedIds(response)).toEqual([`receive-1-${ahead.id}`]);
    expect(counted()).toBe(1);
    expect(hub.provider.calls).toHaveLength(0);
    const events = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(events.map((event) => event.data)).toMatchObject([{ reason: 'provider_error' }]);
  });

  it('counts a command whose outcome event the helpdesk queue refuses', async () => {
    // Prepare
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'publish-refused');
    const { sender, counted } = countingSender();
    const fault = refusing('sqs', ({ commandName }) => commandName?.startsWith('SendMessage') === true);
    // Act
    let response: SQSBatchResponse;
    try {
      response = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    } finally {
      fault.disarm();
    }
    // Assess
    expect(fault.refused()).toBeGreaterThan(0);
    expect(failedIds(response)).toEqual([`receive-1-${command.id}`]);
    expect(counted()).toBe(1);
    expect(hub.provider.calls).toHaveLength(1);
  });

  it('counts a command whose channel secret cannot be read', async () => {
    // Prepare: Secrets Manager throttles the read
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'secret-refused');
    const { sender, counted } = countingSender({
      senderFor: () => Promise.reject(throttling()),
    });
    // Act
    const response = await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    // Assess: nothing sent, left for redelivery, counted
    expect(failedIds(response)).toEqual([`receive-1-${command.id}`]);
    expect(counted()).toBe(1);
    expect(hub.provider.calls).toHaveLength(0);
  });
});
