import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ (TypeScript and the WebAssembly kernels) once for the CLI tests.
    globalSetup: ['test/global-setup.ts'],
    // CLI tests spawn the built program and train for a few hundred steps.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
