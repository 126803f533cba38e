import { describe, expect, it } from 'vitest';
import { redactContactDetails } from '#shared/channels/provider-text.ts';

/*
 * A provider's error text is kept, masked, in outcomes that are logged and published. The mask runs
 * before the cut to the kept length: a cut first split an address or a number at the bound and left
 * the part before the cut unmasked.
 */

const KEPT = 1000;
const ADDRESS = 'maria.keller@customer.example';
const NUMBER = '+49 151 2345 6789';

/** `filler` repeated to `units` UTF-16 units exactly. */
const padding = (units: number, filler = 'x '): string =>
  filler.repeat(Math.ceil(units / filler.length)).slice(0, units);

/** No piece of the address (its local part, its domain's first label) and no three digits of the number in a row. */
const expectNothingOfTheCustomer = (text: string) => {
  expect(text).not.toContain('maria');
  expect(text).not.toContain('customer');
  expect(text).not.toMatch(/\d{3}/);
};

describe('redactContactDetails', () => {
  it('masks an address and a number anywhere in a short text', () => {
    // Act
    const masked = redactContactDetails(`Recipient ${NUMBER} or ${ADDRESS} refused`);
    // Assess
    expect(masked).toBe('Recipient [phone] or [email] refused');
  });

  it('masks an address that the kept length cuts in two', () => {
    // Prepare: the bound falls inside the address's domain
    for (let before = KEPT - ADDRESS.length; before < KEPT; before += 1) {
      const text = `${padding(before)}${ADDRESS} and more`;
      // Act
      const masked = redactContactDetails(text);
      // Assess
      expect(masked.length, `at ${before}`).toBeLessThanOrEqual(KEPT);
      expectNothingOfTheCustomer(masked);
    }
  });

  it('masks a number that the kept length cuts in two', () => {
    for (let before = KEPT - NUMBER.length; before < KEPT; before += 1) {
      // Prepare
      const text = `${padding(before, 'x ')}${NUMBER} and more`;
      // Act
      const masked = redactContactDetails(text);
      // Assess
      expect(masked.length, `at ${before}`).toBeLessThanOrEqual(KEPT);
      expectNothingOfTheCustomer(masked);
    }
  });

  it('leaves no piece of what a very long text is cut at, even when masks shrink what comes before into the kept length', () => {
    // Prepare: long addresses shrink to `[email]`, so the text past 16,000 units moves forward;
    // a piece of an address or a number at that cut would land within the kept 1000 units
    const longAddress = `${'a'.repeat(3000)}@customer.example`;
    const before = `${longAddress} `.repeat(5);
    for (const tail of [ADDRESS, NUMBER, `%2B${'4915123456789'}`]) {
      for (let shift = 0; shift < tail.length; shift += 3) {
        const text = `${before}${padding(16_000 - before.length - shift)}${tail}${padding(500)}`;
        // Act
        const masked = redactContactDetails(text);
        // Assess
        expect(masked.length).toBeLessThanOrEqual(KEPT);
        expect(masked).toContain('[email]');
        expectNothingOfTheCustomer(masked.replace(/customer\.example/g, ''));
        expect(masked).not.toContain('maria');
      }
    }
  });
});
