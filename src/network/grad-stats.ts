import type { Matrix, Target } from '../tensor/matrix.js';
import type { ActivationName, MultiLayerNet } from './multi-layer-net.js';

/** A sigmoid output this close to 0 or 1 has y(1 - y) < 0.0099: its gradient is all but gone. */
export const SIGMOID_SATURATION = 0.01;

/** What one Affine layer (and the activation after it) looks like on one batch. */
export interface LayerGradStats {
  layer: number; // 1 for Affine1 (next to the input) ... n for the output layer
  name: string; // Affine1
  inputs: number; // rows of W
  outputs: number; // cols of W
  weightNorm: number; // ||W||, Frobenius
  gradNorm: number; // ||dW||, Frobenius: how hard this layer is pushed by one step
  gradRatio: number; // ||dW|| / ||W||
  /** The activation after this layer; null for the output layer (softmax follows). */
  activation: ActivationName | null;
  actMean: number | null; // mean of the activation outputs over the batch
  actStd: number | null; // their standard deviation
  /** Sigmoid: fraction of outputs within SIGMOID_SATURATION of 0 or 1. ReLU: fraction exactly 0 (dead). */
  saturated: number | null;
}

/**
 * Per-layer statistics of a network on one batch, normally at the start of training (book
 * section 6.2.2): the spread of each hidden layer's activations and the norm of each weight
 * gradient. In a deep sigmoid net with small weights the gradient norms shrink layer by
 * layer toward the input (each sigmoid multiplies the gradient by y(1 - y) <= 1/4); with
 * ReLU and He init they stay of one order.
 */
export function gradStats(net: MultiLayerNet, x: Matrix, t: Target): LayerGradStats[] {
  // Forward layer by layer, reading each activation's output before the next layer runs.
  const acts: Array<{ mean: number; std: number; saturated: number }> = [];
  let out = x;
  for (const layer of net.layers.values()) {
    out = layer.forward(out);
    if (!layer.name.startsWith('Affine')) acts.push(spread(out, net.spec.activation));
  }
  const grads = net.gradient(x, t);
  return net.affines.map((affine, i) => {
    const W = affine.params.W;
    const weightNorm = norm(W);
    const gradNorm = norm(grads[`W${i + 1}`]);
    const a = i < acts.length ? acts[i] : null;
    return {
      layer: i + 1,
      name: affine.name,
      inputs: W.rows,
      outputs: W.cols,
      weightNorm,
      gradNorm,
      gradRatio: weightNorm === 0 ? NaN : gradNorm / weightNorm,
      activation: a === null ? null : net.spec.activation,
      actMean: a?.mean ?? null,
      actStd: a?.std ?? null,
      saturated: a?.saturated ?? null,
    };
  });
}

function norm(m: Matrix): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return Math.sqrt(s);
}

function spread(y: Matrix, activation: ActivationName): { mean: number; std: number; saturated: number } {
  const n = y.data.length;
  let sum = 0;
  let stuck = 0;
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    sum += v;
    if (activation === 'relu' ? v === 0 : v < SIGMOID_SATURATION || v > 1 - SIGMOID_SATURATION) stuck++;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (y.data[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n), saturated: stuck / n };
}
