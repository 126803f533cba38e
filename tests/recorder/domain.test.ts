import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELIVERY_STATUS_RANK, type DeliveryStatus, type HubEvent } from '#shared/contract/index.ts';
import {
  applyEvent,
  type ConversationModel,
  isMessageEvent,
  type MessageEvent,
} from '#shared/domain/conversation.ts';
import { applyPatch } from '#shared/domain/conversation-change.ts';
import { statusOrder } from '#shared/domain/status.ts';
import { parseConversationModel } from '#shared/store/conversations.ts';
import { messageEvent, minute, statusEvent } from './factories.ts';

/** A status as a register: its order, and the event that wrote it. */
interface Register {
  readonly order: string;
  readonly eventId: string;
}

/**
 * A forward-only register of this test's own, over the orders `statusOrder` gives. It stands in for
 * the store's register rule (a DynamoDB condition, shared/store/registers.ts) and is not that rule:
 * the rule itself is tested against the local DynamoDB, in tests/store/registers.test.ts (a register
 * never moves back) and tests/pipeline/statuses.test.ts (statuses in every order, through the recorder).
 */
const moves = (current: Register | undefined, next: Register): boolean =>
  current === undefined || current.order < next.order;

/**
 * The recorder's message rules without storage (dedup by provider message id, then applyEvent), and
 * each message's status folded through `moves` above.
 */
const fold = (events: readonly HubEvent[]) => {
  let model: ConversationModel | undefined;
  const seenMessages = new Set<string>();
  const statuses = new Map<string, Register>();
  for (const event of events) {
    if (isMessageEvent(event)) {
      if (seenMessages.has(event.data.providerMessageId)) continue;
      seenMessages.add(event.data.providerMessageId);
      model = applyEvent(model, event).model;
    } else if (event.type === 'switchboard.message.status_updated') {
      for (const id of event.data.providerMessageIds) {
        const next = {
          order: statusOrder(event.data.channel, event.data.status, event.data.providerStatus),
          eventId: event.id,
        };
        if (moves(statuses.get(id), next)) statuses.set(id, next);
      }
    }
  }
  return { model, statuses: new Map([...statuses].map(([id, register]) => [id, Number(register.order)])) };
};

const message = (...args: Parameters<typeof messageEvent>): MessageEvent => {
  const event = messageEvent(...args);
  if (!isMessageEvent(event)) throw new Error('factory built a non-message');
  return event;
};

/** An e-mail of one thread, flagged as the adapter flags auto-replies and bounces. */
const emailMessage = (
  providerMessageId: string,
  at: string,
  direction: 'inbound' | 'outbound' = 'inbound',
  flags = { isAutoReply: false, isBounce: false },
): MessageEvent => {
  const event = message('ann@customer.example', providerMessageId, at, direction, 'hello', 'email');
  return {
    ...event,
    data: {
      ...event.data,
      endpoint: { type: 'email_address', id: 'support@acme.example' },
      contact: { identities: [{ type: 'email', value: 'ann@customer.example' }] },
      email: {
        subject: 'Order 42',
        from: { address: direction === 'inbound' ? 'ann@customer.example' : 'support@acme.example' },
        to: [],
        cc: [],
        replyTo: [],
        messageIdHeader: providerMessageId,
        references: [],
        attachments: [],
        ...flags,
      },
    },
  } as MessageEvent;
};

/** A WhatsApp `system` message (or welcome request) as the adapter normalizes it. */
const systemNotice = (
  customer: string,
  providerMessageId: string,
  at: string,
  kind: string,
): MessageEvent => {
  const event = message(customer, providerMessageId, at);
  const part =
    kind === 'request_welcome'
      ? { type: 'system' as const, kind }
      : { type: 'system' as const, kind, body: 'User changed from 1 to 2', newIdentity: '4915223456789' };
  return { ...event, data: { ...event.data, parts: [part] } } as MessageEvent;
};

describe('conversation domain', () => {
  it('reopens a resolved conversation on a new customer message and resets unread on an answer', () => {
    // Prepare
    const first = applyEvent(undefined, message('d1', 'm1', minute(0))).model;
    const resolved: ConversationModel = { ...first, state: { ...first.state, status: 'resolved' } };
    // Act
    const reopened = applyEvent(resolved, message('d1', 'm2', minute(5)));
    const answered = applyEvent(reopened.model, message('d1', 'm3', minute(10), 'outbound'));
    // Assess
    expect(reopened.previousStatus).toBe('resolved');
    expect(reopened.model.state).toMatchObject({
      status: 'open',
      unreadCount: 2,
      messageCount: 2,
      version: 2,
    });
    expect(reopened.model.state.replyWindow).toEqual({ applies: true, closesAt: '2026-11-23T10:05:00.000Z' });
    expect(answered.model.state).toMatchObject({
      unreadCount: 0,
      firstResponseAt: minute(10),
      firstResponseSeconds: 600,
      lastMessageAt: minute(10),
    });
  });

  it('leaves a resolved or snoozed conversation as the helpdesk set it when a message older than the last answer is recorded late', () => {
    // Prepare: the customer wrote at 10:00 and 10:10; the 10:10 message is held up (a redrive) while
    // the agent answers at 10:20 and then resolves, or snoozes until 20:00
    const written = applyEvent(undefined, message('d-late', 'm1', minute(0))).model;
    const answered = applyEvent(written, message('d-late', 'm2', minute(20), 'outbound')).model;
    const resolved = applyPatch(answered, { status: 'resolved' }).model;
    const snoozed = applyPatch(answered, { status: 'snoozed', snoozedUntil: minute(600) }).model;
    const late = message('d-late', 'm3', minute(10));
    // Act
    const afterResolved = applyEvent(resolved, late);
    const afterSnoozed = applyEvent(snoozed, late);
    // Assess: counted, nothing waits, and the status and snooze stand
    expect(afterResolved.model.state).toMatchObject({
      status: 'resolved',
      snoozedUntil: null,
      unreadCount: 0,
      waitingSince: null,
      messageCount: 3,
    });
    expect(afterSnoozed.model.state).toMatchObject({
      status: 'snoozed',
      snoozedUntil: minute(600),
      unreadCount: 0,
      waitingSince: null,
      messageCount: 3,
    });
  });

  it("takes a WhatsApp message stamped in the second of the hub's answer as after it when it came in after the answer", () => {
    // Prepare: the hub's reply completes at 10:00:40.700 and the agent resolves; the customer writes
    // at 10:00:40.9, which WhatsApp stamps 10:00:40 (whole seconds) and the hub receives at 10:00:41.5
    const second = '2026-11-22T10:00:40';
    const asked = applyEvent(undefined, message('d-second', 'm1', minute(0))).model;
    const answered = applyEvent(asked, message('d-second', 'm2', `${second}.700Z`, 'outbound')).model;
    const resolved = applyPatch(answered, { status: 'resolved' }).model;
    const stamped = (providerMessageId: string, receivedAt: string) => {
      const event = message('d-second', providerMessageId, `${second}.000Z`) as MessageEvent;
      return { ...event, data: { ...event.data, receivedAt } } as MessageEvent;
    };
    // Act
    const after = applyEvent(resolved, stamped('m3', '2026-11-22T10:00:41.500Z')).model.state;
    // A bot's answer made within the second after the message came in (received at 40.5) still covers it
    const covered = applyEvent(resolved, stamped('m4', `${second}.500Z`)).model.state;
    // The other order: the customer's message recorded before the sender records its answer
    const customerFirst = applyEvent(asked, stamped('m5', '2026-11-22T10:00:41.500Z')).model;
    const answerAfter = applyEvent(
      customerFirst,
      message('d-second', 'm6', `${second}.700Z`, 'outbound'),
    ).model;
    // Assess
    expect(after).toMatchObject({ status: 'open', unreadCount: 1, waitingSince: `${second}.000Z` });
    expect(covered).toMatchObject({ status: 'resolved', unreadCount: 0, waitingSince: null });
    expect(answerAfter.state).toMatchObject({ unreadCount: 2, waitingSince: `${second}.000Z` });
  });

  /** The event as the hub received it at `receivedAt` (its provider time unchanged). */
  const receivedAt = (event: MessageEvent, at: string): MessageEvent =>
    ({ ...event, data: { ...event.data, receivedAt: at } }) as MessageEvent;

  it('keeps an e-mail dated before the answer but received after it waiting, in either order of recording', () => {
    // Prepare: the customer wrote at 10:00, the agent answered at 10:30 and resolved; a second mail
    // whose Date says 10:20 (a sender's clock behind, a delay in transit) reaches the hub at 11:00
    const written = applyEvent(undefined, emailMessage('m1', minute(0))).model;
    const answer = emailMessage('m2', minute(30), 'outbound');
    const resolved = applyPatch(applyEvent(written, answer).model, { status: 'resolved' }).model;
    const late = receivedAt(emailMessage('m3', minute(20)), minute(60));
    // Act
    const after = applyEvent(resolved, late).model.state;
    // The other order: the answer's recording comes after the late mail's
    const answeredLast = applyEvent(applyEvent(written, late).model, answer).model.state;
    // Assess
    expect(after).toMatchObject({ status: 'open', unreadCount: 1, waitingSince: minute(20) });
    expect(answeredLast).toMatchObject({ unreadCount: 2, waitingSince: minute(20) });
  });

  it('takes an answer made after a mail dated ahead came in as its answer, in either order of recording', () => {
    // Prepare: the customer's Date is 10 minutes ahead (10:10, received 10:00); the agent answers at 10:03
    const mail = receivedAt(emailMessage('m1', minute(10)), minute(0));
    const answer = emailMessage('m2', minute(3), 'outbound');
    // Act
    const inOrder = applyEvent(applyEvent(undefined, mail).model, answer).model.state;
    const answerFirst = applyEvent(applyEvent(undefined, answer).model, mail).model.state;
    // Assess
    expect(inOrder).toMatchObject({ unreadCount: 0, waitingSince: null, firstResponseAt: minute(3) });
    expect(answerFirst).toMatchObject({ unreadCount: 0, waitingSince: null, status: 'open' });
  });

  it('starts the wait of a mail dated ahead when it came in, as its first-response time does', () => {
    // Prepare: the customer's Date is 14 minutes ahead (10:14, within the 15 minutes a provider time
    // is believed), the mail came in at 10:00
    const mail = receivedAt(emailMessage('m1', minute(14)), minute(0));
    // Act
    const written = applyEvent(undefined, mail).model;
    // Assess: until 2026-12-06 the wait started at 10:14, and its response_overdue came 14 minutes late
    expect(written.firstInboundAt).toBe(minute(0));
    expect(written.state.waitingSince).toBe(minute(0));
  });

  it('starts the wait again at the arrival of a mail dated ahead that an older answer recorded last does not cover', () => {
    // Prepare: the customer wrote at 10:00; a second mail dated 10:29 (its clock 14 minutes ahead)
    // came in at 10:15; the agent's answer of 10:10 is recorded after both (a late recording)
    const asked = applyEvent(
      applyEvent(undefined, emailMessage('m1', minute(0))).model,
      receivedAt(emailMessage('m2', minute(29)), minute(15)),
    ).model;
    // Act
    const answered = applyEvent(asked, emailMessage('m3', minute(10), 'outbound')).model;
    // Assess: the second mail waits from when it came in (both stay unread: the newest is not answered)
    expect(answered.state).toMatchObject({ unreadCount: 2, waitingSince: minute(15) });
  });

  it('keeps a customer message received after a business copy dated ahead waiting, in either order of recording', () => {
    // Prepare: a copy of the business's own mail dated 10:10 (its clock 10 minutes ahead) arrives at
    // 10:00; the customer writes at 10:05
    const copy = receivedAt(emailMessage('c1', minute(10), 'outbound'), minute(0));
    const asked = emailMessage('m1', minute(5));
    // Act
    const copyFirst = applyEvent(applyEvent(undefined, copy).model, asked).model.state;
    const askedFirst = applyEvent(applyEvent(undefined, asked).model, copy).model.state;
    // Assess
    expect(copyFirst).toMatchObject({ unreadCount: 1, waitingSince: minute(5) });
    expect(askedFirst).toMatchObject({ unreadCount: 1, waitingSince: minute(5) });
  });

  it('dates the first response of a business copy dated ahead no later than its arrival, and a later answer leaves it', () => {
    // Prepare: the customer writes at 10:00; the agent's copy dated 10:14 (its clock ahead) comes in
    // at 10:04; another answer made at 10:08 is recorded next
    const asked = applyEvent(undefined, emailMessage('m1', minute(0))).model;
    const copy = receivedAt(emailMessage('c1', minute(14), 'outbound'), minute(4));
    // Act
    const copied = applyEvent(asked, copy).model.state;
    const answeredAgain = applyEvent(applyEvent(asked, copy).model, emailMessage('c2', minute(8), 'outbound'))
      .model.state;
    // Assess: until 2026-12-07 the first response was 10:14, after the hub had the copy, and then moved to 10:08
    expect(copied).toMatchObject({ firstResponseAt: minute(4), firstResponseSeconds: 240 });
    expect(answeredAgain).toMatchObject({ firstResponseAt: minute(4), firstResponseSeconds: 240 });
  });

  it.each(['resolved', 'pending'] as const)(
    'ends the wait when the helpdesk sets %s without an answer: the next message waits from its own time',
    (status) => {
      // Prepare: the customer wrote at 10:00 (its wait reported overdue); the agent handled it by phone
      const written = applyEvent(undefined, message('d-phone', 'm1', minute(0))).model;
      // Act
      const patched = applyPatch(written, { status }).model;
      const again = applyEvent(patched, message('d-phone', 'm2', minute(300))).model.state;
      const snoozed = applyPatch(written, { status: 'snoozed', snoozedUntil: minute(60) }).model;
      // Assess
      expect(patched.state.waitingSince).toBeNull();
      expect(again).toMatchObject({ status: 'open', waitingSince: minute(300) });
      expect(snoozed.state.waitingSince).toBe(minute(0));
    },
  );

  /** The message as an opt-out keyword (an SMS STOP, or Twilio's OptOutType STOP on WhatsApp). */
  const optOut = (event: MessageEvent): MessageEvent =>
    ({ ...event, data: { ...event.data, provider: 'twilio', consentKeyword: 'opted_out' } }) as MessageEvent;

  /** The model after recording these messages in this order. */
  const recorded = (events: readonly MessageEvent[]): ConversationModel => {
    let model: ConversationModel | undefined;
    for (const event of events) model = applyEvent(model, event).model;
    if (model === undefined) throw new Error('nothing recorded');
    return model;
  };

  it('takes an answer recorded after a later WhatsApp STOP as ending the wait, in either order of recording', () => {
    // Prepare: through Twilio on WhatsApp the customer asks at 10:00, the agent answers at 10:05, and
    // the customer sends STOP at 10:10 (it stops marketing only: it starts no wait and ends none)
    const asked = message('d-wa-stop', 'm1', minute(0));
    const answer = message('d-wa-stop', 'm2', minute(5), 'outbound');
    const stop = optOut(message('d-wa-stop', 'm3', minute(10), 'inbound', 'STOP'));
    // Act
    const inOrder = recorded([asked, answer, stop]).state;
    // The sender's recording of the answer retried after the STOP's; the STOP held up the longest
    const answerLast = recorded([asked, stop, answer]).state;
    const stopFirst = recorded([stop, asked, answer]).state;
    // Assess: the STOP is the newest customer message, but nobody waits from it
    expect(inOrder).toMatchObject({ status: 'open', waitingSince: null, lastInboundAt: minute(10) });
    expect(answerLast).toMatchObject({ status: 'open', waitingSince: null, lastInboundAt: minute(10) });
    expect(stopFirst).toMatchObject({ status: 'open', waitingSince: null, lastInboundAt: minute(10) });
  });

  it('waits from the newest question, not a WhatsApp STOP after it, when an older answer is recorded last', () => {
    // Prepare: the customer asks at 10:00, the agent answers at 10:05, the customer asks again at 10:08
    // and sends STOP (Twilio's, on WhatsApp) at 10:10
    const asked = message('d-wa-again', 'm1', minute(0));
    const answer = message('d-wa-again', 'm2', minute(5), 'outbound');
    const again = message('d-wa-again', 'm3', minute(8));
    const stop = optOut(message('d-wa-again', 'm4', minute(10), 'inbound', 'STOP'));
    // Act
    const inOrder = recorded([asked, answer, again, stop]).state;
    const answerLast = recorded([asked, again, stop, answer]).state;
    // Assess
    expect(inOrder).toMatchObject({ status: 'open', waitingSince: minute(8) });
    expect(answerLast).toMatchObject({ status: 'open', waitingSince: minute(8) });
  });

  it('takes an SMS answer recorded after a STOP as ending the wait of a question dated before both, in either order of recording', () => {
    // Prepare: the customer texts at 10:00 and 10:02, the agent answers at 10:05, the customer texts
    // STOP at 10:10; the 10:02 text is recorded after the STOP, and the answer last
    const asked = message('d-sms-stop', 'm1', minute(0), 'inbound', 'hello', 'sms');
    const late = message('d-sms-stop', 'm2', minute(2), 'inbound', 'hello', 'sms');
    const answer = message('d-sms-stop', 'm3', minute(5), 'outbound', 'hello', 'sms');
    const stop = optOut(message('d-sms-stop', 'm4', minute(10), 'inbound', 'STOP', 'sms'));
    // Act
    const inOrder = recorded([asked, late, answer, stop]).state;
    const beforeAnswer = recorded([asked, stop, late]).state;
    const answerLast = recorded([asked, stop, late, answer]).state;
    // Assess: applied in the order recorded, the late text waits until the answer covers it
    expect(inOrder.waitingSince).toBeNull();
    expect(beforeAnswer.waitingSince).toBe(minute(2));
    expect(answerLast.waitingSince).toBeNull();
  });

  it('waits only from a message that starts a wait, whatever the order of recording (property)', () => {
    const historyArb = fc.uniqueArray(
      fc.record({
        at: fc.integer({ min: 0, max: 60 }),
        kind: fc.constantFrom('question', 'stop', 'answer'),
      }),
      { minLength: 1, maxLength: 8, selector: (entry) => entry.at },
    );
    fc.assert(
      fc.property(
        historyArb.chain((history) =>
          fc.tuple(fc.constant(history), fc.shuffledSubarray(history, { minLength: history.length })),
        ),
        ([history, recordingOrder]) => {
          // Prepare: questions, WhatsApp STOPs (Twilio's) and answers, recorded in any order
          const event = ({ at, kind }: (typeof history)[number]) => {
            const built = message(
              'prop-stop',
              `s-${at}`,
              minute(at),
              kind === 'answer' ? 'outbound' : 'inbound',
            );
            return kind === 'stop' ? optOut(built) : built;
          };
          const questions = history.filter((entry) => entry.kind === 'question').map((entry) => entry.at);
          const answers = history.filter((entry) => entry.kind === 'answer').map((entry) => entry.at);
          const lastAnswer = Math.max(-1, ...answers);
          const unanswered = questions.filter((at) => at > lastAnswer);
          // Act
          const { state } = recorded(recordingOrder.map(event));
          // Assess: nothing waits once the newest answer came after every question; otherwise the wait
          // starts at a question no answer covers (the oldest in the order sent, a later one at worst)
          if (unanswered.length === 0) expect(state.waitingSince).toBeNull();
          else {
            expect(questions.map(minute)).toContain(state.waitingSince);
            expect(Date.parse(state.waitingSince ?? '')).toBeGreaterThanOrEqual(
              Date.parse(minute(Math.min(...unanswered))),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives no first response to a first customer message stamped in the second of an earlier business message it came in after, in either order of recording', () => {
    // Prepare: the business writes first (a template at 10:00:40.300); the customer's first reply is
    // stamped 10:00:40 and received at 10:00:41; the agent answers at 10:10
    const template = message('d-template', 't1', '2026-11-22T10:00:40.300Z', 'outbound');
    const reply = message('d-template', 'r1', '2026-11-22T10:00:40.000Z');
    const received = {
      ...reply,
      data: { ...reply.data, receivedAt: '2026-11-22T10:00:41.000Z' },
    } as MessageEvent;
    const agent = message('d-template', 'a1', minute(10), 'outbound');
    // Act
    const replied = recorded([template, received]);
    const answered = applyEvent(replied, agent).model;
    const replyFirst = recorded([received, template]);
    const replyFirstAnswered = applyEvent(replyFirst, agent).model;
    // Assess: the agent's answer is the first response, not the template before the reply (until
    // 2026-12-07 a template recorded after the reply was its first response, 0.3 s, while it waited)
    for (const before of [replied, replyFirst])
      expect(before.state).toMatchObject({
        unreadCount: 1,
        waitingSince: '2026-11-22T10:00:40.000Z',
        firstResponseAt: null,
        firstResponseSeconds: null,
      });
    for (const after of [answered, replyFirstAnswered])
      expect(after.state).toMatchObject({
        firstResponseAt: minute(10),
        firstResponseSeconds: 560,
        waitingSince: null,
      });
  });

  it("takes an answer recorded before the first customer message it answers as that message's first response", () => {
    // Prepare: the customer's first message (10:00) is held up; the business's answer (10:05, an echo
    // from the WhatsApp Business app) is recorded first
    const answered = applyEvent(undefined, message('d-first', 'm2', minute(5), 'outbound')).model;
    // Act
    const asked = applyEvent(answered, message('d-first', 'm1', minute(0))).model;
    const later = applyEvent(asked, message('d-first', 'm3', minute(30), 'outbound')).model;
    // Assess: 300 s, not the 1,800 of the next answer
    expect(asked.state).toMatchObject({
      firstResponseAt: minute(5),
      firstResponseSeconds: 300,
      unreadCount: 0,
    });
    expect(later.state).toMatchObject({ firstResponseAt: minute(5), firstResponseSeconds: 300 });
  });

  it('reopens a resolved or snoozed conversation exactly when the inbound message is newer than every answer (property)', () => {
    const historyArb = fc.uniqueArray(
      fc.record({ at: fc.integer({ min: 0, max: 60 }), outbound: fc.boolean() }),
      { minLength: 1, maxLength: 8, selector: (entry) => entry.at },
    );
    fc.assert(
      fc.property(
        historyArb,
        fc.constantFrom('resolved', 'snoozed'),
        fc.integer({ min: 0, max: 70 }),
        (history, status, lateAt) => {
          // Prepare: a history, then the helpdesk's status, then a message recorded late
          let model: ConversationModel | undefined;
          for (const [index, { at, outbound }] of history.entries())
            model = applyEvent(
              model,
              message('prop-late', `h-${index}`, minute(at), outbound ? 'outbound' : 'inbound'),
            ).model;
          const patched = applyPatch(
            model as ConversationModel,
            status === 'snoozed' ? { status, snoozedUntil: minute(600) } : { status },
          ).model;
          const answers = history.filter((entry) => entry.outbound).map((entry) => entry.at);
          // Act
          const after = applyEvent(patched, message('prop-late', 'late', minute(lateAt))).model.state;
          // Assess
          const waits = answers.every((answer) => lateAt > answer);
          if (waits) expect(after).toMatchObject({ status: 'open', snoozedUntil: null });
          else
            expect(after).toMatchObject({
              status: patched.state.status,
              snoozedUntil: patched.state.snoozedUntil,
              unreadCount: patched.state.unreadCount,
              waitingSince: patched.state.waitingSince,
            });
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['an out-of-office auto-reply', { isAutoReply: true, isBounce: false }],
    ['a bounce', { isAutoReply: false, isBounce: true }],
  ])(
    'counts %s as unread but leaves a resolved e-mail conversation resolved and waiting for nothing',
    (_label, flags) => {
      // Prepare: the customer wrote at 10:00, the agent answered at 10:05 and resolved
      const written = applyEvent(undefined, emailMessage('m1', minute(0))).model;
      const answered = applyEvent(written, emailMessage('m2', minute(5), 'outbound')).model;
      const resolved = applyPatch(answered, { status: 'resolved' }).model;
      // Act: the customer's mailbox answers the answer at 10:06
      const after = applyEvent(resolved, emailMessage('m3', minute(6), 'inbound', flags));
      // Assess
      expect(after.model.state).toMatchObject({
        status: 'resolved',
        waitingSince: null,
        lastInboundAt: minute(0),
        messageCount: 3,
        unreadCount: 1,
        lastMessageAt: minute(6),
      });
      expect(after.model.firstInboundAt).toBe(minute(0));
    },
  );

  it('starts no first-response time for an auto-reply that opens an e-mail conversation', () => {
    // Prepare: an out-of-office is the first mail recorded, then the customer writes
    const machine = applyEvent(
      undefined,
      emailMessage('m1', minute(0), 'inbound', { isAutoReply: true, isBounce: false }),
    ).model;
    // Act
    const written = applyEvent(machine, emailMessage('m2', minute(10))).model;
    const answered = applyEvent(written, emailMessage('m3', minute(15), 'outbound')).model;
    // Assess
    expect(machine.state).toMatchObject({ status: 'open', waitingSince: null, lastInboundAt: null });
    expect(written.state.waitingSince).toBe(minute(10));
    expect(answered.state).toMatchObject({ firstResponseAt: minute(15), firstResponseSeconds: 300 });
  });

  it('takes the receipt time of a message whose sender’s clock is far ahead, so an answer still answers it', () => {
    // Prepare: the customer's message says 2199 (an e-mail's Date: is the sender's own clock)
    const event = message('d-future', 'm1', minute(0));
    const wrongClock: MessageEvent = { ...event, time: '2199-01-01T00:00:00.000Z' };
    // Act
    const written = applyEvent(undefined, wrongClock).model;
    const answered = applyEvent(written, message('d-future', 'm2', minute(5), 'outbound')).model;
    // Assess
    expect(written.state).toMatchObject({ lastMessageAt: minute(0), lastInboundAt: minute(0) });
    expect(answered.state).toMatchObject({ unreadCount: 0, lastMessageAt: minute(5) });
  });

  it('takes a WhatsApp system notice (a number change) for nobody writing: no wait, nothing reopened, not unread, no reply window, no first response', () => {
    // Prepare: asked, answered and resolved; and a conversation a notice opens
    const asked = applyEvent(undefined, message('d-notice', 'm1', minute(0))).model;
    const answered = applyEvent(asked, message('d-notice', 'm2', minute(1), 'outbound')).model;
    const resolved = applyPatch(answered, { status: 'resolved' }).model;
    // Act
    const noticed = applyEvent(resolved, systemNotice('d-notice', 'm3', minute(10), 'user_changed_number'));
    const opened = applyEvent(
      undefined,
      systemNotice('d-notice-2', 'n1', minute(0), 'customer_identity_changed'),
    ).model;
    const written = applyEvent(opened, message('d-notice-2', 'n2', minute(10))).model;
    const firstAnswer = applyEvent(written, message('d-notice-2', 'n3', minute(15), 'outbound')).model;
    // Assess
    expect(noticed.model.state).toMatchObject({
      status: 'resolved',
      waitingSince: null,
      unreadCount: 0,
      messageCount: 3,
      lastMessageAt: minute(10),
      lastInboundAt: minute(0),
      replyWindow: { applies: true, closesAt: '2026-11-23T10:00:00.000Z' },
    });
    expect(opened.state).toMatchObject({
      status: 'open',
      waitingSince: null,
      unreadCount: 0,
      lastInboundAt: null,
      replyWindow: { applies: true, closesAt: null },
    });
    expect(opened.firstInboundAt).toBeNull();
    expect(written.state).toMatchObject({ waitingSince: minute(10), unreadCount: 1 });
    expect(firstAnswer.state).toMatchObject({ firstResponseAt: minute(15), firstResponseSeconds: 300 });
  });

  it('takes a WhatsApp welcome request (the customer opening the chat) as the customer writing', () => {
    // Prepare
    const welcome = systemNotice('d-welcome', 'w1', minute(0), 'request_welcome');
    // Act
    const opened = applyEvent(undefined, welcome).model;
    // Assess
    expect(opened.state).toMatchObject({
      waitingSince: minute(0),
      unreadCount: 1,
      lastInboundAt: minute(0),
      replyWindow: { applies: true, closesAt: '2026-11-23T10:00:00.000Z' },
    });
  });

  it('takes the receipt time of a message dated more than 7 days before it came in, and believes a provider retry within them', () => {
    // Prepare: messages the hub received at minute 0, dated by their sender's clock or provider
    const receivedAtZero = (customer: string, writtenAt: string): MessageEvent => {
      const event = message(customer, 'm1', writtenAt);
      return { ...event, data: { ...event.data, receivedAt: minute(0) } } as MessageEvent;
    };
    const week = 7 * 24 * 60;
    // Act
    const wrongClock = applyEvent(undefined, receivedAtZero('d-2001', '2001-01-01T00:00:00.000Z')).model;
    const answered = applyEvent(wrongClock, message('d-2001', 'm2', minute(5), 'outbound')).model;
    const retried = applyEvent(undefined, receivedAtZero('d-retried', minute(-week))).model;
    const older = applyEvent(undefined, receivedAtZero('d-older', minute(-week - 1))).model;
    // Assess
    expect(wrongClock.state).toMatchObject({
      createdAt: minute(0),
      lastMessageAt: minute(0),
      lastInboundAt: minute(0),
      waitingSince: minute(0),
    });
    expect(answered.state).toMatchObject({
      waitingSince: null,
      firstResponseAt: minute(5),
      firstResponseSeconds: 300,
    });
    expect(retried.state).toMatchObject({ lastInboundAt: minute(-week), waitingSince: minute(-week) });
    expect(older.state).toMatchObject({ lastInboundAt: minute(0), waitingSince: minute(0) });
  });

  it('keeps the first and last receipt of its messages on the hub’s clock, whatever their dates and order of recording', () => {
    // Prepare: a mail dated 10:04 that came in at 10:08 (a sender's clock slow), one of 10:09, the
    // business's copy dated 10:20 (ahead) that came in at 10:10, and one dated 10:00 held up in
    // transit until 10:07
    const messages = [
      receivedAt(emailMessage('r1', minute(4)), minute(8)),
      receivedAt(emailMessage('r2', minute(9)), minute(9)),
      receivedAt(emailMessage('r3', minute(20), 'outbound'), minute(10)),
      receivedAt(emailMessage('r4', minute(0)), minute(7)),
    ];
    const orders = [messages, [...messages].reverse(), [messages[3], messages[1], messages[0], messages[2]]];
    // Act
    const states = orders.map((order) => recorded(order as MessageEvent[]).state);
    const first = applyEvent(undefined, messages[0] as MessageEvent).model.state;
    // Assess: the earliest and latest receipt, never a provider time
    expect(first).toMatchObject({
      createdAt: minute(4),
      firstReceivedAt: minute(8),
      lastReceivedAt: minute(8),
    });
    for (const state of states)
      expect(state).toMatchObject({
        createdAt: minute(0),
        lastMessageAt: minute(20),
        firstReceivedAt: minute(7),
        lastReceivedAt: minute(10),
      });
  });

  it('adds no receipts to a conversation stored without them (created before 2026-12-06)', () => {
    // Prepare: a conversation as stored before its state kept receipts
    const created = applyEvent(undefined, message('d-no-receipts', 'm1', minute(0))).model;
    const { firstReceivedAt: _first, lastReceivedAt: _last, ...state } = created.state;
    const stored: ConversationModel = { ...created, state };
    // Act: its next message, received a minute later
    const after = applyEvent(stored, message('d-no-receipts', 'm2', minute(1))).model.state;
    // Assess: a first receipt of 10:01 would say its first message came in after it did
    expect(after.messageCount).toBe(2);
    expect(after).not.toHaveProperty('firstReceivedAt');
    expect(after).not.toHaveProperty('lastReceivedAt');
  });

  it('keeps a state field a newer version stored through a message and a helpdesk change (a rollback)', () => {
    // Prepare: a conversation as a newer version stored it, its state with a field this one lacks
    const created = applyEvent(undefined, message('d-newer-field', 'm1', minute(0))).model;
    const newer = { ...created, state: { ...created.state, answeredBy: 'a field of a later version' } };
    const stored = parseConversationModel(JSON.stringify(newer));
    // Act: this version records a message and a helpdesk change, and stores the model again
    const messaged = applyEvent(stored, message('d-newer-field', 'm2', minute(1))).model;
    const resolved = applyPatch(messaged, { status: 'resolved' }).model;
    const again = parseConversationModel(JSON.stringify(resolved));
    // Assess: until 2026-12-06 the field was dropped at the first read (the receipts were, by older code)
    expect(again.state).toMatchObject({
      messageCount: 2,
      status: 'resolved',
      firstReceivedAt: created.state.firstReceivedAt,
      answeredBy: 'a field of a later version',
    });
  });

  /**
   * The hub's own answer as its sender publishes it: dated (`time`, `receivedAt`) when its last part
   * went, `completedAt`, and taken (`takenAt`) when the sender took its command.
   */
  const hubAnswer = (customer: string, id: string, completedAt: string, takenAt: string): MessageEvent => {
    const event = message(customer, id, completedAt, 'outbound');
    return { ...event, data: { ...event.data, sentBy: 'hub', takenAt } } as MessageEvent;
  };
  const second = (n: number): string => new Date(Date.UTC(2026, 10, 22, 10, 0, n)).toISOString();

  it('leaves a customer message received while the hub’s answer of several parts went out unread and waiting, in either order of recording', () => {
    // Prepare: the customer writes at 10:00:00; the hub takes the reply (a text and 3 photos) at
    // 10:00:05, its last photo goes at 10:03:00 (WhatsApp's pair rate); at 10:01:00 the customer
    // asks about the text
    const asked = message('d-parts', 'q1', second(0));
    const meanwhile = message('d-parts', 'q2', second(60));
    const answer = hubAnswer('d-parts', 'a1', second(180), second(5));
    // Act
    const inOrder = recorded([asked, meanwhile, answer]).state;
    const answerFirst = recorded([asked, answer, meanwhile]).state;
    // Assess: until 2026-12-06 the answer's last part covered the 10:01 question (nothing waited)
    expect(inOrder).toMatchObject({ waitingSince: second(60), firstResponseAt: second(180) });
    expect(inOrder.unreadCount).toBeGreaterThan(0);
    expect(answerFirst).toMatchObject({ waitingSince: second(60), unreadCount: 1 });
  });

  it('keeps a wait that began after the hub took its answer from the first question of it, not the last', () => {
    // Prepare: the customer's 10:00:00 question was answered at 10:00:10; the hub takes a reply of
    // several parts at 10:00:30, and the customer asks at 10:01:00 and 10:01:30 while it goes out
    const before = recorded([
      message('d-parts-wait', 'q1', second(0)),
      hubAnswer('d-parts-wait', 'a1', second(10), second(9)),
      message('d-parts-wait', 'q2', second(60)),
      message('d-parts-wait', 'q3', second(90)),
    ]);
    // Act: the reply's last part goes at 10:03:00
    const after = applyEvent(before, hubAnswer('d-parts-wait', 'a2', second(180), second(30))).model;
    // Assess: the wait and its version are the ones that began at 10:01:00
    expect(before.state.waitingSince).toBe(second(60));
    expect(after.state).toMatchObject({ waitingSince: second(60), unreadCount: 2 });
    expect(after.waitVersion).toBe(before.waitVersion);
  });

  it('gives no first response to a first customer message received while the hub’s message went out', () => {
    // Prepare: the business wrote first (a copy at 10:00:00); the hub takes a message of several parts
    // at 10:00:10, and the customer's first message comes in at 10:01:00, before its last part at 10:03:00
    const opened = recorded([
      message('d-parts-first', 'c1', second(0), 'outbound'),
      message('d-parts-first', 'q1', second(60)),
    ]);
    // Act
    const after = applyEvent(opened, hubAnswer('d-parts-first', 'a1', second(180), second(10))).model.state;
    // Assess: no response yet (until 2026-12-06: 120 seconds, while the message still waited)
    expect(after).toMatchObject({
      firstResponseAt: null,
      firstResponseSeconds: null,
      waitingSince: second(60),
    });
  });

  it('gives a first customer message received while the hub’s answer went out no first response, in either order of recording', () => {
    // Prepare: the customer's first WhatsApp message is stamped 10:00:40 and received at 10:00:41;
    // the hub took a send at 10:00:40.300 that went at 10:00:41.500; the agent answers at 10:10
    const first = message('d-first-send', 'q1', '2026-11-22T10:00:40.000Z');
    const asked = {
      ...first,
      data: { ...first.data, receivedAt: '2026-11-22T10:00:41.000Z' },
    } as MessageEvent;
    const send = hubAnswer('d-first-send', 's1', '2026-11-22T10:00:41.500Z', '2026-11-22T10:00:40.300Z');
    const agent = message('d-first-send', 'a1', minute(10), 'outbound');
    // Act
    const askedFirst = recorded([asked, send]);
    const sendFirst = recorded([send, asked]);
    // Assess: the send covers no message of the customer's, so the agent's answer is the first response
    // (until 2026-12-07, recorded after the message, the send was: 1.5 s, the customer still waiting)
    for (const before of [askedFirst, sendFirst])
      expect(before.state).toMatchObject({
        waitingSince: '2026-11-22T10:00:40.000Z',
        unreadCount: 1,
        firstResponseAt: null,
      });
    for (const before of [askedFirst, sendFirst])
      expect(applyEvent(before, agent).model.state).toMatchObject({
        waitingSince: null,
        firstResponseAt: minute(10),
        firstResponseSeconds: 560,
      });
  });

  it('sets the first response at the first answer that covers the first customer message, in either order of recording (property)', () => {
    // A first WhatsApp message stamped in whole seconds and received up to 2 s later; a send the hub
    // took at any millisecond around it, out up to 3 s later; the agent's answer at 10:10 recorded last
    const historyArb = fc.record({
      stampedSecond: fc.integer({ min: 0, max: 5 }),
      receiptDelayMs: fc.integer({ min: 0, max: 2000 }),
      takenMs: fc.integer({ min: 0, max: 8000 }),
      sendingMs: fc.integer({ min: 0, max: 3000 }),
    });
    const at = (ms: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, 0, ms)).toISOString();
    fc.assert(
      fc.property(historyArb, ({ stampedSecond, receiptDelayMs, takenMs, sendingMs }) => {
        // Prepare
        const stamped = stampedSecond * 1000;
        const first = message('prop-first', 'q1', at(stamped));
        const asked = {
          ...first,
          data: { ...first.data, receivedAt: at(stamped + receiptDelayMs) },
        } as MessageEvent;
        const send = hubAnswer('prop-first', 's1', at(takenMs + sendingMs), at(takenMs));
        const agent = message('prop-first', 'a1', minute(10), 'outbound');
        // Act
        const orders = [
          [asked, send],
          [send, asked],
        ].map((events) => recorded(events));
        const answered = orders.map((model) => applyEvent(model, agent).model.state);
        // Assess: the send is the first response exactly when taken after the message was written and
        // received; else it is the agent's answer, and the customer waits until it
        const covers = takenMs >= stamped + receiptDelayMs;
        for (const { state } of orders)
          expect(state).toMatchObject(
            covers
              ? { firstResponseAt: at(takenMs + sendingMs), waitingSince: null }
              : { firstResponseAt: null, waitingSince: at(stamped) },
          );
        for (const state of answered)
          expect(state.firstResponseAt).toBe(covers ? at(takenMs + sendingMs) : minute(10));
      }),
      { numRuns: 300 },
    );
  });

  it('lists a new contact identity once', () => {
    // Prepare
    const created = applyEvent(undefined, message('d2', 'm1', minute(0)));
    // Act
    const again = applyEvent(created.model, message('d2', 'm2', minute(1)));
    // Assess
    expect(created.newIdentities).toEqual([{ type: 'wa_id', value: 'd2' }]);
    expect(again.newIdentities).toEqual([]);
  });

  it('ends at the same counters whatever the order and duplication, and at the furthest status by statusOrder folded forward (property)', () => {
    const statusArb = fc.constantFrom<DeliveryStatus>('sent', 'delivered', 'read', 'failed');
    const eventsArb = fc
      .record({
        messages: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }),
        statuses: fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), statusArb), { maxLength: 12 }),
      })
      .map(({ messages, statuses }) => [
        ...messages.map((n, index) =>
          messageEvent('prop', `p-${n}`, minute(n), index % 3 === 2 ? 'outbound' : 'inbound'),
        ),
        ...statuses.map(([index, status]) =>
          statusEvent('prop', `p-${messages[index % messages.length]}`, status, minute(40)),
        ),
      ]);
    fc.assert(
      fc.property(
        eventsArb.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray([...events, ...events], { minLength: 2 * events.length }),
          ),
        ),
        ([events, duplicatedAndShuffled]) => {
          // Prepare
          const reference = fold(events);
          // Act
          const actual = fold(duplicatedAndShuffled);
          // Assess
          const distinctMessages = new Set(
            events.filter(isMessageEvent).map((event) => event.data.providerMessageId),
          );
          expect(actual.model?.state.messageCount).toBe(distinctMessages.size);
          expect(actual.model?.state.lastMessageAt).toBe(reference.model?.state.lastMessageAt);
          expect(actual.model?.state.createdAt).toBe(reference.model?.state.createdAt);
          expect(actual.model?.state.firstReceivedAt).toBe(reference.model?.state.firstReceivedAt);
          expect(actual.model?.state.lastReceivedAt).toBe(reference.model?.state.lastReceivedAt);
          expect(actual.model?.state.lastInboundAt).toBe(reference.model?.state.lastInboundAt);
          expect(actual.statuses).toEqual(reference.statuses);
          for (const [id, rank] of actual.statuses) {
            const furthest = Math.max(
              ...events.flatMap((event) =>
                event.type === 'switchboard.message.status_updated' &&
                event.data.providerMessageIds.includes(id)
                  ? [DELIVERY_STATUS_RANK[event.data.status]]
                  : [],
              ),
            );
            expect(rank).toBe(furthest);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
