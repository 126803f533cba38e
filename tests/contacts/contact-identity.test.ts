import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONTACT_ID } from '#shared/contract/examples.ts';
import { type ChannelIdentity, ContactIdSchema, IdentityTypeSchema } from '#shared/contract/index.ts';
import {
  contactIdFor,
  e164Of,
  emailOf,
  isPlaceholder,
  strongIdentifierOf,
} from '#shared/domain/contact-identity.ts';

const only = (identity: ChannelIdentity) => ({ identities: [identity] as [ChannelIdentity] });

describe("a person's contactId across channels", () => {
  it('is the same for an SMS sender, a WhatsApp wa_id and a Twilio WhatsApp sender of one number', () => {
    // Act
    const sms = contactIdFor('sms', only({ type: 'phone', value: '+306912345678' }), 'conv_a');
    const whatsapp = contactIdFor(
      'whatsapp',
      {
        identities: [
          { type: 'wa_id', value: '306912345678' },
          { type: 'bsuid', value: 'GR.1' },
        ],
      },
      'conv_b',
    );
    const twilioWhatsapp = contactIdFor(
      'whatsapp',
      {
        identities: [
          { type: 'wa_id', value: '306912345678' },
          { type: 'phone', value: '+306912345678' },
        ],
      },
      'conv_c',
    );
    const other = contactIdFor('sms', only({ type: 'phone', value: '+306912345679' }), 'conv_a');
    // Assess
    expect(whatsapp).toBe(sms);
    expect(twilioWhatsapp).toBe(sms);
    expect(other).not.toBe(sms);
    expect(ContactIdSchema.safeParse(sms).success).toBe(true);
    expect(EXAMPLE_CONTACT_ID).toBe(whatsapp);
  });

  it('links e-mail addresses whatever their case, and never an address with a phone number', () => {
    // Act
    const upper = contactIdFor('email', only({ type: 'email', value: 'Eleni.P@Shop-Example.gr' }), 'conv_1');
    const lower = contactIdFor('email', only({ type: 'email', value: 'eleni.p@shop-example.gr' }), 'conv_2');
    const phone = contactIdFor('sms', only({ type: 'phone', value: '+306912345678' }), 'conv_3');
    // Assess
    expect(upper).toBe(lower);
    expect(upper).not.toBe(phone);
  });

  it('never merges two customers a provider gave the same placeholder', () => {
    // Prepare
    const placeholders: ChannelIdentity[] = [
      { type: 'phone', value: '+0000000000' },
      { type: 'phone', value: '+11111111111' },
      { type: 'phone', value: 'unknown' },
      { type: 'phone', value: '+266696687' },
      { type: 'wa_id', value: '000000' },
      { type: 'email', value: 'noreply@shop-example.gr' },
      { type: 'email', value: 'anna@example.com' },
      { type: 'email', value: 'anna@mail.invalid' },
      { type: 'psid', value: 'unknown' },
    ];
    // Act + Assess
    for (const identity of placeholders) {
      expect(isPlaceholder(identity), identity.value).toBe(true);
      expect(strongIdentifierOf(identity), identity.value).toBeUndefined();
      expect(contactIdFor('sms', only(identity), 'conv_1'), identity.value).not.toBe(
        contactIdFor('sms', only(identity), 'conv_2'),
      );
    }
  });

  it('keeps a channel-only identity (a PSID, an invalid number) as one person on its channel', () => {
    // Act
    const psid1 = contactIdFor('messenger', only({ type: 'psid', value: '6783425123045219' }), 'conv_1');
    const psid2 = contactIdFor('messenger', only({ type: 'psid', value: '6783425123045219' }), 'conv_2');
    const invalid = only({ type: 'phone', value: '+1234' });
    // Assess
    expect(psid1).toBe(psid2);
    expect(e164Of(invalid.identities[0])).toBeUndefined();
    expect(contactIdFor('sms', invalid, 'conv_1')).toBe(contactIdFor('sms', invalid, 'conv_2'));
  });

  it('any identity a provider can send gives a well-formed id, and strong ids are normalized (property)', () => {
    // Prepare
    const identity = fc.record({
      type: fc.constantFrom(...IdentityTypeSchema.options),
      value: fc.oneof(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.stringMatching(/^\+?[0-9]{1,20}$/),
        fc.emailAddress(),
        fc.string({ minLength: 5_000, maxLength: 20_000 }),
      ),
    });
    // Act + Assess
    fc.assert(
      fc.property(
        fc.array(identity, { minLength: 1, maxLength: 4 }),
        fc.string(),
        (identities, conversationId) => {
          const contact = { identities: identities as [ChannelIdentity, ...ChannelIdentity[]] };
          expect(contactIdFor('whatsapp', contact, conversationId)).toMatch(/^ct_[0-9a-f]{32}$/);
          for (const one of identities) {
            const phone = e164Of(one);
            if (phone !== undefined) expect(phone).toMatch(/^\+[1-9]\d{5,14}$/);
            const email = emailOf(one);
            if (email !== undefined) {
              expect(email).toBe(email.toLowerCase());
              expect(emailOf({ type: 'email', value: one.value.toUpperCase() })).toBe(email);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
