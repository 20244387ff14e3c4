import { firstConvReluPool } from '../kernels/fusion.js';
import type { Kernels } from '../kernels/kernels.js';
import { ConvReluPool, type Stage } from '../layers/conv-relu-pool.js';
import type { Layer } from '../layers/layer.js';
import type { Matrix } from '../tensor/matrix.js';

/**
 * The steps a layer stack runs: its layers in order, except a first Convolution -> Relu ->
 * Pooling block that the kernels fuse (../kernels/fusion.ts, from the layers' ops), which
 * runs as one step.
 */
export function planStages(kernels: Kernels, layers: readonly Layer[]): Stage[] {
  const block = firstConvReluPool(layers.map((layer) => layer.op));
  const grads = layers[0]?.grads as { W: Matrix; b: Matrix } | undefined;
  if (block === null || grads === undefined) return [...layers];
  return [new ConvReluPool(kernels, block.conv, block.pool, grads, `${layers[0].name}+${layers[1].name}+${layers[2].name}`), ...layers.slice(3)];
}
