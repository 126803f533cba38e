import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { companionOf, EXPECTED_SUFFIX, listSampleFiles, variantOf } from '#shared/local/samples.ts';
import { expectedFor, type Fixture } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/** Event-publishing notifications written from the SES developer guide's documented contents. */
const DIR = join(import.meta.dirname, 'fixtures', 'ses-events');
const fixtures: Fixture[] = listSampleFiles(DIR, '.json').map((payloadPath) => ({
  name: `ses-events/${variantOf(payloadPath)}`,
  variant: variantOf(payloadPath),
  payloadPath,
  payload: readFileSync(payloadPath),
  expectedPath: companionOf(payloadPath, EXPECTED_SUFFIX),
}));
const payloadOf = (variant: string): unknown =>
  JSON.parse(readFileSync(join(DIR, `${variant}.json`), 'utf8'));
/** The SES event inside a fixture's SNS envelope, to change before normalizing it bare. */
// biome-ignore lint/suspicious/noExplicitAny: a test edits arbitrary fields of the event JSON.
const sesEventOf = (variant: string): any => JSON.parse((payloadOf(variant) as { Message: string }).Message);

describe('SES event notifications', () => {
  it.each(fixtures.map((fixture) => [fixture.variant, fixture] as const))(
    '%s normalizes to its expected events',
    (_variant, fixture) => {
      // Act
      const events = normalizeSesEvent(JSON.parse(fixture.payload.toString('utf8')), FIXTURE_RECEIVED_AT).map(
        (event) => HubEventSchema.parse(event),
      );
      // Assess
      expect(events).toEqual(expectedFor(fixture, events));
    },
  );

  it.each([
    ['send', 'sent'],
    ['delivery', 'delivered'],
    ['bounce-permanent', 'failed'],
    ['reject', 'failed'],
    ['rendering-failure', 'failed'],
    ['delivery-delay', 'queued'],
  ])('%s is a %s status of the hub message, in its conversation', (variant, status) => {
    // Act
    const [event, ...others] = normalizeSesEvent(payloadOf(variant), FIXTURE_RECEIVED_AT);
    // Assess
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      type: 'switchboard.message.status_updated',
      subject: 'conv_0123456789abcdef0123456789abcdef',
      data: {
        provider: 'ses',
        status,
        correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
        endpoint: { type: 'email_address', id: 'support@switchboard.example' },
        contact: { identities: [{ type: 'email', value: 'maria.keller@customer.example' }] },
      },
    });
  });

  it('takes a complaint as an e-mail opt-out', () => {
    // Act
    const events = normalizeSesEvent(payloadOf('complaint'), FIXTURE_RECEIVED_AT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.contact.consent_changed',
      data: { scope: 'email', consent: 'opted_out', trigger: 'abuse' },
    });
  });

  it('takes a complaint about a send SES suppressed as that message failing too, beside the opt-out', () => {
    // Prepare: the customer complained once, so SES keeps the address on the account's suppression
    // list; a later reply to it is accepted and never sent, which SES reports as such a complaint
    const event = sesEventOf('complaint');
    event.complaint.complaintSubType = 'OnAccountSuppressionList';
    delete event.complaint.complaintFeedbackType;
    // Act
    const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT).map((each) => HubEventSchema.parse(each));
    // Assess
    expect(events.map((each) => each.type)).toEqual([
      'switchboard.contact.consent_changed',
      'switchboard.message.status_updated',
    ]);
    expect(events[1]).toMatchObject({
      subject: 'conv_0123456789abcdef0123456789abcdef',
      data: {
        status: 'failed',
        providerStatus: 'Complaint',
        providerMessageIds: ['0102019a4f5e6d7c-3f1c2b4a-9d8e-4c7b-a6f5-e4d3c2b1a098-000000'],
        correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
        contact: { identities: [{ type: 'email', value: 'maria.keller@customer.example' }] },
        errors: [{ code: 'OnAccountSuppressionList' }],
      },
    });
  });

  it.each([['not-spam'], ['auth-failure'], ['virus'], ['NOT-SPAM']])(
    'opts nobody out for a complaint of feedback type %s, and keeps it whole',
    (feedbackType) => {
      // Prepare: the recipient's ISP reports the mail, saying it is not spam (or a machine's report)
      const event = sesEventOf('complaint');
      event.complaint.complaintFeedbackType = feedbackType;
      // Act
      const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT);
      // Assess
      expect(events.map((hubEvent) => hubEvent.type)).toEqual(['switchboard.provider.unsupported']);
      expect(events[0]).toMatchObject({ data: { providerType: 'ses_event:Complaint', raw: event } });
    },
  );

  it.each([['abuse'], ['fraud'], ['other'], ['a-type-rfc-5965-may-add'], [undefined]])(
    'takes a complaint of feedback type %s as an opt-out',
    (feedbackType) => {
      // Prepare: most feedback loops name no type at all
      const event = sesEventOf('complaint');
      event.complaint.complaintFeedbackType = feedbackType;
      // Act
      const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT);
      // Assess
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'switchboard.contact.consent_changed',
        data: { scope: 'email', consent: 'opted_out', trigger: feedbackType ?? 'complaint' },
      });
    },
  );

  it.each([
    ['an empty complaint section', { complaint: {} }],
    ['no complained recipient', { complaint: { complainedRecipients: [] } }],
  ])(
    'keeps a complaint whole when it names no recipient (%s, no destination), not dropped',
    (_case, section) => {
      // Prepare: an opt-out about nobody the hub can name must still reach someone.
      const event = { ...sesEventOf('complaint'), ...section };
      event.mail.destination = [];
      // Act
      const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT).map((each) => HubEventSchema.parse(each));
      // Assess
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'switchboard.provider.unsupported',
        data: { providerType: 'ses_event:Complaint', raw: event },
      });
    },
  );

  it.each(['', '<>', '  ', 'Support <>', 'support'])(
    'keeps an event whole, without an endpoint, when its sender %j is no address',
    (source) => {
      // Prepare
      const event = sesEventOf('delivery');
      event.mail.source = source;
      // Act
      const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT).map((each) => HubEventSchema.parse(each));
      // Assess
      expect(events).toHaveLength(1);
      expect(events[0]?.type).toBe('switchboard.provider.unsupported');
      expect(events[0]?.data).not.toHaveProperty('endpoint');
      expect(events[0]?.data).toMatchObject({ providerType: 'ses_event:Delivery', raw: event });
    },
  );

  /** Where each kind of notification names its recipients: [what, fixture, add one to it]. */
  const recipientLists: ReadonlyArray<
    readonly [string, string, (event: ReturnType<typeof sesEventOf>, address: string) => void]
  > = [
    ['a Send (mail.destination)', 'send', (event, address) => event.mail.destination.unshift(address)],
    ['a Delivery', 'delivery', (event, address) => event.delivery.recipients.unshift(address)],
    [
      'a Bounce',
      'bounce-permanent',
      (event, address) => event.bounce.bouncedRecipients.unshift({ status: '5.1.1', emailAddress: address }),
    ],
    [
      'a Complaint',
      'complaint',
      (event, address) => event.complaint.complainedRecipients.unshift({ emailAddress: address }),
    ],
    [
      'a Complaint naming none (mail.destination)',
      'complaint',
      (event, address) => {
        event.complaint.complainedRecipients = [];
        event.mail.destination.unshift(address);
      },
    ],
  ];

  it.each(recipientLists)(
    '%s: a recipient that is no address gets no event; the notification is kept whole beside the others',
    (_what, variant, addRecipient) => {
      // Prepare
      const [known] = normalizeSesEvent(sesEventOf(variant), FIXTURE_RECEIVED_AT);
      const event = sesEventOf(variant);
      addRecipient(event, ' ');
      // Act
      const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT).map((each) => HubEventSchema.parse(each));
      // Assess
      expect(events).toHaveLength(2);
      expect(events[0]).toEqual(known);
      expect(events[1]).toMatchObject({ type: 'switchboard.provider.unsupported', data: { raw: event } });
    },
  );

  it.each(recipientLists)(
    '%s naming only recipients that are no address is kept whole',
    (_what, variant, addRecipient) => {
      // Prepare: the fixture's own recipients removed, then two that are no address.
      const event = sesEventOf(variant);
      event.mail.destination = [];
      event.delivery?.recipients.splice(0);
      event.bounce?.bouncedRecipients.splice(0);
      event.complaint?.complainedRecipients.splice(0);
      addRecipient(event, '');
      addRecipient(event, '<>');
      // Act
      const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT).map((each) => HubEventSchema.parse(each));
      // Assess
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'switchboard.provider.unsupported',
        data: { endpoint: { id: 'support@switchboard.example' }, raw: event },
      });
    },
  );

  it('keeps whole what is not a hub send or not a status', () => {
    // Act
    const types = ['open', 'send-without-hub-tags', 'bounce-malformed'].map(
      (variant) => normalizeSesEvent(payloadOf(variant), FIXTURE_RECEIVED_AT)[0]?.type,
    );
    // Assess
    expect(types).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.provider.unsupported',
      'switchboard.provider.unsupported',
    ]);
  });

  it('reads a notification given as the SQS message body text', () => {
    // Act
    const events = normalizeSesEvent(readFileSync(join(DIR, 'delivery.json'), 'utf8'), FIXTURE_RECEIVED_AT);
    // Assess
    expect(events[0]).toMatchObject({ data: { status: 'delivered' } });
  });

  it('throws on a notification that is no SES event (a deployment error)', () => {
    // Act
    const act = () =>
      normalizeSesEvent(
        { Type: 'Notification', Message: JSON.stringify({ notificationType: 'x' }) },
        FIXTURE_RECEIVED_AT,
      );
    // Assess
    expect(act).toThrow(/eventType|mail/);
  });

  it('keeps SES’s plain-text topic validation as one unsupported event, never a throw (which SNS retries)', () => {
    // Prepare: what SES publishes to the topic when an event destination is set up, as a Lambda
    // subscription's record hands it over (the Message text, the SNS MessageId beside it)
    const text = 'Successfully validated SNS topic for Amazon SES event destination.';
    // Act
    const events = normalizeSesEvent(text, FIXTURE_RECEIVED_AT, 'a1b2c3d4-0000-4000-8000-000000000001');
    const retried = normalizeSesEvent(text, FIXTURE_RECEIVED_AT, 'a1b2c3d4-0000-4000-8000-000000000001');
    const nextSetUp = normalizeSesEvent(text, FIXTURE_RECEIVED_AT, 'a1b2c3d4-0000-4000-8000-000000000002');
    // Assess: valid, kept whole, the same id for SNS's retry, another for another notification
    expect(events).toHaveLength(1);
    expect(HubEventSchema.safeParse(events[0]).success).toBe(true);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: {
        channel: 'email',
        provider: 'ses',
        providerType: 'ses_notification:not_json',
        raw: { text, snsMessageId: 'a1b2c3d4-0000-4000-8000-000000000001' },
      },
    });
    expect(retried[0]?.id).toBe(events[0]?.id);
    expect(nextSetUp[0]?.id).not.toBe(events[0]?.id);
  });

  it('keeps a cut notification in an SNS envelope as one unsupported event, its id from the envelope', () => {
    // Prepare: the SES event's text cut short, as a broken relay might deliver it
    const cut = JSON.stringify({ eventType: 'Delivery', mail: { destination: ['customer@example.com'] } });
    const message = `${cut.slice(0, 40)}customer@example.com'`;
    const notification = { Type: 'Notification', MessageId: 'sns-cut-1', Message: message };
    // Act
    const events = normalizeSesEvent(notification, FIXTURE_RECEIVED_AT);
    const again = normalizeSesEvent(JSON.stringify(notification), FIXTURE_RECEIVED_AT);
    // Assess
    expect(events).toMatchObject([
      {
        type: 'switchboard.provider.unsupported',
        data: { raw: { text: message, snsMessageId: 'sns-cut-1' } },
      },
    ]);
    expect(again.map((event) => event.id)).toEqual(events.map((event) => event.id));
  });

  it('gives a text without an SNS message id an id from the text', () => {
    // Act
    const [first] = normalizeSesEvent('not json', FIXTURE_RECEIVED_AT);
    const [same] = normalizeSesEvent('not json', FIXTURE_RECEIVED_AT);
    const [other] = normalizeSesEvent('not json either', FIXTURE_RECEIVED_AT);
    // Assess
    expect(same?.id).toBe(first?.id);
    expect(other?.id).not.toBe(first?.id);
  });
});
