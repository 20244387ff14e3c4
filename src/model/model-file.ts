import { readFile } from 'node:fs/promises';
import { RuntimeFailure } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import type { AnyNet } from '../network/build-network.js';
import { LayerSpecError, parseLayerSpec, planLayers, type Volume } from '../network/layer-spec.js';
import { ACTIVATION_NAMES, MultiLayerNet, type ActivationName } from '../network/multi-layer-net.js';
import { SequentialNet, tensorShapes } from '../network/sequential-net.js';
import type { Params } from '../network/network.js';
import type { DType } from '../tensor/matrix.js';
import { CHECKPOINT_FORMAT, checkpointProblem } from './checkpoint-seal.js';
import { writeFileDurably } from './durable-write.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type Tensor } from './safetensors.js';

/**
 * A trained network as a .safetensors file: tensors W1 (784, h1), b1 (h1), W2 (h1, h2), ...,
 * Wn (h, 10), bn (10) in the training dtype (F32 or F64), and __metadata__ saying what it is.
 * PyTorch (`safetensors.torch.load_file`) and NumPy (`safetensors.numpy.load_file`) read it
 * as it is; W is (inputs, outputs), the book's layout, i.e. the transpose of torch.nn.Linear.
 * A checkpoint (checkpoint.ts) loads as a model too.
 *
 * A net built from a layer spec (a convnet) keeps its spec in __metadata__ (`layers`, with
 * `input` as CxHxW and `classes`), so the file alone rebuilds it; its convolutions' W are
 * (filters, channels, height, width), as the book's NumPy and PyTorch's Conv2d keep them.
 */

/** What we record about a model; all strings, as safetensors requires. */
export interface ModelMetadata {
  format: string; // "nn-train"
  architecture: string; // "784-100-100-10", or a layer spec
  activation: ActivationName | 'layers'; // 'layers' for a net of a layer spec
  [key: string]: string; // dataset, accuracy, init, optimizer, epochs, seed, ...
}

export interface LoadedModel {
  net: AnyNet;
  metadata: ModelMetadata;
  dtype: DType; // of the stored tensors
}

/** The model's bytes; pure. `extra` adds metadata (dataset, accuracy, ...). */
export function encodeModel(net: AnyNet, extra: Record<string, string>): Uint8Array {
  const tensors = modelTensors(net);
  // Batch norm's running statistics belong to the trained model (a checkpoint keeps them as layer state).
  if (net instanceof MultiLayerNet) for (const [name, m] of Object.entries(net.buffers)) tensors.set(name, { dtype: tensorDtype(net), shape: [m.cols], data: m.data });
  return encodeSafetensors(tensors, { ...extra, format: 'nn-train', ...netMetadata(net) });
}

/**
 * What __metadata__ says the net is: its architecture and activation, and for a layer spec's
 * net the spec (`layers`, `input` as CxHxW, `classes`), so that the file alone rebuilds it.
 */
export function netMetadata(net: AnyNet): Record<string, string> {
  if (net instanceof SequentialNet) {
    const { C, H, W } = net.spec.input;
    return { architecture: net.architecture, activation: 'layers', layers: net.architecture, input: `${C}x${H}x${W}`, classes: String(net.spec.classes) };
  }
  return { architecture: net.architecture, activation: net.spec.activation, ...layerMetadata(net) };
}

/** The net's parameters as the file's tensors W1, b1, ... (views of the live weights, not copies). */
export function modelTensors(net: AnyNet): Map<string, Tensor> {
  const dtype = tensorDtype(net);
  const tensors = new Map<string, Tensor>();
  if (net instanceof SequentialNet) {
    for (const [name, shape] of net.tensorShapes()) tensors.set(name, { dtype, shape, data: net.params[name].data });
    return tensors;
  }
  for (const [name, m] of Object.entries(net.params)) {
    // Biases (and batch norm's gamma and beta) are (1, H) matrices in the engine and 1-D (H) vectors in the file, as in the book's NumPy.
    const shape = name.startsWith('W') ? [m.rows, m.cols] : [m.cols];
    tensors.set(name, { dtype, shape, data: m.data });
  }
  return tensors;
}

function tensorDtype(net: AnyNet): 'F32' | 'F64' {
  return net.kernels.dtype === 'float64' ? 'F64' : 'F32';
}

/**
 * What the layers between the Affines are, for eval and predict to rebuild them: batchNorm
 * "true" (tensors gamma_i, beta_i, runningMean_i, runningVar_i for each hidden layer i) and the
 * dropout ratio (inference scales by 1 - ratio). Written only when present, so a plain net's
 * file is as before.
 */
export function layerMetadata(net: MultiLayerNet): Record<string, string> {
  const out: Record<string, string> = {};
  if (net.spec.batchNorm === true) out.batchNorm = 'true';
  if ((net.spec.dropout ?? 0) > 0) out.dropout = String(net.spec.dropout);
  return out;
}

/**
 * A checkpoint's tensors as a model file names them: the weights (and batch norm's gamma and
 * beta) as they are, batch norm's running statistics (its layer state
 * "layer.BatchNorm<i>.runningMean") as runningMean<i>; the optimizer's state left out.
 */
function checkpointModelTensors(tensors: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    const stat = /^layer\.BatchNorm([1-9]\d*)\.(runningMean|runningVar)$/.exec(name);
    if (stat !== null) out.set(`${stat[2]}${stat[1]}`, { ...t, shape: [t.data.length] });
    else if (/^(W|b|gamma|beta)[1-9]\d*$/.test(name)) out.set(name, t);
  }
  return out;
}

/** Batch norm's tensors for hidden layer i, in the file. */
const BATCHNORM_TENSORS = ['gamma', 'beta', 'runningMean', 'runningVar'] as const;

/** Writes the model whole or not at all (see writeFileDurably). */
export async function saveModel(file: string, net: AnyNet, extra: Record<string, string>): Promise<void> {
  try {
    writeFileDurably(file, encodeModel(net, extra));
  } catch (err) {
    throw new RuntimeFailure(`cannot save model to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Reads and validates a model file; every fault is a one-line RuntimeFailure naming the file. */
export async function loadModel(file: string, kernels: KernelsChoice): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RuntimeFailure(`cannot read model ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`);
  }
  return decodeModel(bytes, kernels, file);
}

/**
 * Kernels for the loaded net: a backend, or a function that picks one for the file's dtype
 * (so an F64 model is evaluated in float64 unless the caller insists).
 */
export type KernelsChoice = Kernels | ((dtype: DType) => Kernels);

/** The network in `bytes`, its weights copied into matrices from the chosen kernels. */
export function decodeModel(bytes: Uint8Array, choice: KernelsChoice, file = 'model'): LoadedModel {
  const fail = (why: string) => new RuntimeFailure(`model ${file}: ${why}`);
  let decoded;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError) throw fail(err.message);
    throw err;
  }
  const { metadata } = decoded;
  let tensors = decoded.tensors;
  // A checkpoint is a model too: its weights under the same names, beside the training state.
  if (metadata.format === CHECKPOINT_FORMAT) {
    const problem = checkpointProblem(bytes, metadata);
    if (problem !== null) throw fail(problem);
    tensors = checkpointModelTensors(tensors);
  }
  if (metadata.layers !== undefined) return decodeLayersModel(tensors, metadata, choice, fail);

  // Names: exactly W1, b1, ..., Wn, bn (and with batch norm gamma_i, beta_i, runningMean_i, runningVar_i for i < n).
  const layers = [...tensors.keys()].filter((k) => /^W[1-9]\d*$/.test(k)).length;
  if (layers === 0) throw fail('holds no weight tensor W1');
  const batchNorm = metadata.batchNorm === 'true';
  if (metadata.batchNorm !== undefined && !batchNorm) throw fail(`__metadata__ batchNorm is ${JSON.stringify(metadata.batchNorm)}, expected "true" or no entry`);
  for (const name of tensors.keys()) {
    const m = /^([Wb])([1-9]\d*)$/.exec(name);
    const bn = /^(gamma|beta|runningMean|runningVar)([1-9]\d*)$/.exec(name);
    if (bn !== null && batchNorm && Number(bn[2]) < layers) continue;
    if (m === null || Number(m[2]) > layers) throw fail(`holds an unexpected tensor ${JSON.stringify(name)} (expected W1, b1, ..., W${layers}, b${layers}${batchNorm ? ' and batch norm tensors' : ''})`);
  }
  const dropout = metadata.dropout === undefined ? 0 : Number(metadata.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw fail(`__metadata__ dropout is ${JSON.stringify(metadata.dropout)}, expected a ratio in [0, 1)`);
  const dtypes = new Set([...tensors.values()].map((t) => t.dtype));
  if (dtypes.size !== 1) throw fail('mixes F32 and F64 tensors');

  // Shapes chain: W1 (D, h1) -> b1 (h1) -> W2 (h1, h2) -> ... -> Wn (h, C) -> bn (C).
  const sizes: number[] = [];
  for (let i = 1; i <= layers; i++) {
    const W = tensors.get(`W${i}`);
    const b = tensors.get(`b${i}`);
    if (W === undefined) throw fail(`has no tensor W${i} (it has W${layers})`);
    if (b === undefined) throw fail(`has no tensor b${i}`);
    if (W.shape.length !== 2 || W.shape[0] === 0 || W.shape[1] === 0) throw fail(`W${i} has shape [${W.shape}], expected 2 non-zero dimensions`);
    if (i === 1) sizes.push(W.shape[0]);
    else if (W.shape[0] !== sizes[i - 1]) throw fail(`shapes do not chain: W${i} is [${W.shape}] but layer ${i - 1} has ${sizes[i - 1]} outputs`);
    sizes.push(W.shape[1]);
    if (b.shape.length !== 1 || b.shape[0] !== W.shape[1]) throw fail(`shapes do not chain: b${i} is [${b.shape}], expected [${W.shape[1]}] to match W${i} [${W.shape}]`);
  }
  for (const [name, t] of tensors) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fail(`tensor ${name} holds a non-finite value (${t.data[bad]}) at index ${bad}`);
  }

  const activation = metadata.activation;
  if (activation === undefined) throw fail('__metadata__ has no activation (relu or sigmoid)');
  if (!(ACTIVATION_NAMES as readonly string[]).includes(activation)) throw fail(`__metadata__ activation is ${JSON.stringify(activation)}, expected relu or sigmoid`);
  const architecture = sizes.join('-');
  if (metadata.architecture !== undefined && metadata.architecture !== architecture) {
    throw fail(`__metadata__ says architecture ${metadata.architecture} but the tensors are ${architecture}`);
  }

  const dtype: DType = dtypes.has('F64') ? 'float64' : 'float32';
  const kernels = typeof choice === 'function' ? choice(dtype) : choice;
  const params: Params = {};
  for (let i = 1; i <= layers; i++) {
    const W = kernels.alloc(sizes[i - 1], sizes[i]); // Wi: (n_{i-1}, n_i)
    W.data.set(tensors.get(`W${i}`)!.data);
    const b = kernels.alloc(1, sizes[i]); // bi: (1, n_i)
    b.data.set(tensors.get(`b${i}`)!.data);
    params[`W${i}`] = W;
    params[`b${i}`] = b;
  }
  const buffers: Params = {};
  if (batchNorm) {
    for (let i = 1; i < layers; i++) {
      for (const kind of BATCHNORM_TENSORS) {
        const t = tensors.get(`${kind}${i}`);
        if (t === undefined) throw fail(`has no tensor ${kind}${i} (batchNorm is "true")`);
        if (t.shape.length !== 1 || t.shape[0] !== sizes[i]) throw fail(`${kind}${i} has shape [${t.shape}], expected [${sizes[i]}]`);
        const m = kernels.alloc(1, sizes[i]); // (1, n_i)
        m.data.set(t.data);
        (kind === 'gamma' || kind === 'beta' ? params : buffers)[`${kind}${i}`] = m;
      }
    }
  }
  const net = new MultiLayerNet(
    kernels,
    { inputSize: sizes[0], hiddenSizes: sizes.slice(1, -1), outputSize: sizes[sizes.length - 1], activation: activation as ActivationName, batchNorm, dropout },
    { params, buffers },
  );
  return {
    net,
    metadata: { ...metadata, format: metadata.format ?? 'unknown', architecture, activation: activation as ActivationName },
    dtype,
  };
}

/** A net of a layer spec: the spec, input and classes from __metadata__, checked against the tensors. */
function decodeLayersModel(tensors: Map<string, Tensor>, metadata: Record<string, string>, choice: KernelsChoice, fail: (why: string) => RuntimeFailure): LoadedModel {
  const spec = metadata.layers;
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(metadata.input ?? '1x28x28');
  if (m === null) throw fail(`__metadata__ input is ${JSON.stringify(metadata.input)}, expected CxHxW such as 1x28x28`);
  const input: Volume = { C: Number(m[1]), H: Number(m[2]), W: Number(m[3]) };
  const classes = Number(metadata.classes ?? '10');
  if (!Number.isInteger(classes) || classes < 2) throw fail(`__metadata__ classes is ${JSON.stringify(metadata.classes)}, expected an integer >= 2`);
  let parts;
  try {
    parts = parseLayerSpec(spec);
    planLayers(parts, input, classes);
  } catch (err) {
    if (err instanceof LayerSpecError) throw fail(`__metadata__ layers "${spec}": ${err.message}`);
    throw err;
  }
  const plan = planLayers(parts, input, classes);
  const expected = tensorShapes(plan);
  for (const name of tensors.keys()) {
    if (!expected.has(name)) throw fail(`holds a tensor ${name} that its layers "${spec}" do not have (they have ${[...expected.keys()].join(', ')})`);
  }
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (t === undefined) throw fail(`has no tensor ${name}, which its layers "${spec}" need`);
    if (t.shape.join(',') !== shape.join(',')) throw fail(`${name} has shape [${t.shape}] but its layers "${spec}" need [${shape}]`);
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fail(`tensor ${name} holds a non-finite value (${t.data[bad]}) at index ${bad}`);
  }
  const dtypes = new Set([...tensors.values()].map((t) => t.dtype));
  if (dtypes.size !== 1) throw fail('mixes F32 and F64 tensors');
  const dtype: DType = dtypes.has('F64') ? 'float64' : 'float32';
  const kernels = typeof choice === 'function' ? choice(dtype) : choice;
  const params: Params = {};
  for (const [name, t] of tensors) {
    // Engine layout: a convolution's W (FN, C*FH*FW), an affine's (D, H), biases (1, n).
    const rows = t.shape.length === 1 ? 1 : t.shape[0];
    const p = kernels.alloc(rows, t.data.length / rows);
    p.data.set(t.data);
    params[name] = p;
  }
  const net = new SequentialNet(kernels, { parts, input, classes }, { params });
  return { net, metadata: { ...metadata, format: metadata.format ?? 'unknown', architecture: net.architecture, activation: 'layers' }, dtype };
}
