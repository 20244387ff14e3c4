import { convOutputSize } from './conv-reference.js';
import type { Op } from './ops.js';

/**
 * Which ops the kernels run as one call: a network's first block when it is Convolution ->
 * Relu -> Pooling 2x2 (SimpleConvNet's), as convReluPoolForward/Backward. Only the first:
 * the fused kernels are made for the input images (their zero pixels skipped) and
 * compute no dx. Chosen from the op list alone, so training (../network/stages.ts) and
 * evaluation (./images.ts) fuse the same block. Fusing changes no number: the fused kernels
 * give the three kernels' bits.
 */

/** The conv and pool ops of the first three when they fuse, else null. */
export function firstConvReluPool(ops: readonly Op[]): { conv: Op & { kind: 'conv' }; pool: Op & { kind: 'pool' } } | null {
  const [conv, relu, pool] = ops;
  if (conv?.kind !== 'conv' || relu?.kind !== 'relu' || pool?.kind !== 'pool') return null;
  const s = conv.shape, p = pool.shape;
  const { OH, OW } = convOutputSize({ N: 1, ...s });
  // Stride 1 (the fused kernel walks one activation row at a time); 2x2 windows of stride 2
  // over even activations, each activation in exactly one window.
  const fits = s.stride === 1 && OH % 2 === 0 && OW % 2 === 0 && p.FH === 2 && p.FW === 2 && p.stride === 2 && p.pad === 0;
  return fits && p.C === s.FN && p.H === OH && p.W === OW ? { conv, pool } : null;
}
