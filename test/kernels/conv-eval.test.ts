import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/data/bundled.js';
import { createKernels } from '../../src/kernels/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { parseLayerSpec } from '../../src/network/layer-spec.js';
import { SequentialNet } from '../../src/network/sequential-net.js';
import { Rng } from '../../src/tensor/rng.js';
import { firstImages } from '../../src/train/trainer.js';
import { forwardOps } from '../../src/train/evaluate.js';

// A convnet's ops scored over a set: on one thread or split with a worker, the same count;
// and the count the reference kernels give, but for float32 round-off at a near tie.

// (2,000 images or more, or the kernels count on one thread anyway.)
const set = firstImages(loadBundled('mnist-10k').train, 2400);
const SPEC = 'conv:6x5,relu,pool:2,conv:8x3p1,relu,pool:2,affine:30,relu,dropout:0.5,affine:10';

describe('counting correct images with conv ops', () => {
  it('two threads count what one counts; the reference agrees within a few images', async () => {
    const counts: number[] = [];
    for (const threads of [1, 2]) {
      const k = await createKernels({ threads, backend: 'wasm' });
      const net = new SequentialNet(k, { parts: parseLayerSpec(SPEC), input: { C: 1, H: 28, W: 28 }, classes: 10 }, { rng: new Rng(1), init: 'he', weightInitStd: 0.01 });
      counts.push(k.countCorrectImages(forwardOps(net), k.loadImages(set)));
      await k.close();
    }
    expect(counts[1]).toBe(counts[0]);
    const ref = referenceKernels('float64');
    const net = new SequentialNet(ref, { parts: parseLayerSpec(SPEC), input: { C: 1, H: 28, W: 28 }, classes: 10 }, { rng: new Rng(1), init: 'he', weightInitStd: 0.01 });
    expect(Math.abs(ref.countCorrectImages(forwardOps(net), ref.loadImages(set)) - counts[0])).toBeLessThanOrEqual(3);
  });
});
