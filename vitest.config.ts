import { defineConfig } from 'vitest/config';

/**
 * Tests that measure event-loop gaps (a stall shows as a long pause between /health answers) run alone, after
 * everything else: on a busy two-core machine another test file's work would otherwise show up as their gap.
 * One retry absorbs a scheduler hiccup; a real stall (they were 1 s and more) fails every attempt.
 */
const ALONE = ['test/faults/stalls.test.ts', 'test/faults/reload-stall.test.ts', 'test/faults/token-stall.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], exclude: ALONE, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, fileParallelism: false, retry: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
