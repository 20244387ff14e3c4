import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import type { Matrix } from '../../tensor/matrix.js';
import type { OptimizerState } from './optimizer.js';

/** The buffers of `slots` (slot name -> one buffer per parameter, or null before the first update) as state tensors. */
export function slotTensors(slots: Record<string, Params | null>): Record<string, Matrix> {
  const tensors: Record<string, Matrix> = {};
  for (const [slot, buffers] of Object.entries(slots)) {
    if (buffers === null) continue;
    for (const [key, m] of Object.entries(buffers)) tensors[`${slot}.${key}`] = m;
  }
  return tensors;
}

/**
 * Checks that `state` holds exactly the tensors of `slots` for `params` (or none at all: saved
 * before the first update) and exactly the counters named in `scalars`.
 * Returns whether it holds the tensors.
 */
export function checkState(name: string, state: OptimizerState, params: Params, slots: readonly string[], scalars: readonly string[]): boolean {
  const names = Object.keys(state.tensors);
  const expected = slots.flatMap((slot) => Object.keys(params).map((key) => `${slot}.${key}`));
  for (const n of names) if (!expected.includes(n)) throw new RangeError(`${name} state has an unexpected tensor ${n}`);
  if (names.length > 0) {
    for (const n of expected) {
      const m = state.tensors[n];
      if (m === undefined) throw new RangeError(`${name} state lacks the tensor ${n}`);
      const p = params[n.slice(n.indexOf('.') + 1)];
      if (m.rows !== p.rows || m.cols !== p.cols) throw new RangeError(`${name} state tensor ${n} is (${m.rows}, ${m.cols}), its parameter (${p.rows}, ${p.cols})`);
    }
  }
  for (const n of Object.keys(state.scalars)) if (!scalars.includes(n)) throw new RangeError(`${name} state has an unexpected counter ${n}`);
  for (const n of scalars) if (!Number.isFinite(state.scalars[n])) throw new RangeError(`${name} state lacks the counter ${n}`);
  return names.length > 0;
}

/** Fresh buffers for `slot` holding the state's values (after checkState said it has them). */
export function restoreSlot(kernels: Kernels, state: OptimizerState, params: Params, slot: string): Params {
  const out: Params = {};
  for (const [key, p] of Object.entries(params)) {
    out[key] = kernels.alloc(p.rows, p.cols); // same shape as the parameter
    out[key].data.set(state.tensors[`${slot}.${key}`].data);
  }
  return out;
}
