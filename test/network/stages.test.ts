import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/data/bundled.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { wasmKernels } from '../../src/kernels/wasm.js';
import { parseLayerSpec } from '../../src/network/layer-spec.js';
import { SequentialNet } from '../../src/network/sequential-net.js';
import { planStages } from '../../src/network/stages.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';

// A first Convolution -> Relu -> Pooling 2x2 block runs as one fused step: the same bits as
// the three layers run one by one, forward and backward, with each backend's kernels.

const set = loadBundled('mnist-10k').train;
const input = { C: 1, H: 28, W: 28 };

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

/** The net's scores and gradients as the stack runs them, then as its layers run one by one. */
function fusedAndLayerByLayer(k: Kernels, spec: string): { fused: Float64Array[]; layers: Float64Array[] } {
  const net = new SequentialNet(k, { parts: parseLayerSpec(spec), input, classes: 10 }, { rng: new Rng(3), init: 'he', weightInitStd: 0.01 });
  const rng = new Rng(4);
  const x = k.allocImages(12, 784);
  k.gatherImages(x, k.loadImages(set), Int32Array.from({ length: 12 }, () => rng.int(set.count)));
  const t = Uint8Array.from({ length: 12 }, (_, i) => set.labels[x.indices[i]]);
  const snapshot = (scores: Matrix, grads: Record<string, Matrix>) => [Float64Array.from(scores.data), ...Object.values(grads).map((g) => Float64Array.from(g.data))];

  const grads = net.gradient(x, t);
  const fused = snapshot(net.lastLayer.probabilities!, grads);
  let out: Matrix | typeof x = x;
  for (const layer of net.forwardLayers) out = layer.forward(out, true);
  net.lastLayer.forward(out as Matrix, t);
  let dout = net.lastLayer.backward(1);
  for (const layer of [...net.forwardLayers].reverse()) dout = layer.backward(dout);
  return { fused, layers: snapshot(net.lastLayer.probabilities!, grads) };
}

describe('a first conv -> relu -> pool:2 block', () => {
  it('runs as one step when the kernels fuse it, and only then', () => {
    const k = referenceKernels('float32');
    const names = (spec: string) => {
      const net = new SequentialNet(k, { parts: parseLayerSpec(spec), input, classes: 10 }, { rng: new Rng(1), init: 'he', weightInitStd: 0.01 });
      return planStages(k, net.forwardLayers).map((s) => s.name);
    };
    expect(names('conv:30x5,relu,pool:2,affine:100,relu')).toEqual(['Conv1+Relu2+Pool3', 'Affine2', 'Relu5', 'Affine3']);
    expect(names('conv:4x3s1p1,relu,pool:2')).toEqual(['Conv1+Relu2+Pool3', 'Affine2']);
    expect(names('conv:4x4s2p1,relu,pool:2')[0]).toBe('Conv1'); // stride 2: not fused
    expect(names('conv:4x5,relu,pool:3')[0]).toBe('Conv1'); // 3x3 windows: not fused
    expect(names('conv:4x5,relu,pool:2s1')[0]).toBe('Conv1'); // overlapping windows: not fused
    expect(names('conv:4x3,relu,conv:4x3,relu,pool:2')[0]).toBe('Conv1'); // DeepConvNet's first block
  });

  // The fused gradient kernel's shape, then two it cannot take (padding; 9 taps a row), which
  // the wasm backend runs unfused behind the same call.
  const SPECS = ['conv:6x5,relu,pool:2,affine:20,relu', 'conv:4x3p1,relu,pool:2,affine:20', 'conv:2x9,relu,pool:2'];
  it.each(SPECS)('gives the layers\' bits on the wasm kernels (%s)', (spec) => {
    const { fused, layers } = fusedAndLayerByLayer(wasmKernels(), spec);
    fused.forEach((a, i) => expect(sameBits(a, layers[i]), `array ${i}`).toBe(true));
  });

  it.each(SPECS)('gives the layers\' bits on the reference kernels (%s)', (spec) => {
    const { fused, layers } = fusedAndLayerByLayer(referenceKernels('float64'), spec);
    fused.forEach((a, i) => expect(sameBits(a, layers[i]), `array ${i}`).toBe(true));
  });
});
