import type { Matrix } from '../tensor/matrix.js';
import { convOutputSize } from './conv-reference.js';
import type { Kernels } from './kernels.js';

/**
 * The fused first block (./fusion.ts) as the three layers' kernels one after the other: what
 * a backend without a fused kernel runs, and what the fused kernels are tested against.
 * `this` is the backend, so its own kernels run, with scratch buffers of its own.
 */
export const unfusedConvReluPool: Pick<Kernels, 'convReluPoolForward' | 'convReluPoolBackward'> = {
  convReluPoolForward(this: Kernels, pooled, argmax, x, W, b, conv, pool) {
    const { OH, OW } = convOutputSize({ N: 1, ...conv });
    const a = scratchOf(this, 'activations', x.rows, conv.FN * OH * OW); // a: (N, FN*OH*OW)
    const r = scratchOf(this, 'relu', x.rows, conv.FN * OH * OW); // r: (N, FN*OH*OW)
    this.convForward(a, x, W, b, conv);
    this.reluForward(r, a);
    this.poolForward(pooled, argmax, r, pool);
  },

  convReluPoolBackward(this: Kernels, dW, db, dpooled, pooled, argmax, x, W, conv, pool) {
    // ReLU passes a gradient where its output was positive, and the pooled value is the
    // output at the argmax, its window's only route back: masking dpooled where pooled <= 0
    // is the ReLU's mask (each activation is in one window).
    const masked = scratchOf(this, 'masked', dpooled.rows, dpooled.cols); // masked: (N, FN*PH*PW)
    for (let i = 0; i < masked.data.length; i++) masked.data[i] = pooled.data[i] > 0 ? dpooled.data[i] : 0;
    const da = scratchOf(this, 'activations', x.rows, pool.C * pool.H * pool.W); // da: (N, FN*OH*OW)
    this.poolBackward(da, masked, argmax, pool);
    this.convBackward(null, dW, db, da, x, W, conv);
  },
};

const scratch = new WeakMap<Kernels, Map<string, Matrix>>();

/** The backend's scratch matrix `name`, (rows, cols), made on first use and when the shape changes. */
function scratchOf(kernels: Kernels, name: string, rows: number, cols: number): Matrix {
  let mine = scratch.get(kernels);
  if (mine === undefined) scratch.set(kernels, (mine = new Map()));
  let m = mine.get(name);
  if (m === undefined || m.rows !== rows || m.cols !== cols) mine.set(name, (m = kernels.alloc(rows, cols)));
  return m;
}
