import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { replyTagFor } from '#shared/channels/email/reply-address.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { buildEvent, eventIdFor } from '#shared/contract/index.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * An e-mail customer who marks the business's mail as spam (an SES complaint) or unsubscribes (a
 * Mailgun `complained` or `unsubscribed` event) is recorded `opted_out` on the e-mail scope. A reply
 * after that is refused `opted_out` before any provider call, until the customer writes again: their
 * newer message asks for an answer. Before 2026-12-04 the opt-out was recorded and never read, and the
 * reply went (found by a review). Since 2026-12-04 only a mail their mail service authenticated
 * lifts it (SES's DMARC PASS on a mail From the address replies go to): before, any mail filed under
 * the address did, and From and Reply-To are anyone's to write, so a forged mail could lift another
 * person's opt-out and draw a reply to them.
 */
type Failed = HubEventOf<'switchboard.message.send_failed'>;

const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

/** How the mail came in: SES with its receipt's verdicts, or Mailgun, which passes none. */
type Transport = { readonly provider: 'ses'; readonly dmarc: string } | { readonly provider: 'mailgun' };

/** Her address: a mailbox of a real-looking domain (a reserved one reads as a placeholder, never a person a form writes for). */
const DORA = 'dora@parcel-mail.eu';

/** SES with a DMARC PASS: her mail service vouches for her From. */
const AUTHENTICATED: Transport = { provider: 'ses', dmarc: 'PASS' };

interface Mail {
  /** The thread's message this one answers. */
  readonly inReplyTo?: string;
  /** Headers besides From (which `fromHeaders` replaces when given). */
  readonly headers?: readonly string[];
  readonly transport?: Transport;
  /** The From header's value; DORA by default. */
  readonly from?: string;
  /** Whole From header lines, instead of the one `from` makes (several authors, several headers). */
  readonly fromHeaders?: readonly string[];
  /** What SES read as From itself (`commonHeaders.from`); the From header's value by default. */
  readonly sesFrom?: string;
  /** When the hub received it; the mail's Date by default. */
  readonly receivedAt?: Date;
  /** The address written to; support@acme.example by default. */
  readonly to?: string;
}

/** The key the hub signs its reply addresses' conversation tags with. */
const REPLY_TAG_KEY = LOCAL_DEV_SECRETS.email.replyTagKey;

const customerWrites = async (messageId: string, written: Date, mail: Mail = {}): Promise<HubEvent> => {
  const from = mail.from ?? DORA;
  const transport = mail.transport ?? AUTHENTICATED;
  const raw = Buffer.from(
    [
      ...(mail.fromHeaders ?? [`From: ${from}`]),
      ...(mail.inReplyTo === undefined
        ? []
        : [`In-Reply-To: <${mail.inReplyTo}>`, `References: <${mail.inReplyTo}>`]),
      ...(mail.headers ?? []),
      `To: ${mail.to ?? 'support@acme.example'}`,
      'Subject: My parcel',
      `Message-ID: <${messageId}>`,
      `Date: ${written.toUTCString()}`,
      '',
      'Where is it?',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: transport.provider,
    receivedAt: mail.receivedAt ?? written,
    envelopeRecipients: [mail.to ?? 'support@acme.example'],
    replyTagKey: REPLY_TAG_KEY,
    ...(transport.provider === 'ses'
      ? {
          verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: transport.dmarc, spam: 'PASS', virus: 'PASS' },
          headerFrom: mail.sesFrom ?? from,
        }
      : { headerFrom: from }),
  });
  const [event] = events;
  if (event?.type !== 'switchboard.message.received') throw new Error('no message event');
  return event;
};

/** A complaint about the business's mail to her, as the provider's events webhook records it. */
const complaint = (
  message: HubEventOf<'switchboard.message.received'>,
  when: Date,
  feedbackId = 'complaint-1',
): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('email', 'consent', feedbackId), {
    channel: 'email',
    provider: message.data.provider,
    endpoint: message.data.endpoint,
    contact: message.data.contact,
    conversationId: message.data.conversationId,
    providerTimestamp: when.toISOString(),
    receivedAt: when.toISOString(),
    scope: 'email',
    consent: 'opted_out',
    trigger: 'complained',
  });

describe('an e-mail opt-out', () => {
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

  it('refuses replies until the customer writes again, without a provider call', async () => {
    // Prepare: she writes, then marks the business's earlier mail as spam
    const first = (await customerWrites(
      'dora-1@customer.example',
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    await record([first, complaint(first, at(-20))]);
    const conversationId = first.subject;
    // Act
    const refused = await reply(conversationId, 'after-complaint');
    // Assess
    expect(refused.calls).toBe(0);
    expect(refused.outcomes).toHaveLength(1);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({
      reason: 'opted_out',
      retryable: false,
      idempotencyKey: 'after-complaint',
    });

    // Prepare: she writes again after the complaint, in the same thread
    const again = await customerWrites('dora-2@customer.example', at(-10), {
      inReplyTo: 'dora-1@customer.example',
    });
    expect(again.type === 'switchboard.message.received' && again.data.email?.fromAuthenticated).toBe(true);
    expect(again.subject).toBe(conversationId);
    await record([again]);
    // Act
    const answered = await reply(conversationId, 'after-she-wrote');
    // Assess
    expect(answered.calls).toBe(1);
    expect(answered.outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('is not lifted by an out-of-office that comes after it: her mailbox, not her, wrote', async () => {
    // Prepare: she writes, marks the business's mail as spam, and then her mailbox's out-of-office
    // answers an earlier mail of the business in her thread
    const first = (await customerWrites(
      'dora-ooo-1@customer.example',
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    const outOfOffice = await customerWrites('dora-ooo-2@customer.example', at(-10), {
      inReplyTo: 'dora-ooo-1@customer.example',
      headers: ['Auto-Submitted: auto-replied'],
    });
    expect(outOfOffice.subject).toBe(first.subject);
    await record([first, complaint(first, at(-20), 'complaint-2'), outOfOffice]);
    // Act
    const refused = await reply(first.subject, 'after-out-of-office');
    // Assess
    expect(refused.calls).toBe(0);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out', retryable: false });
  });
  it.each<[string, Mail]>([
    ['an SES mail From her whose DMARC check failed', { transport: { provider: 'ses', dmarc: 'FAIL' } }],
    [
      'an SES mail From her whose domain publishes no DMARC policy',
      { transport: { provider: 'ses', dmarc: 'GRAY' } },
    ],
    ['a Mailgun mail From her (Mailgun passes no verdicts)', { transport: { provider: 'mailgun' } }],
    [
      'a no-reply mail naming her in Reply-To, authenticated for its own domain',
      { headers: [`Reply-To: ${DORA}`], from: 'noreply@shop-forms.eu' },
    ],
    [
      'a mail whose From is an empty group, naming her in Reply-To, DMARC passing for the group’s name',
      { headers: [`Reply-To: ${DORA}`], from: 'Attacker <attacker@evil.example>:;' },
    ],
    [
      'a mail of two authors, her first, DMARC passing for the other',
      { from: `${DORA}, attacker@evil.example`, sesFrom: 'attacker@evil.example' },
    ],
    [
      'a mail of two From headers, hers first',
      { fromHeaders: [`From: ${DORA}`, 'From: attacker@evil.example'] },
    ],
    ['a mail whose From SES read as another address', { sesFrom: 'attacker@evil.example' }],
    [
      'a mail whose From is a group of her alone, DMARC passing for the group’s name',
      { from: `attacker@evil.example: ${DORA};` },
    ],
    [
      'a mail whose From names her address after another in angle brackets',
      { from: `<${DORA}> <attacker@evil.example>` },
    ],
    [
      'a mail whose From carries a bare CR before her address',
      {
        fromHeaders: [`From: attacker@evil.example\rFrom: ${DORA}`],
        sesFrom: `attacker@evil.example\rFrom: ${DORA}`,
      },
    ],
  ])('is not lifted by %s: anyone could have written it', async (_case, mail) => {
    // Prepare: she writes and complains; then a mail filed under her address comes, in her thread
    const key = _case.replaceAll(/[^a-z]+/g, '-');
    const first = (await customerWrites(
      `dora-${key}-1@customer.example`,
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    const forged = (await customerWrites(`dora-${key}-2@customer.example`, at(-10), {
      ...mail,
      inReplyTo: `dora-${key}-1@customer.example`,
    })) as HubEventOf<'switchboard.message.received'>;
    expect(forged.subject).toBe(first.subject);
    expect(forged.data.contact.identities).toEqual([{ type: 'email', value: DORA }]);
    // Whatever the mail vouches for (a form's own no-reply address), it is not her address.
    expect(forged.data.email?.fromAuthenticated === true && forged.data.email.from.address === DORA).toBe(
      false,
    );
    await record([first, complaint(first, at(-20), `complaint-${key}`), forged]);
    // Act
    const refused = await reply(first.subject, `after-${key}`);
    // Assess: no provider call, and the reason says what would lift it
    expect(refused.calls).toBe(0);
    expect(refused.outcomes).toHaveLength(1);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out', retryable: false });
    expect((refused.outcomes[0] as Failed).data.errors?.[0]?.title).toContain('authenticated (DMARC)');
  });

  it('is not lifted by an authenticated mail of someone else in her conversation', async () => {
    // Prepare: she writes and complains; her colleague, authenticated, answers the hub's reply
    // address of her conversation (only a signed tag puts another sender's mail in it)
    const first = (await customerWrites(
      'dora-colleague-1@customer.example',
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    const colleague = await customerWrites('dora-colleague-2@customer.example', at(-10), {
      inReplyTo: 'dora-colleague-1@customer.example',
      from: 'erik@parcel-mail.eu',
      to: `support+${replyTagFor(first.subject, REPLY_TAG_KEY)}@acme.example`,
    });
    expect(colleague.subject).toBe(first.subject);
    await record([first, complaint(first, at(-20), 'complaint-colleague'), colleague]);
    // Act
    const refused = await reply(first.subject, 'after-colleague');
    // Assess: the opt-out is hers; only she can lift it
    expect(refused.calls).toBe(0);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out' });
  });

  it('is not lifted by her authenticated mail dated after it by a fast clock but received before it', async () => {
    // Prepare: a mail whose Date runs 10 minutes ahead, received before her complaint
    const first = (await customerWrites(
      'dora-clock-1@customer.example',
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    const early = await customerWrites('dora-clock-2@customer.example', at(-15), {
      inReplyTo: 'dora-clock-1@customer.example',
      receivedAt: at(-25),
    });
    await record([first, early, complaint(first, at(-20), 'complaint-clock')]);
    // Act
    const refused = await reply(first.subject, 'after-clock');
    // Assess
    expect(refused.calls).toBe(0);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out' });
  });

  it('records when she last wrote authenticated, apart from when anyone last wrote as her', async () => {
    // Prepare: an authenticated mail, then an unverified one later in the thread
    const first = await customerWrites('dora-state-1@customer.example', at(-30));
    const later = await customerWrites('dora-state-2@customer.example', at(-10), {
      inReplyTo: 'dora-state-1@customer.example',
      transport: { provider: 'ses', dmarc: 'FAIL' },
    });
    // Act
    await hub.pipeline.ingest([first, later]);
    await hub.pipeline.drain();
    const changes = (await hub.pipeline.takeHelpdesk()).filter(
      (event): event is HubEventOf<'switchboard.conversation.state_changed'> =>
        event.type === 'switchboard.conversation.state_changed' && event.subject === first.subject,
    );
    // Assess
    const newest = changes.sort((a, b) => b.data.state.version - a.data.state.version)[0]?.data.state;
    expect(newest?.lastInboundAt).toBe(at(-10).toISOString());
    expect(newest?.lastAuthenticatedInboundAt).toBe(at(-30).toISOString());
  });
});
