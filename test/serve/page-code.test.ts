import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { buildAnyNetwork, buildNetwork } from '../../src/network/build-network.js';
import { ModelSnapshot } from '../../src/serve/model-snapshot.js';
import { packageRoot } from '../../src/serve/page-files.js';
import { Rng } from '../../src/tensor/rng.js';
import { REPO_ROOT } from '../support/mnist.js';
// The page's own browser modules: plain JavaScript with no DOM, so Node runs them as they are.
// @ts-expect-error (no types for the page's JavaScript)
import { toMnistInput } from '../../src/serve/page/digit-input.js';
// @ts-expect-error (no types for the page's JavaScript)
import { decodeModel, forward } from '../../src/serve/page/forward.js';

/** A W x H drawing with the rectangle [x0, x1) x [y0, y1) inked at `ink`. */
function drawing(W: number, H: number, rects: Array<[number, number, number, number, number?]>): Float32Array {
  const gray = new Float32Array(W * H);
  for (const [x0, y0, x1, y1, ink = 1] of rects) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) gray[y * W + x] = ink;
  return gray;
}

function inkBox(img: Float32Array): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let i = 0; i < 784; i++) {
    if (img[i] > 0) {
      const x = i % 28, y = Math.floor(i / 28);
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return { x0, y0, x1, y1 };
}

function centreOfMass(img: Float32Array): [number, number] {
  let m = 0, mx = 0, my = 0;
  for (let i = 0; i < 784; i++) {
    m += img[i];
    mx += img[i] * ((i % 28) + 0.5);
    my += img[i] * (Math.floor(i / 28) + 0.5);
  }
  return [mx / m, my / m];
}

describe("the page's MNIST-like input (digit-input.js)", () => {
  it('an empty pad is all zeros', () => {
    const out = toMnistInput(new Float32Array(280 * 280), 280, 280);
    expect(out).toHaveLength(784);
    expect(out.every((v: number) => v === 0)).toBe(true);
  });

  it('fits the digit into a 20x20 box keeping its aspect ratio, its ink area kept', () => {
    const tall = toMnistInput(drawing(280, 280, [[30, 40, 130, 240]]), 280, 280); // 100 x 200
    const box = inkBox(tall);
    expect([box.x1 - box.x0 + 1, box.y1 - box.y0 + 1]).toEqual([10, 20]);
    expect(tall.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(200, 3);
    const wide = inkBox(toMnistInput(drawing(280, 280, [[10, 100, 210, 150]]), 280, 280)); // 200 x 50
    expect([wide.x1 - wide.x0 + 1, wide.y1 - wide.y0 + 1]).toEqual([20, 5]);
  });

  it('centres by the centre of mass, wherever the digit was drawn', () => {
    // An uneven shape: a bar with a heavy block at one end, so its centre of mass is not its box's centre.
    const at = (dx: number, dy: number) => toMnistInput(drawing(280, 280, [[dx, dy, dx + 30, dy + 180], [dx + 30, dy + 120, dx + 120, dy + 180]]), 280, 280);
    const a = at(10, 20);
    const b = at(140, 90);
    expect(Array.from(a)).toEqual(Array.from(b));
    const [cx, cy] = centreOfMass(a);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    const box = inkBox(a);
    expect((box.x0 + box.x1 + 1) / 2).not.toBeCloseTo(14, 0); // centred by mass, not by box
  });

  it('anti-aliases: edges that fall between pixels are grey, never above 1', () => {
    const out = toMnistInput(drawing(280, 280, [[0, 0, 33, 200]]), 280, 280); // 3.3 output pixels wide
    const values = Array.from(out as Float32Array).filter((v) => v > 0);
    expect(values.some((v) => v < 0.99)).toBe(true);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    expect(Math.max(...values)).toBeCloseTo(1, 5);
  });
});

describe("the page's forward pass (forward.js) against the engine's", () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const activation of ['relu', 'sigmoid'] as const) {
      it(`${dtype}, ${activation}: the same layers, outputs and probabilities`, () => {
        const kernels = referenceKernels(dtype);
        const net = buildNetwork(kernels, new Rng(7), { inputSize: 784, hidden: [40, 20], outputSize: 10, activation, init: 'he', weightInitStd: 0.01 });
        const snapshot = new ModelSnapshot(net, 1, [28, 28], { architecture: net.architecture });
        const rng = new Rng(3);
        const pixels = Array.from({ length: 784 }, () => (rng.uniform() < 0.2 ? rng.uniform() : 0));
        const server = snapshot.predict(pixels);
        const page = forward(decodeModel(JSON.parse(snapshot.toJson())), pixels);
        expect(page.outputs.map((o: { name: string }) => o.name)).toEqual(server.layers.map((l) => l.name));
        const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
        page.outputs.forEach((o: { values: Float32Array }, k: number) => {
          const want = server.layers[k].values;
          o.values.forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThan(tolerance * Math.max(1, Math.abs(want[j]))));
        });
        expect(page.predicted).toBe(server.predicted);
        // And the network's own forward pass (its Softmax-with-Loss layer) agrees.
        const x = kernels.alloc(1, 784);
        x.data.set(pixels);
        net.loss(x, new Uint8Array([0]));
        const probs = Array.from(net.lastLayer.probabilities!.data);
        probs.forEach((p, j) => expect(Math.abs(page.probabilities[j] - p)).toBeLessThan(tolerance));
      });
    }
  }
});

describe("the page's forward pass with batch norm and dropout", () => {
  it('runs the running statistics and the dropout scaling as the engine does', () => {
    const kernels = referenceKernels('float64');
    const net = buildNetwork(kernels, new Rng(7), { inputSize: 784, hidden: [30, 20], outputSize: 10, activation: 'relu', init: 'he', weightInitStd: 0.01, batchNorm: true, dropout: 0.2 });
    const rng = new Rng(5);
    const batch = kernels.alloc(8, 784);
    for (let i = 0; i < batch.data.length; i++) batch.data[i] = rng.uniform() < 0.2 ? rng.uniform() : 0;
    net.gradient(batch, new Uint8Array(8).map((_, i) => i)); // a training pass moves the running statistics
    const snapshot = new ModelSnapshot(net, 1, [28, 28], { architecture: net.architecture });
    const pixels = Array.from(batch.data.subarray(0, 784));
    const server = snapshot.predict(pixels);
    const page = forward(decodeModel(JSON.parse(snapshot.toJson())), pixels);
    expect(page.outputs.map((o: { name: string }) => o.name)).toEqual(server.layers.map((l) => l.name));
    expect(server.layers.map((l) => l.name)).toContain('BatchNorm2');
    page.outputs.forEach((o: { values: Float64Array }, k: number) => {
      o.values.forEach((v, j) => expect(Math.abs(v - server.layers[k].values[j])).toBeLessThan(1e-12 * Math.max(1, Math.abs(server.layers[k].values[j]))));
    });
    expect(page.predicted).toBe(server.predicted);
  });
});

describe("the page's forward pass with convolution and pooling", () => {
  it('runs a padded, strided convolution and a max pool as the engine does', () => {
    const kernels = referenceKernels('float64');
    const settings = { inputSize: 784, hidden: [], outputSize: 10, activation: 'relu' as const, init: 'he' as const, weightInitStd: 0.01 };
    const net = buildAnyNetwork(kernels, new Rng(7), settings, 'conv:3x4s2p1,relu,pool:2,affine:16,relu,dropout:0.3,affine:10', { rows: 28, cols: 28 });
    for (const [name, b] of Object.entries(net.params)) if (name.startsWith('b')) b.data.fill(0.05); // biases that show if the page drops them
    const snapshot = new ModelSnapshot(net, 1, [28, 28], { architecture: net.architecture });
    expect(snapshot.inputSize).toBe(784);
    const rng = new Rng(5);
    const pixels = Array.from({ length: 784 }, () => (rng.uniform() < 0.3 ? rng.uniform() : 0));
    const server = snapshot.predict(pixels);
    const page = forward(decodeModel(JSON.parse(snapshot.toJson())), pixels);
    expect(page.outputs.map((o: { name: string }) => o.name)).toEqual(server.layers.map((l) => l.name));
    expect(server.layers.map((l) => l.name).slice(0, 3)).toEqual(['Conv1', 'Relu1', 'Pool1']);
    page.outputs.forEach((o: { values: Float64Array }, k: number) => {
      expect(o.values.length).toBe(server.layers[k].values.length);
      o.values.forEach((v, j) => expect(Math.abs(v - server.layers[k].values[j])).toBeLessThan(1e-12 * Math.max(1, Math.abs(server.layers[k].values[j]))));
    });
    expect(page.predicted).toBe(server.predicted);
  });
});

describe("the page's files", () => {
  it('are found from wherever the module runs: src/serve, dist/serve, a bundle in dist/', () => {
    for (const from of ['src/serve/page-files.ts', 'dist/serve/page-files.js', 'dist/nn-train.cjs']) {
      expect(packageRoot(path.join(REPO_ROOT, from))).toBe(REPO_ROOT);
    }
    expect(() => packageRoot('/tmp/nowhere/x.js')).toThrow(/cannot find the page's files/);
  });
});
