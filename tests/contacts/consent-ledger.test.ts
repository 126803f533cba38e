import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
} from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { readConsentHistory } from '#shared/store/consent-ledger.ts';
import { readContactConsent } from '#shared/store/contacts.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';

/*
 * The consent ledger keeps every change, while the register the sender reads keeps the latest:
 * STOP, HELP and START in any arrival order, each redelivered, end as three entries newest first
 * and an opt-in.
 */
const phone: ChannelIdentity = { type: 'phone', value: '+306912346001' };
const endpoint = { type: 'phone_number' as const, id: '+15550000400' };

const keyword = (
  consent: 'opted_out' | 'opted_in' | 'help_requested',
  trigger: string,
  at: string,
): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('sms', 'consent', phone.value, trigger, at), {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    contact: { identities: [phone] },
    conversationId: contactConversationId('sms', endpoint, phone),
    providerTimestamp: at,
    receivedAt: at,
    scope: 'sms',
    consent,
    trigger,
  });

describe('consent ledger', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = createRecorderService({
      store: createRecorderStore(context),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('keeps every change newest first, once each, while the register holds the latest', async () => {
    // Prepare
    const stop = keyword('opted_out', 'STOP', minute(1));
    const help = keyword('help_requested', 'ΒΟΗΘΕΙΑ', minute(2));
    const start = keyword('opted_in', 'START', minute(3));
    // Act: out of order, each twice.
    for (const event of [start, stop, help, stop, start, help]) await recorder.recordEvent(event);
    const contactKey = contactKeyFor('sms', { identities: [phone] });
    const history = await readConsentHistory(context, [contactKey]);
    const latest = await readContactConsent(context, contactKey);
    // Assess
    expect(history.map((change) => [change.consent, change.trigger, change.source])).toEqual([
      ['opted_in', 'START', 'provider'],
      ['help_requested', 'ΒΟΗΘΕΙΑ', 'provider'],
      ['opted_out', 'STOP', 'provider'],
    ]);
    expect(history.map((change) => change.eventId)).toEqual([start.id, help.id, stop.id]);
    expect(latest.smsConsent?.consent).toBe('opted_in');
  });
});
