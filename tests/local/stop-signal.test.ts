import { describe, expect, it } from 'vitest';
import { ECHO_WINDOW_MS, stopSignalAction } from '#shared/local/stop-signal.ts';

describe('npm start: what a stop signal does', () => {
  it('the first SIGINT or SIGTERM starts the graceful stop', () => {
    // Prepare / Act / Assess
    expect(stopSignalAction(undefined, 1_000_000)).toBe('stop');
  });

  it('a signal within about a second of the first is the same Ctrl-C (relayed by tsx or npm): the stop goes on', () => {
    // Prepare
    const firstAt = 1_000_000;
    // Act / Assess
    expect(stopSignalAction(firstAt, firstAt)).toBe('same-request');
    expect(stopSignalAction(firstAt, firstAt + 3)).toBe('same-request');
    expect(stopSignalAction(firstAt, firstAt + ECHO_WINDOW_MS - 1)).toBe('same-request');
  });

  it('a signal a second or more after the first is a second Ctrl-C: exit at once', () => {
    // Prepare
    const firstAt = 1_000_000;
    // Act / Assess
    expect(stopSignalAction(firstAt, firstAt + ECHO_WINDOW_MS)).toBe('exit-now');
    expect(stopSignalAction(firstAt, firstAt + 10_000)).toBe('exit-now');
  });

  it('the window counts from the first signal, not the latest echo', () => {
    // Prepare: echoes at +400 and +800 ms do not move the window
    const firstAt = 1_000_000;
    // Act / Assess
    expect(stopSignalAction(firstAt, firstAt + 800)).toBe('same-request');
    expect(stopSignalAction(firstAt, firstAt + 1200)).toBe('exit-now');
  });
});
