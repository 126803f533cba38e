import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Integration tests start in-process emulators; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report lets .ci/run print a plain "N passed, N failed" summary line.
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
    // The hub's own info logs drown the test report; tests that check logging set their level.
    env: { SWITCHBOARD_LOG_LEVEL: 'warn' },
  },
});
