import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { expectedFor, type Fixture, listFixtures } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

const fixtures = listFixtures('email', ['.eml']);

const envelopeOf = (fixture: Fixture): { recipient?: string; sender?: string } => {
  const path = fixture.payloadPath.replace(/\.eml$/, '.envelope.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
};

/** Normalized as the Mailgun route does it: the raw MIME stored under its hash. */
const normalizeFixture = async (fixture: Fixture) => {
  const envelope = envelopeOf(fixture);
  const sha256 = createHash('sha256').update(fixture.payload).digest('hex');
  return normalizeInboundEmail(fixture.payload, {
    provider: 'mailgun',
    receivedAt: FIXTURE_RECEIVED_AT,
    envelopeRecipients: envelope.recipient ? [envelope.recipient] : [],
    envelopeSender: envelope.sender || undefined,
    rawMimeKey: `${PAYLOAD_BUCKET.prefixes.rawEmail}${sha256}.eml`,
    replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
  });
};

/** Blobs are summarized: the golden file shows what is stored where, not the bytes. */
const summarize = (result: Awaited<ReturnType<typeof normalizeFixture>>) => ({
  events: result.events,
  blobs: result.blobs.map((blob) => ({
    key: blob.key,
    contentType: blob.contentType,
    size: blob.bytes.byteLength,
    sha256: createHash('sha256').update(blob.bytes).digest('hex'),
  })),
});

const textOf = async (variant: string): Promise<{ subject: string; text: string; name?: string }> => {
  const fixture = fixtures.find((candidate) => candidate.variant === variant);
  if (!fixture) throw new Error(`fixture ${variant} missing`);
  const [event] = (await normalizeFixture(fixture)).events;
  if (event?.type !== 'switchboard.message.received') throw new Error(`${variant} is not a message`);
  return {
    subject: event.data.email?.subject ?? '',
    text: event.data.email?.textBody ?? '',
    name: event.data.contact.displayName,
  };
};

describe('e-mail golden fixtures', () => {
  it('has every sample the adapter is specified against', () => {
    // Prepare
    const required = ['plain-text', 'html-only', 'bounce', 'koi8-r', 'no-message-id', 'inline-image'];
    // Act
    const variants = fixtures.map((fixture) => fixture.variant);
    // Assess
    expect(variants).toEqual(expect.arrayContaining(required));
    expect(variants.length).toBeGreaterThanOrEqual(18);
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))(
    '%s normalizes to its reviewed expectation',
    async (_name, fixture) => {
      // Act
      const actual = summarize(await normalizeFixture(fixture));
      // Assess
      for (const event of actual.events) expect(HubEventSchema.safeParse(event).success).toBe(true);
      // One message (or unsupported) event per e-mail; a bounce adds statuses of what it returns.
      expect(actual.events[0]?.type).not.toBe('switchboard.message.status_updated');
      const extra = actual.events.slice(1).map((event) => event.type);
      expect(extra).toEqual(extra.map(() => 'switchboard.message.status_updated'));
      expect(JSON.parse(JSON.stringify(actual))).toEqual(expectedFor(fixture, actual));
    },
  );

  it.each([
    ['iso-8859-2', 'Reklamacja: zamówienie uszkodzone', 'Žluťoučký kůň úpěl ďábelské ódy', 'Łukasz Żółć'],
    ['iso-8859-7', 'Αλλαγή διεύθυνσης αποστολής', 'Νέα διεύθυνση: Οδός Ερμού 12, Αθήνα', 'Ελένη Γεωργίου'],
    ['windows-1257', 'Negaliu prisijungti – ačiū', 'Šī ir ļoti svarīga lieta', 'Žygimantas Ėrškėtis'],
    ['koi8-r', 'Отмена подписки', 'Съешь же ещё этих мягких французских булок', 'Иван Петров'],
    ['utf-8-armenian-emoji', 'Պատվերը չի ստացվել 📦', 'Շնորհակալություն 🙏', 'Արամ Սարգսյան'],
    ['rfc2047-subjects', 'Préstamo – 續約 ✓ and plain', 'Encoded words', 'José Núñez'],
  ])('%s decodes subject, body and sender name', async (variant, subject, phrase, name) => {
    // Act
    const decoded = await textOf(variant);
    // Assess
    expect(decoded.subject).toBe(subject);
    expect(decoded.text).toContain(phrase);
    expect(decoded.name).toBe(name);
  });
});
