import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeFailure } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import type { AnyNet } from '../network/build-network.js';
import { LayerSpecError, parseLayerSpec, planLayers, type Volume } from '../network/layer-spec.js';
import { ACTIVATION_NAMES, MultiLayerNet, type ActivationName } from '../network/multi-layer-net.js';
import { SequentialNet, tensorShapes } from '../network/sequential-net.js';
import type { Params } from '../network/network.js';
import type { DType } from '../tensor/matrix.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type Tensor } from './safetensors.js';

/**
 * A trained network as a .safetensors file: tensors W1 (784, h1), b1 (h1), W2 (h1, h2), ...,
 * Wn (h, 10), bn (10) in the training dtype (F32 or F64), and __metadata__ saying what it is.
 * PyTorch (`safetensors.torch.load_file`) and NumPy (`safetensors.numpy.load_file`) read it
 * as it is; W is (inputs, outputs), the book's layout, i.e. the transpose of torch.nn.Linear.
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
  const dtype = net.kernels.dtype === 'float64' ? 'F64' : 'F32';
  const tensors = new Map<string, Tensor>();
  if (net instanceof SequentialNet) {
    for (const [name, shape] of net.tensorShapes()) tensors.set(name, { dtype, shape, data: net.params[name].data });
    const { C, H, W } = net.spec.input;
    const metadata: ModelMetadata = { ...extra, format: 'nn-train', architecture: net.architecture, activation: 'layers', layers: net.architecture, input: `${C}x${H}x${W}`, classes: String(net.spec.classes) };
    return encodeSafetensors(tensors, metadata);
  }
  for (const [name, m] of Object.entries(net.params)) {
    // Biases are (1, H) matrices in the engine and 1-D (H) vectors in the file, as in the book's NumPy.
    const shape = name.startsWith('b') ? [m.cols] : [m.rows, m.cols];
    tensors.set(name, { dtype, shape, data: m.data });
  }
  const metadata: ModelMetadata = { ...extra, format: 'nn-train', architecture: net.architecture, activation: net.spec.activation };
  return encodeSafetensors(tensors, metadata);
}

/**
 * Writes the model atomically: to a temporary file in the same folder, then renamed over
 * FILE, so an interrupted save never leaves half a model under the name.
 */
export async function saveModel(file: string, net: AnyNet, extra: Record<string, string>): Promise<void> {
  const bytes = encodeModel(net, extra);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
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
  const { tensors, metadata } = decoded;
  if (metadata.layers !== undefined) return decodeLayersModel(tensors, metadata, choice, fail);

  // Names: exactly W1, b1, ..., Wn, bn.
  const layers = [...tensors.keys()].filter((k) => /^W[1-9]\d*$/.test(k)).length;
  if (layers === 0) throw fail('holds no weight tensor W1');
  for (const name of tensors.keys()) {
    const m = /^([Wb])([1-9]\d*)$/.exec(name);
    if (m === null || Number(m[2]) > layers) throw fail(`holds an unexpected tensor ${JSON.stringify(name)} (expected W1, b1, ..., W${layers}, b${layers})`);
  }
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
  const net = new MultiLayerNet(
    kernels,
    { inputSize: sizes[0], hiddenSizes: sizes.slice(1, -1), outputSize: sizes[sizes.length - 1], activation: activation as ActivationName },
    { params },
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
