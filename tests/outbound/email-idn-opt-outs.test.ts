import { describe, expect, it } from 'vitest';
import { normalizeMailgunEvent } from '#shared/channels/email/inbound/mailgun-events-normalize.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { emailRecipientFor } from '#shared/channels/email/outbound/prepare.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * The e-mail opt-out of a customer at an internationalised domain. The hub answers dora@müller.de
 * at the ASCII form of her address (dora@xn--mller-kva.de), which is what SES and Mailgun name in
 * her complaint. Before 2026-12-06 the opt-out was written under that ASCII address while the
 * sender read her conversation's contact (dora@müller.de), and the next reply went; and a mail she
 * wrote from a client that writes the ASCII form lifted nothing (found by a review). Every e-mail
 * identity now takes its domain in Unicode (shared/domain/email-address.ts).
 */
type Received = HubEventOf<'switchboard.message.received'>;

/**
 * A customer at müller.de: her address as she writes it and in ASCII. The harness keeps its store
 * from test to test, so each test has its own customer, and its own mail and event ids.
 */
const customer = (name: string) => ({
  name,
  unicode: `${name}@müller.de`,
  ascii: `${name}@xn--mller-kva.de`,
});
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

/** Her mail, which SES received with a DMARC PASS on its From (her mail service vouches for it). */
const writes = async (
  from: string,
  messageId: string,
  written: Date,
  inReplyTo?: string,
): Promise<Received> => {
  const raw = Buffer.from(
    [
      `From: ${from}`,
      'To: support@acme.example',
      'Subject: My parcel',
      `Message-ID: <${messageId}>`,
      ...(inReplyTo === undefined ? [] : [`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`]),
      `Date: ${written.toUTCString()}`,
      '',
      'Where is it?',
    ].join('\r\n'),
    'utf8',
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'ses',
    receivedAt: written,
    envelopeRecipients: ['support@acme.example'],
    replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
    verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
    headerFrom: from,
  });
  const [event] = events;
  if (event?.type !== 'switchboard.message.received') throw new Error('no message event');
  return event;
};

/** The address the hub's answers to her conversation's contact go to, as the SES sender writes it. */
const sentTo = (message: Received): string => {
  const [identity] = message.data.contact.identities;
  const recipient = emailRecipientFor('ses', identity?.value ?? '');
  if (!recipient.ok) throw new Error(recipient.detail);
  return recipient.address;
};

/** SES's Complaint event about the hub's answer to her mail, naming the address the answer went to. */
const sesComplaint = (message: Received, when: Date): HubEvent[] =>
  normalizeSesEvent(
    JSON.stringify({
      eventType: 'Complaint',
      mail: {
        timestamp: when.toISOString(),
        messageId: `0100019a-${message.data.hubMessageId}`,
        source: 'support@acme.example',
        destination: [sentTo(message)],
        tags: { switchboard_conversation: [message.data.conversationId] },
      },
      complaint: {
        complainedRecipients: [{ emailAddress: sentTo(message) }],
        timestamp: when.toISOString(),
        feedbackId: `feedback-${message.data.hubMessageId}`,
        complaintFeedbackType: 'abuse',
      },
    }),
    when,
    `sns-${message.data.hubMessageId}`,
  );

/** Mailgun's `complained` event about the hub's answer to her mail, naming the address the answer went to. */
const mailgunComplaint = (message: Received, when: Date): HubEvent[] =>
  normalizeMailgunEvent(
    {
      event: 'complained',
      id: `mg-${message.data.hubMessageId}`,
      timestamp: when.getTime() / 1000,
      recipient: sentTo(message),
      message: {
        headers: { 'message-id': `${message.data.hubMessageId}@acme.example`, from: 'support@acme.example' },
      },
      'user-variables': { switchboard_conversation: message.data.conversationId },
    },
    when,
  );

describe('an e-mail opt-out of a customer at an internationalised domain', () => {
  const hub = useOutboundHarness();

  const record = async (events: HubEvent[]): Promise<void> => {
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
  };

  const reply = async (conversationId: string, key: string) => {
    hub.provider.calls.length = 0;
    await hub.enqueue(sendCommand(conversationId, key));
    await hub.runOutbox();
    return { outcomes: outcomesOf(await hub.pipeline.takeHelpdesk()), calls: hub.provider.calls.length };
  };

  it.each([
    ['SES', sesComplaint],
    ['Mailgun', mailgunComplaint],
  ])(
    'refuses the next reply after her %s complaint, without a provider call',
    async (provider, complaint) => {
      // Prepare: she writes, then marks the business's answer (sent to the ASCII form) as spam
      const dora = customer(`dora-${provider.toLowerCase()}`);
      const first = await writes(dora.unicode, `${dora.name}-1@customer.example`, at(-30));
      await record([first, ...complaint(first, at(-20))]);
      // Act
      const refused = await reply(first.subject, 'after-complaint');
      // Assess
      expect(refused.calls).toBe(0);
      expect(refused.outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
      expect(refused.outcomes[0]?.data).toMatchObject({ reason: 'opted_out', retryable: false });
    },
  );

  it('is lifted by her authenticated mail from a client that writes her address in ASCII', async () => {
    // Prepare: she writes in Unicode and complains (her opt-out refuses a reply), then answers in
    // the thread from a client that writes the ASCII form
    const dora = customer('dora-lift');
    const first = await writes(dora.unicode, 'dora-lift-1@customer.example', at(-30));
    await record([first, ...sesComplaint(first, at(-20))]);
    expect((await reply(first.subject, 'after-complaint')).calls).toBe(0);
    const again = await writes(
      dora.ascii,
      'dora-lift-2@customer.example',
      at(-10),
      'dora-lift-1@customer.example',
    );
    await record([again]);
    // Act
    const answered = await reply(first.subject, 'after-she-wrote');
    // Assess
    expect(again.subject).toBe(first.subject);
    expect(answered.calls).toBe(1);
    expect(answered.outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('refuses the next reply in a conversation recorded with her address in ASCII, before identities were canonical', async () => {
    // Prepare: her conversation as recorded before 2026-12-06 from a From in ASCII (its contact
    // kept the ASCII form), then her complaint, now named in Unicode
    const dora = customer('dora-old');
    const written = await writes(dora.ascii, 'dora-old-1@customer.example', at(-30));
    const recordedBefore: Received = {
      ...written,
      data: { ...written.data, contact: { identities: [{ type: 'email', value: dora.ascii }] } },
    };
    const [optOut] = sesComplaint(recordedBefore, at(-20));
    expect(optOut?.type === 'switchboard.contact.consent_changed' && optOut.data.contact.identities).toEqual([
      { type: 'email', value: dora.unicode },
    ]);
    await record([recordedBefore, ...(optOut ? [optOut] : [])]);
    // Act
    const refused = await reply(written.subject, 'after-old-complaint');
    // Assess
    expect(refused.calls).toBe(0);
    expect(refused.outcomes[0]?.data).toMatchObject({ reason: 'opted_out' });
  });
});
