import type { EpochEvent } from '../../src/report/records.js';

/** An epoch event as the trainer sends it, 600 iterations and 1.25 s an epoch. */
export function epochEvent(n: number, loss: number, trainAcc: number, testAcc: number): EpochEvent {
  return { type: 'epoch', epoch: n, iteration: n * 600, loss, trainAcc, testAcc, seconds: 1.25, elapsedSeconds: n * 1.25 };
}
