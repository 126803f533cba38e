import { describe, expect, it } from 'vitest';
import { FAULT_SWITCHES, faultSwitch } from '#shared/local/simulators/fault-switches.ts';
import { FaultBook, FaultListSchema } from '#shared/local/simulators/faults.ts';
import { SIMULATED_PROVIDERS } from '#shared/local/simulators/types.ts';

/*
 * The simulators' fault switches (what the local console offers) and the fault book's arming one at a
 * time, clearing one provider's and listing what is armed.
 */

const ALL_KINDS = [
  'accept_then_timeout',
  'throttle',
  'error',
  'server_error',
  'slow',
  'delivery_failed',
  'expired_media',
  'checksum_mismatch',
];

describe('provider simulators: fault switches', () => {
  it('are valid faults with unique ids, cover every kind, and each provider has its own', () => {
    // Act
    const parsed = FaultListSchema.safeParse(FAULT_SWITCHES.map((entry) => entry.fault));
    const ids = FAULT_SWITCHES.map((entry) => entry.id);
    // Assess
    expect(parsed.success).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(FAULT_SWITCHES.map((entry) => entry.fault.kind))).toEqual(new Set(ALL_KINDS));
    for (const provider of SIMULATED_PROVIDERS) {
      const own = FAULT_SWITCHES.filter((entry) => entry.provider === provider);
      expect(
        own.every((entry) => entry.fault.provider === provider && entry.id.startsWith(`${provider}:`)),
      ).toBe(true);
      expect(own.some((entry) => entry.fault.kind === 'error')).toBe(true);
    }
  });

  it("offer one error switch per code of each provider's catalog, e.g. WhatsApp's 131047", () => {
    // Act
    const windowClosed = faultSwitch('whatsapp:error:131047');
    const sesRejected = faultSwitch('ses:error:MessageRejected');
    // Assess
    expect(windowClosed).toMatchObject({
      label: 'error 131047: Re-engagement message',
      fault: { provider: 'whatsapp', kind: 'error', code: 131047 },
    });
    expect(sesRejected?.fault).toEqual({ provider: 'ses', kind: 'error', code: 'MessageRejected' });
    expect(faultSwitch('whatsapp:error:1')).toBeUndefined();
  });
});

describe('provider simulators: the fault book', () => {
  it('adds after the armed faults, counts each down, lists them and clears one provider at a time', () => {
    // Prepare
    const book = new FaultBook();
    book.add({ provider: 'whatsapp', kind: 'error', code: 131047, times: 2 });
    book.add({ provider: 'twilio', kind: 'throttle' });
    // Act
    const used = book.take({ provider: 'whatsapp', operation: 'send' });
    const afterOne = book.armed();
    book.clear('whatsapp');
    const afterClear = book.armed();
    book.clear();
    // Assess
    expect(used?.kind).toBe('error');
    expect(afterOne).toEqual([
      { fault: { provider: 'whatsapp', kind: 'error', code: 131047, times: 2 }, remaining: 1 },
      { fault: { provider: 'twilio', kind: 'throttle' }, remaining: undefined },
    ]);
    expect(afterClear).toEqual([{ fault: { provider: 'twilio', kind: 'throttle' }, remaining: undefined }]);
    expect(book.armed()).toEqual([]);
  });
});
