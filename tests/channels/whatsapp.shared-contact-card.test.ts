import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { SharedContact } from '#shared/contract/parts.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * A contact card a customer shares on WhatsApp (`contacts` message) keeps every field Meta documents
 * for it: addresses, birthday, the organization's department and title, the name's other parts and
 * each URL's type (review finding: they were dropped, and the webhook stores no copy of the body).
 */

type Body = { entry: { changes: { value: { messages: { contacts: unknown[] }[] } }[] }[] };

const fixtureBody = (): Body =>
  JSON.parse(readFileSync(join(EVENTS_DIR, 'whatsapp', 'contacts.json'), 'utf8')) as Body;

const withCards = (cards: unknown[]): Body => {
  const body = fixtureBody();
  const message = body.entry[0]?.changes[0]?.value.messages[0];
  if (!message) throw new Error('the fixture has no message');
  message.contacts = cards;
  return body;
};

const cardsOf = (payload: Body): readonly SharedContact[] => {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const outcome: WebhookOutcome = handleWhatsAppWebhook(
    webhookRequest({
      path: '/webhooks/whatsapp',
      headers: { 'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  const message = outcome.events.find((event) => event.type === 'switchboard.message.received');
  if (message?.type !== 'switchboard.message.received') throw new Error('no message received');
  const part = message.data.parts.find((candidate) => candidate.type === 'contacts');
  if (part?.type !== 'contacts') throw new Error('no contacts part');
  return part.contacts;
};

describe('a shared WhatsApp contact card', () => {
  it('keeps its addresses, birthday, department, job title and URL types (events/whatsapp/contacts.json)', () => {
    // Act
    const [card] = cardsOf(fixtureBody());
    // Assess
    expect(card?.addresses).toEqual([
      {
        street: '12 rue de la République',
        city: 'Lyon',
        state: 'Auvergne-Rhône-Alpes',
        zip: '69002',
        country: 'France',
        countryCode: 'FR',
        type: 'WORK',
      },
    ]);
    expect(card?.birthday).toBe('1988-04-17');
    expect(card?.organization).toBe('Boulangerie Dubois');
    expect(card?.department).toBe('Commandes');
    expect(card?.jobTitle).toBe('Gérante');
    expect(card?.urls).toEqual(['https://boulangerie-dubois.example.fr']);
    expect(card?.urlTypes).toEqual([{ url: 'https://boulangerie-dubois.example.fr', type: 'WORK' }]);
  });

  it("keeps the name's middle name, prefix and suffix", () => {
    // Prepare
    const card = {
      name: {
        formatted_name: 'Dr. Ana Maria Sousa Jr.',
        first_name: 'Ana',
        middle_name: 'Maria',
        last_name: 'Sousa',
        prefix: 'Dr.',
        suffix: 'Jr.',
      },
    };
    // Act
    const [shared] = cardsOf(withCards([card]));
    // Assess
    expect(shared).toMatchObject({ middleName: 'Maria', namePrefix: 'Dr.', nameSuffix: 'Jr.' });
  });

  it('leaves out empty addresses and what a card does not carry', () => {
    // Prepare
    const card = { name: { formatted_name: 'Ana' }, addresses: [{}], urls: [{ url: 'https://a.example' }] };
    // Act
    const [shared] = cardsOf(withCards([card]));
    // Assess
    expect(shared).toEqual({ formattedName: 'Ana', phones: [], emails: [], urls: ['https://a.example'] });
  });
});
