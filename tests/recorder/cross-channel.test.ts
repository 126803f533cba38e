import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { buildEvent, eventIdFor, type HubEvent, hubMessageIdFor } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { createReadApi, type ReadApi } from '#shared/store/read-api.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { conversationFor, messageEvent, minute } from './factories.ts';

/** An e-mail that claims a conversation it does not belong to (a forged `reply+conv_…` tag). */
const forgedEmail = (conversationId: string): HubEvent =>
  buildEvent('switchboard.message.received', eventIdFor('email', 'message', 'forged-1@attacker.example'), {
    hubMessageId: hubMessageIdFor('email', 'forged-1@attacker.example'),
    channel: 'email',
    provider: 'mailgun',
    direction: 'inbound',
    endpoint: { type: 'email_address', id: 'reply@support.example' },
    contact: { identities: [{ type: 'email', value: 'mallory@attacker.example' }] },
    conversationId,
    providerMessageId: 'forged-1@attacker.example',
    providerTimestamp: minute(5),
    receivedAt: minute(5),
    parts: [{ type: 'text', text: 'injected' }],
  });

describe('a message claiming a conversation of another channel or endpoint', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let read: ReadApi;
  const published: HubEvent[] = [];
  beforeAll(async () => {
    emulators = await startEmulators();
    const context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async (events) => void published.push(...events) },
      clock: context.now,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    read = createReadApi(context);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('never changes that conversation, and is recorded in one of its own', async () => {
    // Prepare: a WhatsApp conversation.
    const victim = conversationFor('victim-1');
    await recorder.recordEvent(messageEvent('victim-1', 'victim-1-a', minute(1)));
    const before = await read.getConversation(victim.conversationId);
    // Act
    await recorder.recordEvent(forgedEmail(victim.conversationId));
    await recorder.recordEvent(forgedEmail(victim.conversationId));
    // Assess
    const after = await read.getConversation(victim.conversationId);
    expect(after?.state).toEqual(before?.state);
    expect(after?.state.contact.identities).toEqual([{ type: 'wa_id', value: 'victim-1' }]);
    const forged = published.filter(
      (event) => event.type === 'switchboard.message.received' && event.data.channel === 'email',
    );
    expect(forged).toHaveLength(1);
    const home = forged[0]?.subject ?? '';
    expect(home).not.toBe(victim.conversationId);
    const own = await read.getConversation(home);
    expect(own?.state).toMatchObject({
      channel: 'email',
      messageCount: 1,
      endpoint: { id: 'reply@support.example' },
    });
  });
});
