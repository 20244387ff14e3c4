import { configDefaults, defineConfig } from 'vitest/config';

// Two projects, chosen by folder. `cli` holds the tests that run the built program (bin/nn-train.js
// runs dist/): everything under test/cli and test/serve, and any other file named *.cli.test.ts.
// It builds once before they start. `unit` imports the sources directly and builds nothing
// (`npx vitest run test/layers` starts at once).
const CLI_TESTS = ['test/cli/**/*.test.ts', 'test/serve/**/*.test.ts', 'test/**/*.cli.test.ts'];

export default defineConfig({
  test: {
    // CLI tests spawn the built program and train for a few hundred steps.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...CLI_TESTS] },
      },
      {
        extends: true,
        test: { name: 'cli', include: CLI_TESTS, globalSetup: ['test/support/build.ts'] },
      },
    ],
  },
});
