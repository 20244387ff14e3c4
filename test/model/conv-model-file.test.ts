import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { wasmKernels } from '../../src/kernels/wasm.js';
import { decodeModel, encodeModel } from '../../src/model/model-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { parseLayerSpec } from '../../src/network/layer-spec.js';
import { SequentialNet } from '../../src/network/sequential-net.js';
import { Rng } from '../../src/tensor/rng.js';
import { runtimeFailure } from '../support/failures.js';
import { randomMatrix } from '../support/gradient-check.js';
import { copyTo } from '../support/kernels.js';

const SPEC = 'conv:4x3p1,relu,pool:2,affine:6,relu,dropout:0.2,affine:10';
const input = { C: 1, H: 28, W: 28 };

describe('conv models in safetensors files', () => {
  it('save -> load gives the same predictions, conv W stored as (filters, channels, height, width)', () => {
    const k = wasmKernels();
    const net = new SequentialNet(k, { parts: parseLayerSpec(SPEC), input, classes: 10 }, { rng: new Rng(3), init: 'he', weightInitStd: 0.01 });
    const bytes = encodeModel(net, { dataset: 'mnist' });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(tensors.get('W1')!.shape).toEqual([4, 1, 3, 3]);
    expect(tensors.get('W2')!.shape).toEqual([4 * 14 * 14, 6]);
    expect(tensors.get('b1')!.shape).toEqual([4]);
    expect(metadata).toMatchObject({ layers: SPEC, input: '1x28x28', classes: '10', dataset: 'mnist' });

    const loaded = decodeModel(bytes, k).net;
    expect(loaded).toBeInstanceOf(SequentialNet);
    const x = copyTo(k, randomMatrix(new Rng(9), 5, 784));
    const before = [...net.predict(x).data];
    expect([...loaded.predict(x).data]).toEqual(before);
  });

  it('a file whose spec does not match its tensors is a one-line failure', () => {
    const net = new SequentialNet(referenceKernels('float32'), { parts: parseLayerSpec(SPEC), input, classes: 10 }, { rng: new Rng(3), init: 'he', weightInitStd: 0.01 });
    const { tensors, metadata } = decodeSafetensors(encodeModel(net, {}));
    const lying = encodeSafetensors(tensors, { ...metadata, layers: SPEC.replace('conv:4x3p1', 'conv:5x3p1') });
    const { message } = runtimeFailure(() => decodeModel(lying, referenceKernels('float32'), 'm.safetensors'));
    expect(message).toBe('model m.safetensors: W1 has shape [4,1,3,3] but its layers "conv:5x3p1,relu,pool:2,affine:6,relu,dropout:0.2,affine:10" need [5,1,3,3]');
    const broken = encodeSafetensors(tensors, { ...metadata, layers: 'conv:4x3p1,relu,pool:99' });
    expect(runtimeFailure(() => decodeModel(broken, referenceKernels('float32'), 'm')).message).toMatch(/^model m: __metadata__ layers "conv:4x3p1,relu,pool:99": part 3 "pool:99": pool 99x99 is larger than its 28x28 input$/);
  });
});
