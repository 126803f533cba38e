import { describe, expect, it } from 'vitest';
import { emailRecipientFor } from '#shared/channels/email/outbound/prepare.ts';

/*
 * The conversation's address a reply goes to must be one the reply's MIME can write as one plain
 * address; one it cannot (a quoted local part, which the parser keeps without its quotes) is refused
 * at the prepare, as recipient_invalid before any call, instead of failing every send as
 * provider_error when the MIME is built.
 */

describe("a reply's recipient", () => {
  it.each([
    ['a local part with a space (from "john smith"@…)', 'john smith@customer.example'],
    ['a local part with a comma (from "a,b"@…)', '"a,b"@customer.example'],
    ['two at signs', 'a@b@customer.example'],
  ])('refuses %s', (_name, address) => {
    // Act
    const recipient = emailRecipientFor('ses', address);
    // Assess
    expect(recipient).toMatchObject({ ok: false, detail: expect.stringContaining('plain address') });
  });

  it.each([
    ['an ASCII address', 'eve@customer.example', 'eve@customer.example'],
    ['a Unicode domain, in its ASCII form', 'info@müller.de', 'info@xn--mller-kva.de'],
  ])('writes %s', (_name, address, written) => {
    // Act
    const recipient = emailRecipientFor('ses', address);
    // Assess
    expect(recipient).toEqual({ ok: true, address: written });
  });
});
