import { configDefaults, defineConfig } from 'vitest/config';

// Two projects, chosen by path. `cli` holds the tests that run the built program
// (bin/nn-train.js runs dist/), so it builds once before they start; `unit` imports the sources
// directly and builds nothing (`npx vitest run test/layers` starts at once). A new test that
// spawns the CLI goes into this list.
const CLI_TESTS = [
  'test/cli/commands/download.test.ts',
  'test/cli/convnet.test.ts',
  'test/cli/main.test.ts',
  'test/cli/program.test.ts',
  'test/cli/startup.test.ts',
];

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
