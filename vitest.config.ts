import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests spawn the built program and train for a few hundred steps.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
