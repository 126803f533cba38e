import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import type { AfterStep } from '#shared/recorder/steps.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { mergePeople } from '#shared/store/person-merges.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';

/*
 * Erasure is not a lock: a message the recorder records while an erasure runs can land after it.
 * Calling the erasure again finds it, even when the recorder saved the conversation after the
 * erasure read the conversation's messages and wrote the message after the erasure was done; and
 * the person's export lists it meanwhile, as it lists whatever the erasure would delete.
 */
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-erasure-race' };
const otherEndpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-erasure-race-other' };

describe('a message recorded while its person is erased', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let duringStep: AfterStep | undefined;

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const recorder = () =>
    createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
      afterStep: async (step, event) => duringStep?.(step, event),
    });
  const erase = (contactId: string) =>
    erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      contactId,
    );
  const tableText = async () =>
    JSON.stringify(
      ((await context.client.send(new ScanCommand({ TableName: context.tableName }))).Items ?? []).map(
        (raw) => unmarshall(raw),
      ),
      (_key, value) => (value instanceof Set ? [...value] : value),
    );

  const customer = (phone: string, business = endpoint) => {
    const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
    const conversationId = contactConversationId('whatsapp', business, identities[0]);
    const message = (wamid: string, n: number, text: string): HubEvent =>
      buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', wamid), {
        channel: 'whatsapp',
        provider: 'meta',
        endpoint: business,
        contact: { identities },
        conversationId,
        hubMessageId: hubMessageIdFor('whatsapp', wamid),
        direction: 'inbound',
        providerMessageId: wamid,
        providerTimestamp: minute(n),
        receivedAt: minute(n),
        parts: [{ type: 'text', text }],
      });
    return {
      identities,
      conversationId,
      message,
      person: contactIdFor('whatsapp', { identities }, conversationId),
    };
  };

  it('finds, on the next call, a message whose conversation was saved before the erasure and the record written after', async () => {
    // Prepare
    const { message, person, conversationId } = customer('306912340520');
    await recorder().recordEvent(message('wamid.race-1', 1, 'canary-race-first'));
    let first: Awaited<ReturnType<typeof erase>>;
    duringStep = async (step) => {
      if (step !== 'save-conversation') return;
      duringStep = undefined;
      first = await erase(person);
    };
    // Act: the erasure runs whole between the recorder's conversation save and its message write
    await recorder().recordEvent(message('wamid.race-2', 2, 'canary-race-second'));
    const afterFirst = await tableText();
    const second = await erase(person);
    const third = await erase(person);
    // Assess: the late message was there; the second call erased it; the third found nothing
    expect(first).toBeDefined();
    expect(afterFirst).toContain('canary-race-second');
    expect(second).toBeDefined();
    expect(await tableText()).not.toContain('canary-race');
    expect(third).toBeUndefined();
    // What is left to find such a message from names nobody
    const left = await tableText();
    for (const identifier of ['306912340520', conversationId, person]) expect(left).not.toContain(identifier);
  });

  it('exports, before the next call erases it, a message recorded while its person was erased', async () => {
    // Prepare: the same race, the first erasure between the conversation's save and the message's write
    const { message, person } = customer('306912340521');
    await recorder().recordEvent(message('wamid.race-export-1', 1, 'canary-race-export-first'));
    duringStep = async (step) => {
      if (step !== 'save-conversation') return;
      duringStep = undefined;
      await erase(person);
    };
    await recorder().recordEvent(message('wamid.race-export-2', 2, 'canary-race-export-second'));
    const held = await tableText();
    // Act
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, person);
    const second = await erase(person);
    const afterwards = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, person);
    // Assess: the table held the late message; the export listed it as a message, the erasure then
    // deleted it, and the export after that has nothing
    expect(held).toContain('canary-race-export-second');
    const listed = (exported?.items ?? []).filter(({ item }) =>
      JSON.stringify(item).includes('canary-race-export-second'),
    );
    expect(listed.map(({ kind }) => kind)).toEqual(['message']);
    expect(JSON.stringify(exported)).not.toContain('canary-race-export-first');
    expect(second).toBeDefined();
    expect(afterwards).toBeUndefined();
  });

  it('finds, when erasing the person they were merged into since, a message recorded while a merged person was erased', async () => {
    // Prepare: the race leaves a late message in the first erasure's conversation; the customer then
    // writes to another business number (a conversation of their own again) and is merged into another person
    const raced = customer('306912340522');
    await recorder().recordEvent(raced.message('wamid.race-merged-1', 1, 'canary-race-merged-first'));
    duringStep = async (step) => {
      if (step !== 'save-conversation') return;
      duringStep = undefined;
      await erase(raced.person);
    };
    await recorder().recordEvent(raced.message('wamid.race-merged-2', 2, 'canary-race-merged-second'));
    const again = customer('306912340522', otherEndpoint);
    await recorder().recordEvent(again.message('wamid.race-merged-3', 3, 'canary-race-merged-again'));
    const survivor = customer('306912340523');
    await recorder().recordEvent(survivor.message('wamid.race-merged-4', 4, 'canary-race-merged-survivor'));
    const merged = await mergePeople(context, {
      surviving: survivor.person,
      discarded: raced.person,
      reason: 'same customer',
      at: minute(5),
    });
    const held = await tableText();
    // Act: the person the erased one was merged into is exported, then erased
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, survivor.person);
    const erased = await erase(survivor.person);
    // Assess: the late message was held and exported with the survivor; the survivor's erasure took
    // it with everything else of both people
    expect(merged.outcome).toBe('merged');
    expect(held).toContain('canary-race-merged-second');
    expect(JSON.stringify(exported)).toContain('canary-race-merged-second');
    expect(erased).toBeDefined();
    expect(await tableText()).not.toContain('canary-race-merged');
  });
});
