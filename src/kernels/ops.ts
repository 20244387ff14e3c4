import type { Matrix } from '../tensor/matrix.js';
import type { ConvShape, FilterShape } from './conv-reference.js';

/** A convolution's sizes for one image (the batch size N comes from the input). */
export type ConvOpShape = Omit<FilterShape, 'N'>;
/** A pooling window's sizes for one image (the batch size N comes from the input). */
export type PoolOpShape = Omit<ConvShape, 'N'>;

/**
 * What a layer computes at inference, in terms the kernels understand: a network is its list
 * of ops, and evaluation (and any fused fast path) is chosen from that list, never by asking
 * what class a layer is. A new kind of layer adds a kind here, its entry in OP_MATRICES, and
 * its case in forwardOp and opOutputCols (./forward.ts); the rest follows from those.
 */
export type Op =
  | { readonly kind: 'affine'; readonly W: Matrix; readonly b: Matrix } // W: (D, H), b: (1, H)
  | { readonly kind: 'relu' }
  | { readonly kind: 'sigmoid' }
  | { readonly kind: 'dropout'; readonly ratio: number } // at inference: x * (1 - ratio)
  // at inference: gamma * (x - runningMean) / sqrt(runningVar + eps) + beta; each (1, D)
  | { readonly kind: 'batchnorm'; readonly gamma: Matrix; readonly beta: Matrix; readonly runningMean: Matrix; readonly runningVar: Matrix; readonly eps: number }
  | { readonly kind: 'conv'; readonly W: Matrix; readonly b: Matrix; readonly shape: ConvOpShape } // W: (FN, C*FH*FW), b: (1, FN)
  | { readonly kind: 'pool'; readonly shape: PoolOpShape }; // max over each window

export type OpKind = Op['kind'];

/** The name the kernels' interface has used for an op (kept for the library's users). */
export type ForwardOp = Op;

type MatrixKeys<O> = { [K in keyof O]: O[K] extends Matrix ? K : never }[keyof O];

/**
 * The fields of each kind of op that are matrices (weights): what a frozen copy of a network
 * copies, and what a worker thread receives as addresses in the shared memory.
 */
export const OP_MATRICES: { readonly [K in OpKind]: readonly MatrixKeys<Extract<Op, { kind: K }>>[] } = {
  affine: ['W', 'b'],
  relu: [],
  sigmoid: [],
  dropout: [],
  batchnorm: ['gamma', 'beta', 'runningMean', 'runningVar'],
  conv: ['W', 'b'],
  pool: [],
};

/** The op's weight matrices, in OP_MATRICES order. */
export function opMatrices(op: Op): Matrix[] {
  const fields = op as unknown as Record<string, Matrix>;
  return (OP_MATRICES[op.kind] as readonly string[]).map((key) => fields[key]);
}

/** An op in any form: its kind, its other fields as they are, its weight fields as a Matrix or as an address. */
export type OpRecord = { readonly kind: OpKind; readonly [field: string]: unknown };

/**
 * The op with each weight field replaced by `f(field)`, its other fields kept: a frozen copy
 * (Matrix to Matrix), or the description a worker thread gets (Matrix to address) and back.
 */
export function mapOpMatrices(op: OpRecord, f: (m: any, key: string) => unknown): OpRecord {
  const copy: Record<string, unknown> = { ...op };
  for (const key of OP_MATRICES[op.kind] as readonly string[]) copy[key] = f(op[key], key);
  return copy as OpRecord;
}
