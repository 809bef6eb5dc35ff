import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start servers on ephemeral ports; two cores do not gain from more workers.
    maxWorkers: 2,
    // EMF lines and log lines would drown the output: only errors show. Tests that check metrics
    // turn them on (test/support/metrics.ts); tests that check logs set the level they need.
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
