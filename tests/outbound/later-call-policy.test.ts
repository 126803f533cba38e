import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { prepareWhatsApp } from '#shared/channels/whatsapp/outbound/prepare.ts';
import { buildEvent } from '#shared/contract/build.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import { consentEvent, conversationFor, messageEvent, smsReceived } from '../recorder/factories.ts';
import { openCustomerConversation, outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * The send policy (reply window, consent) decided again before every provider call but the
 * claiming delivery's first: a later part, or a retry after a throttle, goes by the conversation
 * and consent as they are then, not as they were when the command was claimed. The window is
 * checked once more right before every call, the claiming delivery's first too, after the
 * endpoint's turn. The rules that look at parts (WhatsApp's templates-only after the window, its
 * marketing opt-out) look only at the parts not yet sent: those that went are not sent again.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;
type Sent = HubEventOf<'switchboard.message.sent'>;

const throttled: SendOutcome = { kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } };
const TWO_PARTS = [
  { type: 'text' as const, text: 'one' },
  { type: 'text' as const, text: 'two' },
];
/** 23 h 59 min before T0: inside the 24-hour window at T0, outside it five minutes later. */
const ALMOST_A_DAY_AGO = new Date(T0.getTime() - (24 * 60 - 1) * 60_000).toISOString();
const FIVE_MINUTES_LATER = new Date(T0.getTime() + 5 * 60_000);

/** An SMS from `phone` as the recorder receives it (the consent's contact is the conversation's). */
const smsFrom = (phone: string, providerMessageId: string, at: string): HubEvent =>
  smsReceived(phone, providerMessageId, at);

describe('the send policy before later calls', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  const record = async (events: HubEvent[]) => {
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
  };

  /** A customer who last wrote at `at` on `channel`; their id and conversation id. */
  const customerWrote = (at: string, channel: 'whatsapp' | 'messenger' = 'whatsapp') =>
    openCustomerConversation(hub, { prefix: '4915552', tag: 'lc' }, ++customer, at, channel);

  /** Part one goes, part two is throttled, at T0. */
  const firstPartThenThrottled = async (conversationId: string, key: string) => {
    hub.provider.script.push({ kind: 'accepted', providerMessageId: `wamid.${key}.0` }, throttled);
    await hub.enqueue(sendCommand(conversationId, key, TWO_PARTS));
    await hub.runOutbox(undefined, 1);
  };

  it('refuses a later part once the WhatsApp window closed during a throttle wait, naming what went', async () => {
    // Prepare
    const { conversationId } = await customerWrote(ALMOST_A_DAY_AGO);
    await firstPartThenThrottled(conversationId, 'edge');
    // Act: five minutes later, 24 h 4 min after the customer's message
    hub.now = FIVE_MINUTES_LATER;
    await hub.runOutbox();
    // Assess: no free-form call past the window (Meta would answer 131047)
    expect(hub.provider.calls).toHaveLength(2);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'window_closed',
      retryable: false,
      partIndex: 1,
      failedField: 'parts.1',
      sentProviderMessageIds: ['wamid.edge.0'],
    });
  });

  /**
   * Runs `act` with the scripted provider preparing as WhatsApp's sender does (templates only
   * outside the window, texts cut at 4,096 characters), for a policy decided again to be checked
   * against the channel's own preparation.
   */
  const preparingAsWhatsApp = async (act: () => Promise<void>) => {
    const { sender } = hub.provider;
    const scripted = sender.prepare;
    sender.prepare = (parts, policy, _target, stored) => prepareWhatsApp(parts, policy, stored);
    try {
      await act();
    } finally {
      sender.prepare = scripted;
    }
  };

  it('sends a template left after a text once the WhatsApp window closed during a throttle wait', async () => {
    // Prepare: the text goes at T0 (inside the window), the template is throttled
    const { conversationId } = await customerWrote(ALMOST_A_DAY_AGO);
    hub.provider.script.push(
      { kind: 'accepted', providerMessageId: 'wamid.text-then-template.0' },
      throttled,
    );
    await hub.enqueue(
      sendCommand(conversationId, 'text-then-template', [
        { type: 'text', text: 'Thanks for your order.' },
        { type: 'template', name: 'order_survey', language: 'en_US', category: 'utility' },
      ]),
    );
    await preparingAsWhatsApp(async () => {
      await hub.runOutbox(undefined, 1);
      // Act: five minutes later, 24 h 4 min after the customer's message
      hub.now = FIVE_MINUTES_LATER;
      await hub.runOutbox();
    });
    // Assess: the template is called outside the window (Meta takes templates there) and the command is sent
    expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual([
      'text',
      'template',
      'template',
    ]);
    expect(hub.provider.calls[2]?.context.policy).toEqual({ withinWindow: false, humanAgentTag: false });
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk()) as Sent[];
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(outcomes[0]?.data.providerMessageIds).toHaveLength(2);
  });

  it('sends a template with a stored header file left after a text once the WhatsApp window closed', async () => {
    // Prepare: a template whose header is a file in the bucket (its facts kept by part index)
    const { conversationId } = await customerWrote(ALMOST_A_DAY_AGO);
    const { clients, resources } = hub.pipeline.emulators;
    const s3Key = 'media/outbound/5e6f708192a3b4c5d6e7f8091a2b3c4d/quote.pdf';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: s3Key,
        Body: new TextEncoder().encode('%PDF-1.7 quote'),
        ContentType: 'application/pdf',
      }),
    );
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.text-then-quote.0' }, throttled);
    await hub.enqueue(
      sendCommand(conversationId, 'text-then-quote', [
        { type: 'text', text: 'Here is your quote.' },
        {
          type: 'template',
          name: 'quote_ready',
          language: 'en_US',
          category: 'utility',
          header: { type: 'document', s3Key },
        },
      ]),
    );
    await preparingAsWhatsApp(async () => {
      await hub.runOutbox(undefined, 1);
      // Act
      hub.now = FIVE_MINUTES_LATER;
      await hub.runOutbox();
    });
    // Assess: the template goes outside the window, its header file found as the claim looked it up
    expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual([
      'text',
      'template',
      'template',
    ]);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('refuses the rest of a long text split in two once the WhatsApp window closed after its first piece', async () => {
    // Prepare: a template, then a text WhatsApp sends as two messages (4,096 characters each at
    // most); the template and the text's first piece go at T0
    const { conversationId } = await customerWrote(ALMOST_A_DAY_AGO);
    hub.provider.script.push(
      { kind: 'accepted', providerMessageId: 'wamid.split.template' },
      { kind: 'accepted', providerMessageId: 'wamid.split.0' },
      throttled,
    );
    await hub.enqueue(
      sendCommand(conversationId, 'split', [
        { type: 'template', name: 'order_update', language: 'en_US', category: 'utility' },
        { type: 'text', text: 'word '.repeat(1_000) },
      ]),
    );
    await preparingAsWhatsApp(async () => {
      await hub.runOutbox(undefined, 1);
      // Act
      hub.now = FIVE_MINUTES_LATER;
      await hub.runOutbox();
    });
    // Assess: the text's second piece is free-form still, refused without a call, naming its part
    expect(hub.provider.calls).toHaveLength(3);
    expect(hub.provider.calls.map((call) => call.context.sequence)).toEqual([0, 1, 2]);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'window_closed',
      retryable: false,
      partIndex: 1,
      failedField: 'parts.1',
      sentProviderMessageIds: ['wamid.split.template', 'wamid.split.0'],
    });
  });

  it('sends a text left after a marketing template that went before the customer stopped marketing', async () => {
    // Prepare: the marketing template goes at T0, the text is throttled, then the customer stops marketing
    const { wa, conversationId } = await customerWrote(new Date(T0.getTime() - 60_000).toISOString());
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.promo-then-text.0' }, throttled);
    await hub.enqueue(
      sendCommand(conversationId, 'promo-then-text', [
        { type: 'template', name: 'sale', language: 'en', category: 'marketing' },
        { type: 'text', text: 'Reply here if you have questions.' },
      ]),
    );
    await hub.runOutbox(undefined, 1);
    const stoppedAt = new Date(T0.getTime() + 60_000).toISOString();
    const sms = consentEvent(
      wa,
      'opted_out',
      stoppedAt,
      'STOP',
    ) as HubEventOf<'switchboard.contact.consent_changed'>;
    await record([
      buildEvent('switchboard.contact.consent_changed', `evt_later_call_marketing_stop_${wa}`, {
        ...sms.data,
        ...conversationFor(wa),
        provider: 'meta',
        scope: 'whatsapp_marketing',
      }),
    ]);
    // Act
    hub.now = FIVE_MINUTES_LATER;
    await hub.runOutbox();
    // Assess: the opt-out refuses marketing templates, and the one left is a text: it goes
    expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual(['template', 'text', 'text']);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk()) as Sent[];
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('sends the later part when the customer wrote again during the wait', async () => {
    // Prepare
    const { wa, conversationId } = await customerWrote(ALMOST_A_DAY_AGO);
    await firstPartThenThrottled(conversationId, 'wrote-again');
    await record([messageEvent(wa, `wamid.again${customer}`, new Date(T0.getTime() + 60_000).toISOString())]);
    // Act
    hub.now = FIVE_MINUTES_LATER;
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(3);
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Sent[];
    expect(sent?.type).toBe('switchboard.message.sent');
    expect(hub.provider.calls[2]?.context.policy).toEqual({ withinWindow: true, humanAgentTag: false });
  });

  it('sends an agent’s later Messenger part with the HUMAN_AGENT tag once the 24 hours passed', async () => {
    // Prepare
    const { conversationId } = await customerWrote(ALMOST_A_DAY_AGO, 'messenger');
    await firstPartThenThrottled(conversationId, 'tagged');
    // Act
    hub.now = FIVE_MINUTES_LATER;
    await hub.runOutbox();
    // Assess: the first part inside the window, the second tagged
    expect(hub.provider.calls.map((call) => call.context.policy)).toEqual([
      { withinWindow: true, humanAgentTag: false },
      { withinWindow: true, humanAgentTag: false },
      { withinWindow: false, humanAgentTag: true },
    ]);
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(sent?.type).toBe('switchboard.message.sent');
  });

  it('stops the remaining SMS parts when a STOP arrives during a throttle wait', async () => {
    // Prepare
    customer += 1;
    const phone = `+1555010${String(customer).padStart(4, '0')}`;
    const inbound = smsFrom(phone, `SM-in-${customer}`, new Date(T0.getTime() - 60_000).toISOString());
    await record([inbound]);
    const { conversationId } = inbound.data as { conversationId: string };
    await firstPartThenThrottled(conversationId, 'stopped');
    await record([consentEvent(phone, 'opted_out', new Date(T0.getTime() + 60_000).toISOString(), 'STOP')]);
    // Act
    hub.now = new Date(T0.getTime() + 2 * 60_000);
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(2);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'opted_out',
      partIndex: 1,
      sentProviderMessageIds: ['wamid.stopped.0'],
    });
  });

  /** A sender whose endpoint turn comes after 1.5 s, the clock moving with it. */
  const turnTakingSender = () =>
    hub.sender(undefined, {
      endpointTurn: () => {
        hub.now = new Date(hub.now.getTime() + 1_500);
        return { waitMs: 1_500 };
      },
    });
  /** One second short of 24 hours before T0: inside the window at T0, outside it after the turn. */
  const A_SECOND_SHORT_OF_A_DAY_AGO = new Date(T0.getTime() - 24 * 3_600_000 + 1_000).toISOString();

  it('tags an agent’s one-message Messenger reply HUMAN_AGENT when the 24 hours pass during its endpoint turn', async () => {
    // Prepare
    const { conversationId } = await customerWrote(A_SECOND_SHORT_OF_A_DAY_AGO, 'messenger');
    await hub.enqueue(sendCommand(conversationId, 'turn-tagged'));
    // Act
    await hub.runOutbox(turnTakingSender());
    // Assess: the call went tagged (untagged, Messenger refuses it with 2018278), and the reply is sent
    expect(hub.provider.calls.map((call) => call.context.policy)).toEqual([
      { withinWindow: false, humanAgentTag: true },
    ]);
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(sent?.type).toBe('switchboard.message.sent');
  });

  it('refuses a one-message WhatsApp text without a call when the 24 hours pass during its endpoint turn', async () => {
    // Prepare
    const { conversationId } = await customerWrote(A_SECOND_SHORT_OF_A_DAY_AGO);
    await hub.enqueue(sendCommand(conversationId, 'turn-closed'));
    // Act
    await hub.runOutbox(turnTakingSender());
    // Assess: no free-form call past the window (Meta would answer 131047)
    expect(hub.provider.calls).toHaveLength(0);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({ reason: 'window_closed', retryable: false });
  });

  it('reads nothing more for a one-message command, nor for the later parts of a chat command in one delivery', async () => {
    // Prepare: count the table reads of the sender's deliveries, by kind of item
    const reads: string[] = [];
    const { dynamodb } = hub.pipeline.emulators.clients;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? '').replace(/Command$/, '');
        if (/^(GetItem|BatchGetItem|Query)$/.test(name)) {
          const input = args.input as { Key?: { pk?: { S?: string } }; RequestItems?: unknown };
          const pk = input.Key?.pk?.S ?? (input.RequestItems ? 'batch' : 'query');
          reads.push(`${name} ${pk.split('#')[0]}`);
        }
        return next(args);
      },
      { step: 'initialize', name: 'countReads' },
    );
    const { conversationId } = await customerWrote(new Date(T0.getTime() - 60_000).toISOString());
    const service = hub.sender();
    try {
      await hub.enqueue(sendCommand(conversationId, 'warm-up'));
      await hub.runOutbox(service);
      reads.length = 0;
      // Act
      await hub.enqueue(sendCommand(conversationId, 'one-part'));
      await hub.runOutbox(service);
      const onePart = [...reads].sort();
      reads.length = 0;
      await hub.enqueue(
        sendCommand(conversationId, 'three-parts', [...TWO_PARTS, { type: 'text', text: 'three' }]),
      );
      await hub.runOutbox(service);
      const threeParts = [...reads].sort();
      // Assess: the later parts went by the read of their own delivery: no read of their own
      // (its send record and its conversation, in one request)
      expect(onePart).toEqual(['BatchGetItem batch']);
      expect(threeParts).toEqual(onePart);

      // An SMS command reads the consent (a STOP) before each later part: two requests each
      customer += 1;
      const phone = `+1555020${String(customer).padStart(4, '0')}`;
      const inbound = smsFrom(phone, `SM-count-${customer}`, new Date(T0.getTime() - 60_000).toISOString());
      await record([inbound]);
      const sms = (inbound.data as { conversationId: string }).conversationId;
      await hub.enqueue(sendCommand(sms, 'sms-warm-up'));
      await hub.runOutbox(service);
      reads.length = 0;
      await hub.enqueue(sendCommand(sms, 'sms-one-part'));
      await hub.runOutbox(service);
      const smsOnePart = [...reads].sort();
      reads.length = 0;
      await hub.enqueue(sendCommand(sms, 'sms-three-parts', [...TWO_PARTS, { type: 'text', text: 'three' }]));
      await hub.runOutbox(service);
      // (the consent: the contact item and the legacy kept key, then the keyed one)
      expect([...reads].sort()).toEqual(
        [
          ...smsOnePart,
          'BatchGetItem batch',
          'GetItem SUPPRESS',
          'BatchGetItem batch',
          'GetItem SUPPRESS',
        ].sort(),
      );
    } finally {
      dynamodb.middlewareStack.remove('countReads');
    }
  });
});
