// startup.test.ts still imports the MNIST helper from here; the helper lives in test/support.
export * from '../support/mnist.js';
