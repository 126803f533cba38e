import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normalizeMailgunEvent } from '#shared/channels/email/inbound/mailgun-events-normalize.ts';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { normalizeTwilioParams } from '#shared/channels/sms/inbound/normalize.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import { redactString } from '#shared/observability/redact.ts';
import { HOSTILE_TEXTS } from '#tests/support/hostile-text.ts';
import { fastestTimes } from '#tests/support/linear-time.ts';

/*
 * The console's raw-events panel shows each published CloudEvent as JSON: while "Reveal contacts"
 * is off, no identity, name or address of the person may be in it, wherever the event carries them
 * (`data.contact`, a state change's `data.state.contact`, an e-mail's mailboxes, a provider's notice
 * naming the customer in its text, a provider's payload the event keeps whole as `raw`, a bounce's
 * diagnostic naming the address). Checked over every golden fixture's events, the contract's examples
 * and provider samples whose own words name the person, with the page's own module (no browser);
 * what a person wrote (a text, an e-mail's body) is shown as written, here as in the timeline.
 */

const EVENTS_DIR = join(import.meta.dirname, '..', '..', 'events');
const CHANNEL_FIXTURES = join(import.meta.dirname, '..', 'channels', 'fixtures');
const RECEIVED_AT = new Date('2026-11-22T12:00:02Z');
const HIDDEN = '(hidden: switch on Reveal contacts)';

const isFunction = (value: unknown) => typeof value === 'function';
const MaskingModuleSchema = z.looseObject({
  maskedEvent: z.custom<(event: unknown) => unknown>(isFunction),
  replaceContacts:
    z.custom<(text: string, replace: (match: string, kind: string) => string) => string>(isFunction),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** What names the person in an event: identities and display names of every contact, mailboxes' addresses and names. */
const personalValues = (value: unknown, key?: string): string[] => {
  if (Array.isArray(value)) return value.flatMap((item) => personalValues(item, key));
  if (!isObject(value)) return [];
  const own: string[] = [];
  if (key === 'contact') {
    for (const identity of Array.isArray(value.identities) ? value.identities : [])
      if (isObject(identity) && typeof identity.value === 'string') own.push(identity.value);
    if (typeof value.displayName === 'string') own.push(value.displayName);
  }
  if (['from', 'to', 'cc', 'replyTo'].includes(key ?? '') && typeof value.address === 'string') {
    own.push(value.address);
    if (typeof value.name === 'string') own.push(value.name);
  }
  return [...own, ...Object.entries(value).flatMap(([name, item]) => personalValues(item, name))];
};

/** The display name and identity values of every contact an event carries. */
const contactValues = (value: unknown, key?: string): string[] => {
  if (Array.isArray(value)) return value.flatMap((item) => contactValues(item, key));
  if (!isObject(value)) return [];
  const own: string[] = [];
  if (key === 'contact') {
    for (const identity of Array.isArray(value.identities) ? value.identities : [])
      if (isObject(identity) && typeof identity.value === 'string') own.push(identity.value);
    if (typeof value.displayName === 'string') own.push(value.displayName);
  }
  return [...own, ...Object.entries(value).flatMap(([name, item]) => contactValues(item, name))];
};

/**
 * What a person wrote, which the page shows as written (the timeline too): a text, a caption, an
 * e-mail's subject and bodies. A customer may sign with their name or quote an address there; no
 * masking rule can find every way they write it. (A provider's copy of a text, `raw.text.body`, is
 * hidden with the rest of its payload.)
 */
const WRITTEN_KEYS = new Set(['text', 'caption', 'subject', 'textBody', 'htmlBody', 'replyText']);

const withoutWrittenWords = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutWrittenWords);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !WRITTEN_KEYS.has(name))
      .map(([name, item]) => [name, withoutWrittenWords(item)]),
  );
};

const fixtureEvents = (): Array<[string, unknown]> =>
  readdirSync(EVENTS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.expected.json'))
    .flatMap((file) => {
      const parsed: unknown = JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8'));
      // A chat fixture is a list of events; an e-mail's names its blobs beside them.
      const events = Array.isArray(parsed)
        ? parsed
        : isObject(parsed) && Array.isArray(parsed.events)
          ? parsed.events
          : [];
      return events.map((event, index): [string, unknown] => [`${file}#${index}`, event]);
    });

const FormSchema = z.record(z.string(), z.string());
const SesNotificationSchema = z.looseObject({ Message: z.string() });
const JsonObjectSchema = z.record(z.string(), z.unknown());

const readJson = (...path: string[]): unknown => JSON.parse(readFileSync(join(...path), 'utf8'));

/**
 * Twilio's WhatsApp sample (from Zoë Ashworth, her WhatsApp name in `ProfileName`) as a type the
 * adapter does not map (a reaction, an order…), without the fields named: the whole form is kept as
 * `raw`, in an unsupported part of her message, or in a provider.unsupported event of her
 * conversation when it is no message at all.
 */
const twilioWhatsApp = (messageType: string, without: readonly string[]) => {
  const sample = FormSchema.parse(readJson(EVENTS_DIR, 'sms', 'whatsapp-inbound.json'));
  const form = Object.entries({ ...sample, MessageType: messageType });
  return normalizeTwilioParams(
    form.filter(([name]) => !without.includes(name)),
    RECEIVED_AT,
  );
};

/** A diagnostic as Postfix words it, naming the recipient of the bounce fixtures. */
const REJECTED = '550 5.1.1 <maria.keller@customer.example>: Recipient address rejected: User unknown';

/** SES's permanent bounce, its diagnostic code naming the recipient. */
const sesBounceNamingTheAddress = () => {
  const notification = SesNotificationSchema.parse(
    readJson(CHANNEL_FIXTURES, 'ses-events', 'bounce-permanent.json'),
  );
  const Message = notification.Message.replace(
    'smtp; 550 5.1.1 The email account that you tried to reach does not exist.',
    `smtp; ${REJECTED}`,
  );
  return normalizeSesEvent({ ...notification, Message }, RECEIVED_AT);
};

/** Mailgun's permanent failure, its delivery status's message naming the recipient. */
const mailgunFailureNamingTheAddress = () => {
  const data = JsonObjectSchema.parse(readJson(CHANNEL_FIXTURES, 'mailgun-events', 'failed-permanent.json'));
  const status = JsonObjectSchema.parse(data['delivery-status']);
  return normalizeMailgunEvent(
    { ...data, 'delivery-status': { ...status, message: REJECTED.replace(/^550 /, '') } },
    RECEIVED_AT,
  );
};

/** Events whose provider's own words name the person: no golden fixture has one. */
const providerWordsEvents = (): Array<[string, unknown]> =>
  Object.entries({
    'twilio whatsapp reaction': twilioWhatsApp('reaction', ['Body']),
    'twilio whatsapp order, no message': twilioWhatsApp('order', ['Body', 'NumMedia']),
    'ses bounce naming the address': sesBounceNamingTheAddress(),
    'mailgun failure naming the address': mailgunFailureNamingTheAddress(),
  }).flatMap(([name, events]) =>
    events.map((event, index): [string, unknown] => [`${name}#${index}`, event]),
  );

const allEvents = (): Array<[string, unknown]> => [
  ...fixtureEvents(),
  ...Object.entries(EXAMPLE_EVENTS),
  ...providerWordsEvents(),
];

const maskingModule = async () =>
  MaskingModuleSchema.parse(
    await import(
      pathToFileURL(join(import.meta.dirname, '../../shared/local/console/static/masking.js')).href
    ),
  );

describe('console raw events while contacts are not revealed', () => {
  let maskedEvent: (event: unknown) => unknown;

  beforeAll(async () => {
    ({ maskedEvent } = await maskingModule());
  });

  it('shows no identity, name or address of the person in any fixture’s or example’s event', () => {
    // Prepare
    const events = allEvents();
    const checked = events.filter(([, event]) => personalValues(event).length > 0);
    // Act
    const leaks = checked.flatMap(([name, event]) => {
      const shown = JSON.stringify(maskedEvent(event));
      return personalValues(event)
        .filter((value) => shown.includes(JSON.stringify(value)))
        .map((value) => `${name}: ${value}`);
    });
    // Assess
    expect(checked.length).toBeGreaterThan(150);
    expect(leaks).toEqual([]);
  });

  it('shows no display name or identity of any sample’s person anywhere in any event, but in what was written', () => {
    // Prepare: every contact's display name and identity values over all the events, looked for
    // inside every string of every event (a provider's notice names the customer in its text: "User
    // <name> changed from <number> to <number>")
    const events = allEvents();
    const people = [...new Set(events.flatMap(([, event]) => contactValues(event)))];
    // Act
    const leaks = events.flatMap(([name, event]) => {
      const shown = JSON.stringify(withoutWrittenWords(maskedEvent(event)));
      return people
        .filter((value) => shown.includes(JSON.stringify(value).slice(1, -1)))
        .map((value) => `${name}: ${value}`);
    });
    // Assess
    expect(people.length).toBeGreaterThan(20);
    expect(leaks).toEqual([]);
  });

  it('hides a state change’s contact and masks an e-mail’s mailboxes, and keeps the rest as published', () => {
    // Prepare
    const event = {
      id: 'evt_1',
      type: 'switchboard.conversation.state_changed',
      subject: 'conv_1',
      data: {
        conversationId: 'conv_1',
        state: { contact: { identities: [{ type: 'phone', value: '+306912345678' }], displayName: 'Ελένη' } },
        recipientId: '306912345678',
        email: { subject: 'Order 42', from: { address: 'nora@customer.example', name: 'Nora Lind' } },
      },
    };
    // Act
    const shown = maskedEvent(event);
    // Assess
    expect(shown).toEqual({
      id: 'evt_1',
      type: 'switchboard.conversation.state_changed',
      subject: 'conv_1',
      data: {
        conversationId: 'conv_1',
        state: { contact: '(hidden: switch on Reveal contacts)' },
        recipientId: '30••••••••78',
        email: {
          subject: 'Order 42',
          from: { address: 'n•••@c•••.example', name: '(hidden: switch on Reveal contacts)' },
        },
      },
    });
  });

  it('hides a provider notice’s text and masks its new number, and keeps a text part as written', () => {
    // Prepare
    const parts = [
      {
        type: 'system',
        kind: 'user_changed_number',
        body: 'User Zoë changed from 4915112345678 to 4915223456789',
        newIdentity: '4915223456789',
      },
      { type: 'text', text: 'Regards, Zoë' },
    ];
    // Act
    const shown = maskedEvent({ type: 'switchboard.message.received', data: { parts } });
    // Assess
    expect(shown).toEqual({
      type: 'switchboard.message.received',
      data: {
        parts: [
          {
            type: 'system',
            kind: 'user_changed_number',
            body: '(hidden: switch on Reveal contacts)',
            newIdentity: '49•••••••••89',
          },
          { type: 'text', text: 'Regards, Zoë' },
        ],
      },
    });
  });

  it('hides a provider’s payload kept whole as raw, in a message’s part or an unsupported event', () => {
    // Prepare: a WhatsApp reaction Twilio forwards unmapped, and a form of hers that is no message
    const [message] = twilioWhatsApp('reaction', ['Body']);
    const [notice] = twilioWhatsApp('order', ['Body', 'NumMedia']);
    // Act
    const shown = [message, notice].map((event) => maskedEvent(event));
    // Assess: both are her conversation's (the panel lists them), their raw form hidden, what it was kept
    expect(shown).toMatchObject([
      {
        type: 'switchboard.message.received',
        data: {
          conversationId: expect.stringMatching(/^conv_/),
          contact: HIDDEN,
          parts: [{ type: 'unsupported', providerType: 'reaction', raw: HIDDEN }],
        },
      },
      {
        type: 'switchboard.provider.unsupported',
        data: {
          conversationId: expect.stringMatching(/^conv_/),
          providerType: 'twilio_request',
          raw: HIDDEN,
        },
      },
    ]);
    expect(JSON.stringify(shown)).not.toContain('Ashworth');
  });

  it('masks the address a bounce’s diagnostic names, and keeps its other words', () => {
    // Prepare
    const bounces = [...sesBounceNamingTheAddress(), ...mailgunFailureNamingTheAddress()];
    // Act
    const shown = bounces.map((event) => maskedEvent(event));
    // Assess
    expect(shown).toMatchObject([
      {
        type: 'switchboard.message.status_updated',
        data: {
          status: 'failed',
          errors: [
            {
              code: '5.1.1',
              title: 'Permanent bounce: General',
              message: 'smtp; 550 5.1.1 <m•••@c•••.example>: Recipient address rejected: User unknown',
            },
          ],
        },
      },
      {
        type: 'switchboard.message.status_updated',
        data: {
          status: 'failed',
          errors: [
            {
              code: '550',
              title: 'permanent bounce',
              message: '5.1.1 <m•••@c•••.example>: Recipient address rejected: User unknown',
            },
          ],
        },
      },
    ]);
  });

  it('masks a number inside a provider’s error text, and leaves its ids, times and codes whole', () => {
    // Prepare
    const error = {
      code: '30006',
      title: 'Landline or unreachable carrier',
      message: 'Unable to deliver SMbecd36adfe8b74488d49d170e4c06751 to +1 (415) 555-0123',
      details: 'error_subcode=2018278 at 2026-11-22 12:00, evt_3fa1b2c4d5e6f708192a3b4c5d6e7f80',
    };
    const event = { type: 'switchboard.provider.error', data: { errors: [error] } };
    // Act
    const shown = maskedEvent(event);
    // Assess
    expect(shown).toEqual({
      type: 'switchboard.provider.error',
      data: {
        errors: [{ ...error, message: 'Unable to deliver SMbecd36adfe8b74488d49d170e4c06751 to +1 •••23' }],
      },
    });
  });

  it('keeps what a person wrote as written, an address or a number in it too', () => {
    // Prepare: as the timeline shows it (README, Local console)
    const event = {
      type: 'switchboard.message.received',
      data: {
        parts: [
          { type: 'text', text: 'Call me on +49 151 12345678 or write to zoe@customer.example' },
          { type: 'media', kind: 'image', caption: 'From +49 151 12345678' },
        ],
        email: {
          subject: 'Re: zoe@customer.example',
          textBody: 'Zoë Ashworth\n+49 151 12345678',
          replyText: 'Write to zoe@customer.example',
        },
      },
    };
    // Act
    const shown = maskedEvent(event);
    // Assess
    expect(shown).toEqual(event);
  });
});

/*
 * The page finds addresses and numbers inside a provider's text with its own copy of the log
 * redaction's patterns (it cannot import shared/observability/redact.ts): both must find the same,
 * and take time linear in the text, as every pattern over provider text must.
 */
describe('console masking’s addresses and numbers inside a text', () => {
  let replaceContacts: (text: string, replace: (match: string, kind: string) => string) => string;

  beforeAll(async () => {
    ({ replaceContacts } = await maskingModule());
  });

  const asRedacted = (text: string) => replaceContacts(text, (_match, kind) => `[${kind}]`);

  it('finds what the log redaction finds, in generated texts of addresses, numbers, ids and dates', () => {
    // Prepare
    const piece = fc.oneof(
      fc.string(),
      fc.emailAddress(),
      fc.emailAddress().map((address) => address.replace('@', '%40')),
      fc.stringMatching(/^(\+|%2B)?[0-9 ().-]{6,22}$/),
      fc.stringMatching(/^(evt|conv|SM|wamid\.)[0-9a-f]{4,32}$/),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.constantFrom(' ', '<', '>: ', '@', '%20', '"', 'bücher.de', 'error_subcode=2018278'),
    );
    // Act / Assess
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const text = pieces.join('');
        expect(asRedacted(text)).toBe(redactString(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each(Object.keys(HOSTILE_TEXTS))('takes linear time on %s', { retry: 2 }, (label) => {
    // Prepare: as tests/channels/email.linear-time.test.ts measures every function over provider text
    const build = HOSTILE_TEXTS[label];
    if (build === undefined) throw new Error(`no hostile text ${label}`);
    const subject = (text: string) => replaceContacts(text, (match) => match);
    // Act
    const { smallMs, largeMs } = fastestTimes(subject, build(100_000), build(400_000));
    // Assess: linear is ~4×, quadratic ~16×
    expect(largeMs, `100 KB: ${smallMs.toFixed(1)} ms, 400 KB: ${largeMs.toFixed(1)} ms`).toBeLessThan(
      12 * Math.max(smallMs, 5),
    );
  });
});
