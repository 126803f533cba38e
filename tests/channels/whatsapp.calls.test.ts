import { describe, expect, it } from 'vitest';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { TEST_WHATSAPP_BUSINESS, whatsappChangeEvents } from '#tests/support/whatsapp-change.ts';

/*
 * The `calls` field of the WhatsApp webhook (the Calling API). A call the customer placed is their
 * message, filed by the same identifiers as their messages; its end is an edit of that message with
 * the outcome; a call the business placed, or one whose direction neither Meta's `direction` nor
 * (on a connect) its session's SDP type tells, is kept whole.
 */

const BUSINESS_NUMBER = TEST_WHATSAPP_BUSINESS.displayPhoneNumber;

const post = (field: string, value: Record<string, unknown>): HubEvent[] => {
  const events = whatsappChangeEvents(field, value);
  for (const event of events) expect(HubEventSchema.safeParse(event).error).toBeUndefined();
  return events;
};

const SDP = 'v=0\r\no=- 4420918273645501928 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

/** A call the customer `from` placed (ids as Meta names them: wa_id and/or BSUID). */
const customerCall = (
  caller: { wa?: string; bsuid?: string },
  event: string,
  extra: Record<string, unknown> = {},
) => ({
  id: `wacid.calls-test-${caller.wa ?? caller.bsuid}`,
  ...(caller.wa ? { from: caller.wa } : {}),
  ...(caller.bsuid ? { from_user_id: caller.bsuid } : {}),
  to: BUSINESS_NUMBER,
  event,
  timestamp: '1795336200',
  direction: 'USER_INITIATED',
  ...extra,
});

const summary = (events: readonly HubEvent[]) =>
  events.map((event) => ({
    type: event.type,
    subject: event.subject,
    ...(event.type === 'switchboard.provider.unsupported' ? { providerType: event.data.providerType } : {}),
  }));

describe('WhatsApp calls', () => {
  it("files a customer's call as their message, by wa_id and BSUID as their messages are, without the SDP", () => {
    // Prepare
    const contacts = [{ profile: { name: 'Søren' }, wa_id: '4917623450001', user_id: 'DE.4400000000000001' }];
    const [message] = post('messages', {
      contacts,
      messages: [
        {
          from: '4917623450001',
          id: 'wamid.calls-1',
          timestamp: '1795330000',
          type: 'text',
          text: { body: 'Hej' },
        },
      ],
    });
    // Act
    const events = post('calls', {
      contacts,
      calls: [customerCall({ wa: '4917623450001' }, 'connect', { session: { sdp_type: 'offer', sdp: SDP } })],
    });
    // Assess
    expect(events).toHaveLength(1);
    const [call] = events;
    if (call?.type !== 'switchboard.message.received') throw new Error(`got ${call?.type}`);
    expect(call.subject).toBe(message?.subject);
    expect(call.data).toMatchObject({
      direction: 'inbound',
      providerMessageId: 'wacid.calls-test-4917623450001',
      providerTimestamp: '2026-11-22T08:30:00.000Z',
      contact: {
        identities: [
          { type: 'wa_id', value: '4917623450001' },
          { type: 'bsuid', value: 'DE.4400000000000001' },
        ],
        displayName: 'Søren',
      },
      parts: [{ type: 'call', callId: 'wacid.calls-test-4917623450001', direction: 'user_initiated' }],
    });
    expect(JSON.stringify(call)).not.toContain('IN IP4');
  });

  it('files the call of a customer known by BSUID only with their BSUID-only messages', () => {
    // Prepare
    const contacts = [{ profile: { name: 'Jörg', username: 'joerg' }, user_id: 'DE.4400000000000002' }];
    const [message] = post('messages', {
      contacts,
      messages: [
        {
          from_user_id: 'DE.4400000000000002',
          id: 'wamid.calls-2',
          timestamp: '1795330000',
          type: 'text',
          text: { body: 'Hallo' },
        },
      ],
    });
    // Act
    const events = post('calls', {
      contacts,
      calls: [customerCall({ bsuid: 'DE.4400000000000002' }, 'connect')],
    });
    // Assess
    expect(summary(events)).toEqual([{ type: 'switchboard.message.received', subject: message?.subject }]);
  });

  it("tells a connect's direction by its session when Meta names none: an offer is the customer's call, an answer the business's", () => {
    // Prepare: Meta's example of a customer's Call Connect may leave `direction` out
    const wa = '4917623450006';
    const [message] = post('messages', {
      messages: [
        { from: wa, id: 'wamid.calls-6', timestamp: '1795330000', type: 'text', text: { body: 'Hi' } },
      ],
    });
    const undirected = (call: Record<string, unknown>) => ({ ...call, direction: undefined });
    const calls = [
      undirected(customerCall({ wa }, 'connect', { session: { sdp_type: 'offer', sdp: SDP } })),
      undirected({
        id: 'wacid.ours-undirected',
        from: BUSINESS_NUMBER,
        to: wa,
        event: 'connect',
        timestamp: '1795336200',
        session: { sdp_type: 'answer', sdp: SDP },
      }),
      undirected(customerCall({ wa }, 'terminate', { status: 'COMPLETED' })),
      { ...undirected(customerCall({ wa }, 'connect', { session: 'not a session' })), id: 'wacid.calls-6b' },
    ];
    // Act
    const events = post('calls', { calls });
    // Assess
    expect(summary(events)).toEqual([
      { type: 'switchboard.message.received', subject: message?.subject },
      {
        type: 'switchboard.provider.unsupported',
        subject: message?.subject,
        providerType: 'call.connect.business_initiated',
      },
      {
        type: 'switchboard.provider.unsupported',
        subject: 'endpoint:whatsapp:109384756201938',
        providerType: 'call.terminate',
      },
      {
        type: 'switchboard.provider.unsupported',
        subject: 'endpoint:whatsapp:109384756201938',
        providerType: 'call.connect',
      },
    ]);
    const [received] = events;
    if (received?.type !== 'switchboard.message.received') throw new Error(`got ${received?.type}`);
    expect(received.data.parts).toEqual([
      { type: 'call', callId: `wacid.calls-test-${wa}`, direction: 'user_initiated' },
    ]);
    expect(JSON.stringify(received)).not.toContain('IN IP4');
  });

  it("takes the customer from the side that is not the business's own number, whichever side the direction names", () => {
    // Prepare: Meta's own terminate example names the business number as `from` in one place
    const wa = '4917623450007';
    const bsuid = 'DE.4400000000000007';
    const [message] = post('messages', {
      messages: [
        { from: wa, id: 'wamid.calls-7', timestamp: '1795330000', type: 'text', text: { body: 'Hi' } },
      ],
    });
    const business = `+${BUSINESS_NUMBER.slice(0, 2)} ${BUSINESS_NUMBER.slice(2, 4)} ${BUSINESS_NUMBER.slice(4)}`;
    const turned = (event: string, extra: Record<string, unknown> = {}) => ({
      ...customerCall({ wa }, event, extra),
      from: business,
      to: wa,
      to_user_id: bsuid,
    });
    const calls = [
      turned('connect'),
      turned('terminate', { status: 'COMPLETED', start_time: '1795336212', end_time: '1795336385' }),
      {
        id: 'wacid.ours-turned',
        from: wa,
        to: BUSINESS_NUMBER,
        event: 'connect',
        timestamp: '1795336200',
        direction: 'BUSINESS_INITIATED',
      },
    ];
    // Act
    const events = post('calls', { calls });
    // Assess
    expect(summary(events)).toEqual([
      { type: 'switchboard.message.received', subject: message?.subject },
      { type: 'switchboard.message.edited', subject: message?.subject },
      {
        type: 'switchboard.provider.unsupported',
        subject: message?.subject,
        providerType: 'call.connect.business_initiated',
      },
    ]);
    const identities = [
      { type: 'wa_id', value: wa },
      { type: 'bsuid', value: bsuid },
    ];
    expect(
      events.map((event) => ('contact' in event.data ? event.data.contact?.identities : undefined)),
    ).toEqual([identities, identities, [{ type: 'wa_id', value: wa }]]);
  });

  it("ends a customer's call as an edit of its message: answered when Meta names its start, else missed", () => {
    // Prepare
    const caller = { wa: '4917623450003' };
    const answered = customerCall(caller, 'terminate', {
      timestamp: '1795336385',
      status: 'COMPLETED',
      start_time: '1795336212',
      end_time: '1795336385',
      duration: 173,
    });
    const missed = { ...customerCall(caller, 'terminate'), id: 'wacid.calls-missed' };
    // Act
    const events = post('calls', { calls: [answered, missed] });
    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.edited',
      'switchboard.message.edited',
    ]);
    expect(events.map((event) => event.type === 'switchboard.message.edited' && event.data)).toEqual([
      expect.objectContaining({
        targetProviderMessageId: 'wacid.calls-test-4917623450003',
        actor: 'customer',
        parts: [
          {
            type: 'call',
            callId: 'wacid.calls-test-4917623450003',
            direction: 'user_initiated',
            outcome: 'answered',
            providerStatus: 'COMPLETED',
            startedAt: '2026-11-22T08:30:12.000Z',
            endedAt: '2026-11-22T08:33:05.000Z',
            durationSeconds: 173,
          },
        ],
      }),
      expect.objectContaining({
        targetProviderMessageId: 'wacid.calls-missed',
        parts: [
          {
            type: 'call',
            callId: 'wacid.calls-missed',
            direction: 'user_initiated',
            outcome: 'missed',
          },
        ],
      }),
    ]);
  });

  it("ends a picked-up call Meta says FAILED as failed, one never picked up as missed, with Meta's errors, bounded", () => {
    // Prepare: the customer's app sent no media after the call was picked up
    const caller = { wa: '4917623450008' };
    const noMedia = {
      code: 138021,
      title: 'Call ended: no media received',
      message: 'Call ended: no media received',
      error_data: { details: "No audio reached the call from the WhatsApp user's device." },
    };
    const pickedUp = customerCall(caller, 'terminate', {
      timestamp: '1795336385',
      status: 'FAILED',
      start_time: '1795336212',
      end_time: '1795336385',
      duration: 173,
      errors: [noMedia],
    });
    const neverPickedUp = {
      ...customerCall(caller, 'terminate', {
        status: 'failed',
        errors: Array.from({ length: 10 }, (_, index) => ({ code: 131000 + index, title: 'x'.repeat(300) })),
      }),
      id: 'wacid.calls-failed-early',
    };
    // Act
    const events = post('calls', { calls: [pickedUp, neverPickedUp] });
    // Assess
    const parts = events.map((event) =>
      event.type === 'switchboard.message.edited' ? event.data.parts : [],
    );
    expect(parts).toEqual([
      [
        {
          type: 'call',
          callId: 'wacid.calls-test-4917623450008',
          direction: 'user_initiated',
          outcome: 'failed',
          providerStatus: 'FAILED',
          errors: [
            {
              code: '138021',
              title: 'Call ended: no media received',
              message: 'Call ended: no media received',
              details: "No audio reached the call from the WhatsApp user's device.",
            },
          ],
          startedAt: '2026-11-22T08:30:12.000Z',
          endedAt: '2026-11-22T08:33:05.000Z',
          durationSeconds: 173,
        },
      ],
      [
        {
          type: 'call',
          callId: 'wacid.calls-failed-early',
          direction: 'user_initiated',
          outcome: 'missed',
          providerStatus: 'failed',
          errors: Array.from({ length: 8 }, (_, index) => ({
            code: String(131000 + index),
            title: 'x'.repeat(256),
          })),
        },
      ],
    ]);
  });

  it("names, in a call's end that comes before its ring, the very message the ring then brings", () => {
    // Prepare: Meta's terminate delivered first (webhooks out of order, or the connect's retried)
    const caller = { wa: '4917623450009' };
    const terminate = customerCall(caller, 'terminate', { status: 'COMPLETED', start_time: '1795336212' });
    const connect = customerCall(caller, 'connect', { session: { sdp_type: 'offer', sdp: SDP } });
    // Act
    const [ended] = post('calls', { calls: [terminate] });
    const [rang] = post('calls', { calls: [connect] });
    // Assess: the helpdesk can keep the edit by the message it names and apply it when that arrives
    if (ended?.type !== 'switchboard.message.edited') throw new Error(`got ${ended?.type}`);
    if (rang?.type !== 'switchboard.message.received') throw new Error(`got ${rang?.type}`);
    expect(ended.subject).toBe(rang.subject);
    expect(ended.data.targetProviderMessageId).toBe(rang.data.providerMessageId);
    expect(ended.data.parts).toEqual([
      expect.objectContaining({ callId: rang.data.providerMessageId, outcome: 'answered' }),
    ]);
  });

  it("keeps the business's calls, calls of no direction and other events whole, never as the customer's message", () => {
    // Prepare
    const wa = '4917623450004';
    const [message] = post('messages', {
      messages: [
        { from: wa, id: 'wamid.calls-4', timestamp: '1795330000', type: 'text', text: { body: 'Hi' } },
      ],
    });
    const ours = { id: 'wacid.ours', from: BUSINESS_NUMBER, to: wa, timestamp: '1795336200' };
    const calls = [
      {
        ...ours,
        event: 'connect',
        direction: 'BUSINESS_INITIATED',
        session: { sdp_type: 'answer', sdp: SDP },
      },
      { ...ours, event: 'terminate', direction: 'BUSINESS_INITIATED', status: 'COMPLETED' },
      { ...customerCall({ wa }, 'connect'), direction: undefined },
      customerCall({ wa }, 'ringing'),
      { event: 'connect', direction: 'USER_INITIATED', from: wa },
    ];
    // Act
    const events = post('calls', { calls });
    // Assess
    expect(summary(events)).toEqual([
      {
        type: 'switchboard.provider.unsupported',
        subject: message?.subject,
        providerType: 'call.connect.business_initiated',
      },
      {
        type: 'switchboard.provider.unsupported',
        subject: message?.subject,
        providerType: 'call.terminate.business_initiated',
      },
      {
        type: 'switchboard.provider.unsupported',
        subject: 'endpoint:whatsapp:109384756201938',
        providerType: 'call.connect',
      },
      {
        type: 'switchboard.provider.unsupported',
        subject: message?.subject,
        providerType: 'call.ringing.user_initiated',
      },
      {
        type: 'switchboard.provider.unsupported',
        subject: 'endpoint:whatsapp:109384756201938',
        providerType: 'call',
      },
    ]);
  });

  it("keeps a business call's statuses whole, never as a sent message's status", () => {
    // Prepare
    const statuses = [
      {
        id: 'wacid.ours',
        timestamp: '1795336201',
        type: 'call',
        status: 'RINGING',
        recipient_id: '4917623450005',
      },
    ];
    // Act
    const events = post('calls', { statuses });
    // Assess
    expect(summary(events)).toEqual([
      {
        type: 'switchboard.provider.unsupported',
        subject: 'endpoint:whatsapp:109384756201938',
        providerType: 'calls',
      },
    ]);
  });
});
