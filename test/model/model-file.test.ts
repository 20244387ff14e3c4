import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/errors.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/model/model-file.js';
import { encodeSafetensors, type Tensor } from '../../src/model/safetensors.js';
import { buildNetwork } from '../../src/network/build-network.js';
import { matrixFrom, type DType } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';
import { runtimeFailure } from '../support/failures.js';

function tinyNet(dtype: DType, activation: 'relu' | 'sigmoid' = 'relu') {
  return buildNetwork(referenceKernels(dtype), new Rng(8), { inputSize: 6, hidden: [5, 4], outputSize: 3, activation, init: 'he', weightInitStd: 0.01 });
}

function batch(dtype: DType) {
  const rng = new Rng(3);
  const x = matrixFrom(dtype, 7, 6);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.uniform();
  return x;
}

/** Runs fn and returns the one-line message of the RuntimeFailure it throws. */
function failure(fn: () => unknown): string {
  const { message } = runtimeFailure(fn);
  expect(message).not.toContain('\n');
  return message;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nn-train-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('safetensors model files', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`writes the spec's layout, readable by hand (${dtype})`, () => {
      const net = tinyNet(dtype);
      const bytes = encodeModel(net, { dataset: 'mnist', accuracy: '0.5' });
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const n = Number(view.getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0); // data starts 8-byte aligned
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text).toMatch(/^\{.*\} *$/);
      const header = JSON.parse(text);
      expect(header.__metadata__).toEqual({ dataset: 'mnist', accuracy: '0.5', format: 'nn-train', architecture: '6-5-4-3', activation: 'relu' });
      const dt = dtype === 'float32' ? 'F32' : 'F64';
      const size = dtype === 'float32' ? 4 : 8;
      expect(header.W1).toEqual({ dtype: dt, shape: [6, 5], data_offsets: [0, 30 * size] });
      expect(header.b1).toEqual({ dtype: dt, shape: [5], data_offsets: [30 * size, 35 * size] });
      expect(header.W3.shape).toEqual([4, 3]);
      expect(header.b3.data_offsets[1]).toBe(bytes.length - 8 - n); // the tensors end where the file ends
      for (const name of ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']) {
        const [begin, end] = header[name].data_offsets as [number, number];
        const values: number[] = [];
        for (let at = 8 + n + begin; at < 8 + n + end; at += size) values.push(size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true));
        expect(values).toEqual(Array.from(net.params[name].data));
      }
    });

    it(`save then load gives identical predictions (${dtype})`, async () => {
      const net = tinyNet(dtype, 'sigmoid');
      const file = path.join(dir, `m-${dtype}.safetensors`);
      await saveModel(file, net, { dataset: 'mnist', accuracy: '0.1234' });
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const loaded = await loadModel(file, (d) => referenceKernels(d));
      expect(loaded.dtype).toBe(dtype);
      expect(loaded.net.architecture).toBe('6-5-4-3');
      expect(loaded.net.spec.activation).toBe('sigmoid');
      expect(loaded.metadata).toMatchObject({ accuracy: '0.1234', dataset: 'mnist', format: 'nn-train' });
      const x = batch(dtype);
      const want = Array.from(net.predict(x).data);
      expect(Array.from(loaded.net.predict(x).data)).toEqual(want);
    });
  }

  it('overwrites atomically and reports an unwritable path in one line', async () => {
    const file = path.join(dir, 'again.safetensors');
    await writeFile(file, 'old');
    await saveModel(file, tinyNet('float32'), {});
    expect((await readFile(file)).length).toBeGreaterThan(100);
    await expect(saveModel(path.join(dir, 'no-such-dir', 'm.safetensors'), tinyNet('float32'), {})).rejects.toThrow(
      /^cannot save model to .*no-such-dir.*: ENOENT$/,
    );
    await expect(loadModel(path.join(dir, 'missing.safetensors'), referenceKernels())).rejects.toThrow(/cannot read model .*: no such file/);
  });

  const good = encodeModel(tinyNet('float64'), { dataset: 'mnist', accuracy: '0.9' });
  const k = referenceKernels('float64');
  const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));

  it('a truncated file gives a one-line error', () => {
    for (const length of [0, 5, 8, 20, headerEnd - 1, headerEnd, headerEnd + 3, good.length - 1]) {
      expect(failure(() => decodeModel(good.subarray(0, length), k, 'm.safetensors'))).toMatch(/^model m\.safetensors: /);
    }
    expect(failure(() => decodeModel(good.subarray(0, good.length - 8), k))).toContain('truncated');
    expect(failure(() => decodeModel(good.subarray(0, 4), k))).toContain('too short');
  });

  it('trailing bytes after the data are an error too', () => {
    const longer = new Uint8Array(good.length + 8);
    longer.set(good);
    expect(failure(() => decodeModel(longer, k))).toContain('trailing bytes');
  });

  it('every single bit flip in the header outside __metadata__ gives a one-line error', () => {
    const text = new TextDecoder().decode(good.subarray(8, headerEnd));
    const metaStart = 8 + text.indexOf('"__metadata__"');
    const metaEnd = 8 + text.lastIndexOf('}'); // the metadata object closes just before the header's last brace
    let flips = 0;
    const messages = new Set<string>();
    for (let at = 0; at < headerEnd; at++) {
      if (at >= metaStart && at < metaEnd) continue; // free text: a flipped letter in "mnist" is still a valid file
      for (let bit = 0; bit < 8; bit++) {
        const bad = good.slice();
        bad[at] ^= 1 << bit;
        messages.add(failure(() => decodeModel(bad, k)).replace(/\d+/g, '#'));
        flips++;
      }
    }
    expect(flips).toBeGreaterThan(1500);
    expect(messages.size).toBeGreaterThan(5); // different faults are told apart
  });

  it('bit flips inside __metadata__ either load or fail cleanly, and never change the weights', () => {
    const text = new TextDecoder().decode(good.subarray(8, headerEnd));
    const metaStart = 8 + text.indexOf('"__metadata__"');
    const metaEnd = 8 + text.lastIndexOf('}');
    const x = batch('float64');
    const want = Array.from(decodeModel(good, k).net.predict(x).data);
    for (let at = metaStart; at < metaEnd; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = good.slice();
        bad[at] ^= 1 << bit;
        let loaded;
        try {
          loaded = decodeModel(bad, k);
        } catch (err) {
          expect(err).toBeInstanceOf(RuntimeFailure);
          continue;
        }
        expect(Array.from(loaded.net.predict(x).data)).toEqual(want);
      }
    }
  });

  /** A file with the given tensors (float64 values 0.5), for faults the writer never makes. */
  function craft(shapes: Record<string, number[]>, metadata: Record<string, string> = { activation: 'relu' }): Uint8Array {
    const tensors = new Map<string, Tensor>();
    for (const [name, shape] of Object.entries(shapes)) {
      tensors.set(name, { dtype: 'F64', shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) });
    }
    return encodeSafetensors(tensors, metadata);
  }

  it('shapes that do not chain give a one-line error', () => {
    expect(failure(() => decodeModel(craft({ W1: [6, 5], b1: [5], W2: [4, 3], b2: [3] }), k))).toBe(
      'model model: shapes do not chain: W2 is [4,3] but layer 1 has 5 outputs',
    );
    expect(failure(() => decodeModel(craft({ W1: [6, 5], b1: [4], W2: [5, 3], b2: [3] }), k))).toContain('b1 is [4], expected [5]');
    expect(failure(() => decodeModel(craft({ W1: [6, 5], b1: [5], W2: [5, 3] }), k))).toContain('has no tensor b2');
    expect(failure(() => decodeModel(craft({ W1: [30], b1: [5] }), k))).toContain('W1 has shape [30]');
    expect(failure(() => decodeModel(craft({ W1: [6, 5], b1: [5], W3: [5, 3], b3: [3] }), k))).toContain('unexpected tensor "W3"');
    expect(failure(() => decodeModel(craft({ W1: [6, 5], b1: [5], extra: [2] }), k))).toContain('unexpected tensor "extra"');
    expect(failure(() => decodeModel(craft({ b1: [5] }), k))).toContain('no weight tensor W1');
  });

  it('metadata must name a known activation that matches the tensors', () => {
    const shapes = { W1: [6, 5], b1: [5], W2: [5, 3], b2: [3] };
    expect(decodeModel(craft(shapes), k).net.architecture).toBe('6-5-3');
    expect(failure(() => decodeModel(craft(shapes, {}), k))).toContain('no activation');
    expect(failure(() => decodeModel(craft(shapes, { activation: 'tanh' }), k))).toContain('activation is "tanh"');
    expect(failure(() => decodeModel(craft(shapes, { activation: 'relu', architecture: '6-4-3' }), k))).toContain('says architecture 6-4-3 but the tensors are 6-5-3');
  });

  /** The good file with its header JSON replaced (re-padded), data region unchanged. */
  function withHeader(edit: (h: Record<string, any>) => void, data = good.subarray(headerEnd)): Uint8Array {
    const h = JSON.parse(new TextDecoder().decode(good.subarray(8, headerEnd)));
    edit(h);
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  }

  it('checks dtype, offsets, overlap, gaps and values', () => {
    expect(decodeModel(withHeader(() => {}), k).net.architecture).toBe('6-5-4-3'); // unpadded header is fine
    expect(failure(() => decodeModel(withHeader((h) => (h.W1.dtype = 'F16')), k))).toContain('dtype "F16"; nn-train reads F32 and F64');
    expect(failure(() => decodeModel(withHeader((h) => (h.W1.dtype = 'F32')), k))).toContain('data_offsets span 240 bytes');
    expect(failure(() => decodeModel(withHeader((h) => (h.b3.data_offsets = [h.b3.data_offsets[0], h.b3.data_offsets[1] + 8])), k))).toContain('past the end of the data');
    expect(failure(() => decodeModel(withHeader((h) => (h.b1.data_offsets = [0, 40])), k))).toMatch(/overlaps/);
    expect(failure(() => decodeModel(withHeader((h) => delete h.b3), k))).toMatch(/belong to no tensor|tensors cover/);
    expect(failure(() => decodeModel(withHeader((h) => (h.W1.extra = 1)), k))).toContain('unknown field "extra"');
    expect(failure(() => decodeModel(withHeader((h) => (h.__metadata__.accuracy = 0.9)), k))).toContain('__metadata__.accuracy is not a string');
    const data = good.slice(headerEnd);
    new DataView(data.buffer).setFloat64(16, NaN, true);
    expect(failure(() => decodeModel(withHeader(() => {}, data), k))).toBe('model model: tensor W1 holds a non-finite value (NaN) at index 2');
  });
});

describe('model files with batch norm and dropout', () => {
  it('keep gamma, beta and the running statistics, and the dropout ratio: the loaded net predicts the same', () => {
    const k = referenceKernels('float64');
    const net = buildNetwork(k, new Rng(8), { inputSize: 6, hidden: [5, 4], outputSize: 3, activation: 'relu', init: 'he', weightInitStd: 0.01, batchNorm: true, dropout: 0.25 });
    net.gradient(batch('float64'), new Uint8Array(7).map((_, i) => i % 3)); // moves the running statistics off zero
    const bytes = encodeModel(net, {});
    const { net: loaded, metadata } = decodeModel(bytes, k);
    expect(metadata.batchNorm).toBe('true');
    expect(metadata.dropout).toBe('0.25');
    expect([...loaded.layers.keys()]).toEqual([...net.layers.keys()]);
    expect(Array.from(loaded.buffers.runningVar2.data)).toEqual(Array.from(net.buffers.runningVar2.data));
    expect(Array.from(loaded.buffers.runningVar2.data).some((v) => v !== 0)).toBe(true);
    const x = batch('float64');
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(net.predict(x).data));
  });

  it('a batch norm file missing a running statistic is refused, naming it', () => {
    const k = referenceKernels('float64');
    const net = buildNetwork(k, new Rng(8), { inputSize: 6, hidden: [5], outputSize: 3, activation: 'relu', init: 'he', weightInitStd: 0.01, batchNorm: true });
    const tensors = new Map<string, Tensor>();
    for (const [name, m] of Object.entries(net.params)) tensors.set(name, { dtype: 'F64', shape: name.startsWith('W') ? [m.rows, m.cols] : [m.cols], data: m.data });
    const bytes = encodeSafetensors(tensors, { format: 'nn-train', activation: 'relu', batchNorm: 'true' });
    expect(failure(() => decodeModel(bytes, k))).toMatch(/has no tensor runningMean1/);
  });
});
