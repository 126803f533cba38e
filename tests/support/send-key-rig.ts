import { afterAll, beforeAll } from 'vitest';
import type { ApiResponse } from '#shared/api/http.ts';
import type { HubCommand } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { commandHashOf, createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, unsentSend } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from './quiet-api.ts';
import { apiRequest } from './requests.ts';

const DAY_MS = 86_400_000;

/**
 * POST /v1/conversations/{id}/messages to one WhatsApp customer's conversation over the local
 * emulators, on a clock a test moves by days from `start`: what it queued, and the sender taking a
 * key's first command and sending it (its send record). For the tests of a key's retries over time.
 */
export const useSendKeyRig = (customer: string, start: Date) => {
  const { contact, conversationId } = conversationFor(customer);
  const path = `/v1/conversations/${conversationId}/messages`;
  const queued: HubCommand[] = [];
  const rig = {
    contact,
    conversationId,
    queued,
    clock: start,
    /** When set, the outbox refuses every command (the API's SendMessage fails). */
    refuseQueueing: false,
    emulators: undefined as RunningEmulators | undefined,
    table: undefined as unknown as TableContext,
    api: undefined as unknown as ReturnType<typeof quietHelpdeskApi>,
    /** The clock `days` (fractions too) after `start`. */
    onDay: (days: number) => {
      rig.clock = new Date(start.getTime() + days * DAY_MS);
    },
    post: (key: string, text = 'Your refund is on its way.'): Promise<ApiResponse> =>
      rig.api(
        apiRequest('POST', path, {
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ parts: [{ type: 'text', text }], sender: { kind: 'agent', id: 'a-1' } }),
        }),
      ),
    queuedUnder: (key: string) =>
      queued.filter(
        (command) =>
          command.type === 'switchboard.command.send_message' && command.data.idempotencyKey === key,
      ),
    /** The sender took the key's first command and sent it: its send record, as of the clock now. */
    sentByTheSender: async (key: string, first: ApiResponse) => {
      const [command] = rig.queuedUnder(key);
      if (command?.type !== 'switchboard.command.send_message') throw new Error('no send queued');
      const hubMessageId = String((first.body as { hubMessageId: string }).hubMessageId);
      await createSendStore(rig.table).claim({
        ...unsentSend(customer, hubMessageId, rig.clock.toISOString()),
        conversationId,
        commandId: command.id,
        commandHash: commandHashOf(command.data),
        state: 'sent',
      });
    },
  };
  beforeAll(async () => {
    const emulators = await startEmulators();
    rig.emulators = emulators;
    rig.table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => rig.clock,
    };
    rig.api = quietHelpdeskApi(emulators, rig.table, () => rig.clock, {
      enqueueCommand: async (command) => {
        if (rig.refuseQueueing) throw new Error('the outbox refused the SendMessage');
        queued.push(command);
      },
    });
  });
  afterAll(async () => {
    await rig.emulators?.stop();
  });
  return rig;
};
