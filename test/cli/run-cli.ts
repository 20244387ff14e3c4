// startup.test.ts still imports the CLI runner from here; the runner lives in test/support.
export * from '../support/run-cli.js';
