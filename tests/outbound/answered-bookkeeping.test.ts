import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import type { ChannelSender, SendOutcome } from '#shared/outbound/channel-sender.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { createEndpointPauses, type EndpointRef } from '#shared/store/endpoint-pauses.ts';
import { endpointPauseKey } from '#shared/store/keys.ts';
import {
  HARNESS_LIMITS,
  type Keys,
  openCustomerConversation,
  outcomesOf,
  putUpload,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
  type Write,
} from './harness.ts';

/*
 * A provider's definite "took nothing" (a 130429 throttle, a 190 credentials refusal) whose
 * bookkeeping DynamoDB then refuses (throttling past the SDK's retries): the sender writes it again
 * within the invocation, and past that keeps it for its environment's next command, so the command
 * ends as the answer said (sent after its backoff, rate_limited, credentials with the endpoint
 * paused) instead of outcome_unknown, with one provider request per answer and one outcome event.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

const throttled = (retryAfterMs?: number): SendOutcome => ({
  kind: 'throttled',
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  error: { code: '130429', title: 'Rate limit hit' },
});
const credentials: SendOutcome = {
  kind: 'credentials',
  error: { code: '190', title: 'Error validating access token: Session has expired' },
};

/** The send record's release after a provider took nothing (`SendStore.release`). */
const releaseOf =
  (hubMessageId: string) =>
  ({ commandName, input }: Write) => {
    const update = input as { Key?: Keys; UpdateExpression?: string };
    return (
      commandName === 'UpdateItemCommand' &&
      update.Key?.pk?.S === `MSG#${hubMessageId}` &&
      update.UpdateExpression?.startsWith('SET waitingSince') === true
    );
  };
/** The send record's failure (`SendStore.fail`). */
const failureOf =
  (hubMessageId: string) =>
  ({ commandName, input }: Write) => {
    const update = input as { Key?: Keys; UpdateExpression?: string };
    return (
      commandName === 'UpdateItemCommand' &&
      update.Key?.pk?.S === `MSG#${hubMessageId}` &&
      update.UpdateExpression?.startsWith('SET #state = :failed') === true
    );
  };
/** An endpoint's pause item (`EndpointPauses.pause`). */
const pauseWrite = ({ commandName, input }: Write) =>
  commandName === 'PutItemCommand' && ((input as { Item?: Keys }).Item?.pk?.S?.startsWith('PAUSE#') ?? false);

describe('bookkeeping of a provider answer that took nothing', () => {
  const hub = useOutboundHarness();
  let customer = 0;
  let faults = 0;

  const openConversation = async () =>
    (await openCustomerConversation(hub, { prefix: '4915552', tag: 'ab' }, ++customer)).conversationId;

  const outcomes = async (): Promise<HubEvent[]> => outcomesOf(await hub.pipeline.takeHelpdesk());

  /**
   * Makes DynamoDB refuse the writes `target` matches, `times` of them (Infinity: every one until
   * disarmed), as a throttled write reaches the caller after the SDK's retries.
   */
  const refusing = (target: (write: Write) => boolean, times = Number.POSITIVE_INFINITY) => {
    const dynamodb = hub.pipeline.emulators.clients.dynamodb;
    faults += 1;
    const name = `refuse-answer-bookkeeping-${faults}`;
    let refused = 0;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (refused >= times || !target({ commandName: context.commandName, input: args.input }))
          return next(args);
        refused += 1;
        throw Object.assign(new Error('injected'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: {},
        });
      },
      { step: 'initialize', name },
    );
    return {
      refused: () => refused,
      disarm: () => {
        dynamodb.middlewareStack.remove(name);
      },
    };
  };

  /** The endpoint's pause as the table holds it (a fresh reader: no environment's cache). */
  const pauses = () => {
    const { clients, resources } = hub.pipeline.emulators;
    return createEndpointPauses({
      client: clients.dynamodb,
      tableName: resources.tableName,
      now: () => hub.now,
    });
  };
  /** Lifts the endpoint's pause (the other tests send from the same business number), as a person would. */
  const unpause = async ({ provider, endpoint }: EndpointRef) => {
    const { clients, resources } = hub.pipeline.emulators;
    await clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: resources.tableName,
        Key: marshall(endpointPauseKey(provider, endpoint)),
      }),
    );
  };
  const endpointOf = async (conversationId: string, key: string) => {
    const plan = (await hub.sends.get(outboundHubMessageId(conversationId, key)))?.plan;
    if (!plan) throw new Error('no send record');
    return { provider: plan.provider, endpoint: plan.endpoint };
  };

  /** Past the wait for an unanswered call's status: an attempt still noted would end outcome_unknown here. */
  const pastOutcomeWait = async () => {
    hub.now = new Date(T0.getTime() + HARNESS_LIMITS.outcomeWaitMs + 60_000);
    await hub.runOutbox(undefined, 5);
  };

  it('sends a 130429-throttled message after its backoff when its release is refused once', async () => {
    // Prepare
    const conversationId = await openConversation();
    const hubMessageId = outboundHubMessageId(conversationId, 'release-once');
    hub.provider.script.push(throttled());
    const fault = refusing(releaseOf(hubMessageId), 1);
    await hub.enqueue(sendCommand(conversationId, 'release-once'));
    // Act
    try {
      await hub.runOutbox(hub.sender(), 5);
    } finally {
      fault.disarm();
    }
    await pastOutcomeWait();
    // Assess: the throttled call and the one after the backoff, one sent event
    expect(fault.refused()).toBe(1);
    expect(hub.provider.calls).toHaveLength(2);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('sends a 130429-throttled message once its release, refused through the invocation, is written before the next command', async () => {
    // Prepare
    const conversationId = await openConversation();
    const hubMessageId = outboundHubMessageId(conversationId, 'release-kept');
    hub.provider.script.push(throttled());
    const sender = hub.sender();
    const fault = refusing(releaseOf(hubMessageId));
    await hub.enqueue(sendCommand(conversationId, 'release-kept'));
    // Act: one invocation refused throughout, then the environment's next ones
    try {
      await hub.runOutbox(sender, 1);
    } finally {
      fault.disarm();
    }
    const noted = (await hub.sends.get(hubMessageId))?.inFlight;
    await hub.runOutbox(sender, 5);
    await pastOutcomeWait();
    // Assess: sent once after the backoff; every try within the invocation was refused, the attempt left noted
    expect(hub.provider.calls).toHaveLength(2);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(fault.refused()).toBe(HARNESS_LIMITS.answerWrites.tries);
    expect(noted).toMatchObject({ index: 0 });
  });

  it('ends rate_limited at once when the provider’s stated wait is too long and the failure’s write is refused once', async () => {
    // Prepare: Graph's "regain access in 30 minutes"
    const conversationId = await openConversation();
    hub.provider.script.push(throttled(30 * 60_000));
    const fault = refusing(failureOf(outboundHubMessageId(conversationId, 'too-long-once')), 1);
    await hub.enqueue(sendCommand(conversationId, 'too-long-once'));
    // Act
    try {
      await hub.runOutbox(hub.sender(), 5);
    } finally {
      fault.disarm();
    }
    await pastOutcomeWait();
    // Assess
    expect(fault.refused()).toBe(1);
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data)).toMatchObject([
      { reason: 'rate_limited', retryable: true, errors: [{ code: '130429' }] },
    ]);
  });

  it('ends a 190 refusal in credentials with the endpoint paused when its pause and failure writes are each refused once', async () => {
    // Prepare
    const conversationId = await openConversation();
    hub.provider.script.push(credentials);
    const pauseFault = refusing(pauseWrite, 1);
    const failFault = refusing(failureOf(outboundHubMessageId(conversationId, 'refused-once')), 1);
    await hub.enqueue(sendCommand(conversationId, 'refused-once'));
    // Act
    try {
      await hub.runOutbox(hub.sender(), 5);
    } finally {
      pauseFault.disarm();
      failFault.disarm();
    }
    const endpoint = await endpointOf(conversationId, 'refused-once');
    const pausedUntil = await pauses().pausedUntil(endpoint);
    await unpause(endpoint);
    await pastOutcomeWait();
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data)).toMatchObject([
      { reason: 'credentials', retryable: true, errors: [{ code: '190' }] },
    ]);
    expect(pausedUntil).toBe(new Date(T0.getTime() + HARNESS_LIMITS.credentialsPauseMs).toISOString());
    expect([pauseFault.refused(), failFault.refused()]).toEqual([1, 1]);
  });

  it('ends a 190 refusal in credentials with the endpoint paused when both writes are refused through the invocation', async () => {
    // Prepare
    const conversationId = await openConversation();
    hub.provider.script.push(credentials);
    const sender = hub.sender();
    const pauseFault = refusing(pauseWrite);
    const failFault = refusing(failureOf(outboundHubMessageId(conversationId, 'refused-kept')));
    await hub.enqueue(sendCommand(conversationId, 'refused-kept'));
    // Act: one invocation refused throughout, then the environment's next ones
    try {
      await hub.runOutbox(sender, 1);
    } finally {
      pauseFault.disarm();
      failFault.disarm();
    }
    const afterFirst = await outcomes();
    await hub.runOutbox(sender, 5);
    const events = (await outcomes()) as Failed[];
    const endpoint = await endpointOf(conversationId, 'refused-kept');
    const pausedUntil = await pauses().pausedUntil(endpoint);
    await unpause(endpoint);
    await pastOutcomeWait();
    // Assess: nothing said while the failure was unwritten; then credentials, once, and the pause
    expect(hub.provider.calls).toHaveLength(1);
    expect(afterFirst).toEqual([]);
    expect(events.map((event) => event.data)).toMatchObject([
      { reason: 'credentials', retryable: true, errors: [{ code: '190' }] },
    ]);
    expect(await outcomes()).toEqual([]);
    expect(pausedUntil).toBe(new Date(T0.getTime() + HARNESS_LIMITS.credentialsPauseMs).toISOString());
    expect([pauseFault.refused(), failFault.refused()]).toEqual([
      HARNESS_LIMITS.answerWrites.tries,
      HARNESS_LIMITS.answerWrites.tries,
    ]);
  });

  it('ends a throttled command at its last receive rate_limited, not outcome_unknown, while its release is still refused', async () => {
    // Prepare: the release is refused on every receive; the command reaches its last receive
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'kept-to-the-end');
    hub.provider.script.push(throttled());
    const sender = hub.sender();
    const fault = refusing(releaseOf(outboundHubMessageId(conversationId, 'kept-to-the-end')));
    // Act
    try {
      await sender.handleSqsEvent({ Records: [receivedCommand(command, 1)] });
      await sender.handleSqsEvent({
        Records: [receivedCommand(command, OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN)],
      });
    } finally {
      fault.disarm();
    }
    // Assess: one call; the ending says the provider throttled it
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data)).toMatchObject([
      { reason: 'rate_limited', retryable: true, errors: [{ code: '130429' }] },
    ]);
  });

  it('keeps no failure of a refusal met while staging (nothing noted): the environment’s next delivery stages again', async () => {
    // Prepare: a file the provider's upload refuses once (nothing noted: no call was about to go),
    // whose failure DynamoDB refuses through the invocation; the next upload goes through
    const conversationId = await openConversation();
    const s3Key = 'media/outbound/2a3b4c5d6e7f80918273645546372819/photo.jpg';
    await putUpload(hub, s3Key, new TextEncoder().encode('jpeg bytes'), 'image/jpeg');
    const hubMessageId = outboundHubMessageId(conversationId, 'staging-refused');
    const provider = hub.provider.sender as { -readonly [K in keyof ChannelSender]: ChannelSender[K] };
    let uploads = 0;
    provider.uploadMedia = async () => {
      uploads += 1;
      return uploads === 1
        ? {
            kind: 'refused',
            reason: 'provider_error',
            retryable: false,
            error: { code: '131053', title: 'Media upload error' },
          }
        : { mediaId: `media-${uploads}` };
    };
    const sender = hub.sender();
    const fault = refusing(failureOf(hubMessageId));
    await hub.enqueue(
      sendCommand(conversationId, 'staging-refused', [{ type: 'media', kind: 'image', source: { s3Key } }]),
    );
    // Act: one invocation refused throughout, then the environment's next ones
    try {
      await hub.runOutbox(sender, 1);
      fault.disarm();
      await hub.runOutbox(sender, 5);
    } finally {
      fault.disarm();
      delete provider.uploadMedia;
    }
    // Assess: the refusal's failure was not kept to end the command later; it was staged again and sent
    expect(uploads).toBe(2);
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('never calls again when the release, refused through the invocation, is redelivered to another environment', async () => {
    // Prepare
    const conversationId = await openConversation();
    hub.provider.script.push(throttled());
    const fault = refusing(releaseOf(outboundHubMessageId(conversationId, 'other-environment')));
    await hub.enqueue(sendCommand(conversationId, 'other-environment'));
    // Act: the refused environment never runs again; another takes the redeliveries
    try {
      await hub.runOutbox(hub.sender(), 1);
    } finally {
      fault.disarm();
    }
    const other = hub.sender();
    await hub.runOutbox(other, 5);
    hub.now = new Date(T0.getTime() + HARNESS_LIMITS.outcomeWaitMs + 60_000);
    await hub.runOutbox(other, 5);
    // Assess: the one call; the note is all the other environment knows, so it may have gone
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data.reason)).toEqual(['outcome_unknown']);
  });
});
