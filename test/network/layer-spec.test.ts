import { describe, expect, it } from 'vitest';
import { formatLayerSpec, LayerSpecError, parseLayerSpec, planLayers, withOutputLayer } from '../../src/network/layer-spec.js';
import { ARCH_LAYERS } from '../../src/network/names.js';

const MNIST = { C: 1, H: 28, W: 28 };
const plan = (spec: string) => planLayers(parseLayerSpec(spec), MNIST, 10);
const error = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LayerSpecError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('layer specs', () => {
  it('parses every kind, with default strides and pads, and prints them back', () => {
    const parts = parseLayerSpec('conv:16x3p1, conv:8x5s2, pool:2, pool:3s1, affine:100, relu, sigmoid, dropout:0.5');
    expect(parts[0]).toEqual({ kind: 'conv', filters: 16, size: 3, stride: 1, pad: 1 });
    expect(parts[1]).toEqual({ kind: 'conv', filters: 8, size: 5, stride: 2, pad: 0 });
    expect(parts[2]).toEqual({ kind: 'pool', size: 2, stride: 2 });
    expect(parts[3]).toEqual({ kind: 'pool', size: 3, stride: 1 });
    expect(formatLayerSpec(parts)).toBe('conv:16x3p1,conv:8x5s2,pool:2,pool:3s1,affine:100,relu,sigmoid,dropout:0.5');
  });

  it('chains the book nets: SimpleConvNet pools to 30x12x12, DeepConvNet to 64x4x4 (1024 into its first affine)', () => {
    expect(plan(ARCH_LAYERS['simple-convnet'])[2].output).toEqual({ C: 30, H: 12, W: 12 });
    const deep = plan(ARCH_LAYERS['deep-convnet']);
    const affine = deep.find((l) => l.part.kind === 'affine')!;
    expect(affine.input).toEqual({ C: 64, H: 4, W: 4 });
    expect(deep).toHaveLength(ARCH_LAYERS['deep-convnet'].split(',').length); // its last affine gives 10: nothing added
  });

  it('adds affine:<classes> unless the last affine already gives the classes', () => {
    expect(formatLayerSpec(withOutputLayer(parseLayerSpec('conv:4x3,relu,pool:2'), 10))).toBe('conv:4x3,relu,pool:2,affine:10');
    expect(formatLayerSpec(withOutputLayer(parseLayerSpec('affine:100,relu'), 10))).toBe('affine:100,relu,affine:10');
    expect(formatLayerSpec(withOutputLayer(parseLayerSpec('affine:10,dropout:0.5'), 10))).toBe('affine:10,dropout:0.5');
  });

  it.each([
    ['conv:16x3,bogus', /^part 2 "bogus": unknown layer/],
    ['conv:0x3', /^part 1 "conv:0x3": filters must be an integer from 1/],
    ['conv:4x3s0', /^part 1 "conv:4x3s0": stride must be an integer from 1/],
    ['pool:2s0', /^part 1 "pool:2s0": stride must be/],
    ['conv:4', /^part 1 "conv:4": expected conv:<filters>x<size>/],
    ['dropout:1.5', /^part 1 "dropout:1.5": dropout ratio must be a number in \[0, 1\)/],
    ['affine', /^part 1 "affine": affine needs its sizes/],
    ['', /^is empty/],
  ])('refuses %j: %s', (spec, message) => {
    expect(error(() => parseLayerSpec(spec))).toMatch(message);
  });

  it.each([
    ['conv:4x5,pool:2,conv:4x5,pool:9', 'part 4 "pool:9": pool 9x9 is larger than its 8x8 input'],
    ['conv:4x29', 'part 1 "conv:4x29": filter 29x29 is larger than its 28x28 input'],
    ['conv:4x5s2', 'part 1 "conv:4x5s2": filter 5x5 with stride 2 does not tile its 28x28 input evenly'],
  ])('refuses shapes that do not chain: %j', (spec, message) => {
    expect(error(() => plan(spec))).toBe(message);
  });
});
