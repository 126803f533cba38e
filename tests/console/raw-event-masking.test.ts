import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';

/*
 * The console's raw-events panel shows each published CloudEvent as JSON: while "Reveal contacts"
 * is off, no identity, name or address of the person may be in it, wherever the event carries them
 * (`data.contact`, a state change's `data.state.contact`, an e-mail's mailboxes, a provider's notice
 * naming the customer in its text). Checked over every golden fixture's events and the contract's
 * examples, with the page's own module (no browser); what a person wrote (a text, an e-mail's body)
 * is shown as written, here as in the timeline.
 */

const EVENTS_DIR = join(import.meta.dirname, '..', '..', 'events');

const MaskingModuleSchema = z.looseObject({
  maskedEvent: z.custom<(event: unknown) => unknown>((value) => typeof value === 'function'),
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
 * e-mail's subject and bodies, a provider's copy of a text (`raw.text.body`). A customer may sign
 * with their name or quote an address there; no masking rule can find every way they write it.
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

describe('console raw events while contacts are not revealed', () => {
  let maskedEvent: (event: unknown) => unknown;

  beforeAll(async () => {
    const file = pathToFileURL(
      join(import.meta.dirname, '../../shared/local/console/static/masking.js'),
    ).href;
    ({ maskedEvent } = MaskingModuleSchema.parse(await import(file)));
  });

  it('shows no identity, name or address of the person in any fixture’s or example’s event', () => {
    // Prepare
    const events = [...fixtureEvents(), ...Object.entries(EXAMPLE_EVENTS)];
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
    const events = [...fixtureEvents(), ...Object.entries(EXAMPLE_EVENTS)];
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
});
