/**
 * The safetensors format (https://github.com/huggingface/safetensors), the part nn-train needs:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  a UTF-8 JSON object: for each tensor {"dtype", "shape", "data_offsets": [begin, end]}
 *              (offsets into the data region), plus an optional "__metadata__" of string -> string;
 *              it may end in spaces, which we use to start the data on an 8-byte boundary
 *   [rest]     the data region: each tensor's raw little-endian values, row-major
 *
 * encode and decode are pure (bytes in, bytes out). decode trusts nothing: every fault becomes
 * a SafetensorsError with a one-line message naming what is wrong.
 */

export type SafetensorsDType = 'F32' | 'F64';

export interface Tensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Float64Array; // row-major, length = product of shape
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>; // in the order of the data region
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {}

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8 };
/** The reference implementation refuses headers over 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

/** The file's bytes: tensors in the order given, header padded with spaces to 8-byte alignment. */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError('a tensor may not be called __metadata__');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`tensor ${name}: shape [${t.shape}] needs ${count} values, got ${t.data.length}`);
    const end = offset + count * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  header.__metadata__ = metadata; // last, after the tensors it describes
  let json = JSON.stringify(header);
  const jsonBytes = () => new TextEncoder().encode(json);
  json += ' '.repeat((8 - (jsonBytes().length % 8)) % 8);
  const head = jsonBytes();

  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const t of tensors.values()) {
    // DataView writes little-endian whatever the machine's byte order.
    if (t.dtype === 'F32') for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++, pos += 8) view.setFloat64(pos, t.data[i], true);
  }
  return out;
}

/** Parses and checks a whole file: header length, JSON, each entry, offsets, coverage. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new SafetensorsError(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw new SafetensorsError(`header length ${n} runs past the end of the file (${bytes.length} bytes); the file is truncated or not safetensors`);
  if (n > BigInt(MAX_HEADER)) throw new SafetensorsError(`header length ${n} is over the 100 MB limit`);
  const headerLength = Number(n);
  if (headerLength < 2) throw new SafetensorsError(`header length ${headerLength} is too short for a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError('header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`header is not valid JSON (${oneLine((err as Error).message)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError('header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError('__metadata__ is not an object');
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value !== 'string') throw new SafetensorsError(`__metadata__.${key} is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    entries.push({ name, ...checkEntry(name, raw, dataLength) });
  }

  // The tensors must tile the data region exactly: sorted by offset, no overlap, no gap.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin < covered) throw new SafetensorsError(`tensor ${e.name} overlaps the tensor before it (offset ${e.begin} < ${covered})`);
    if (e.begin > covered) throw new SafetensorsError(`data bytes ${covered}..${e.begin} belong to no tensor`);
    covered = e.end;
  }
  if (covered !== dataLength) throw new SafetensorsError(`the data region has ${dataLength} bytes but the tensors cover ${covered}: the file is truncated or has trailing bytes`);

  const tensors = new Map<string, Tensor>();
  for (const e of sorted) {
    const count = (e.end - e.begin) / BYTES[e.dtype];
    const data = e.dtype === 'F32' ? new Float32Array(count) : new Float64Array(count);
    const at = dataStart + e.begin;
    if (e.dtype === 'F32') for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
    else for (let i = 0; i < count; i++) data[i] = view.getFloat64(at + 8 * i, true);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function checkEntry(name: string, raw: unknown, dataLength: number): { dtype: SafetensorsDType; shape: number[]; begin: number; end: number } {
  const label = `tensor ${JSON.stringify(name)}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(`${label} is not an object`);
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') throw new SafetensorsError(`${label} has an unknown field ${JSON.stringify(key)}`);
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw new SafetensorsError(`${label} has no dtype`);
  if (dtype !== 'F32' && dtype !== 'F64') throw new SafetensorsError(`${label} has dtype ${JSON.stringify(dtype)}; nn-train reads F32 and F64`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) throw new SafetensorsError(`${label} has no valid shape (a list of non-negative integers)`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) throw new SafetensorsError(`${label} has no valid data_offsets ([begin, end])`);
  const [begin, end] = offsets as number[];
  if (begin > end) throw new SafetensorsError(`${label} has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataLength) throw new SafetensorsError(`${label} has data_offsets [${begin}, ${end}] past the end of the data (${dataLength} bytes): the file is truncated or the header is wrong`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== count * BYTES[dtype]) {
    throw new SafetensorsError(`${label} has shape [${shape}] (${count * BYTES[dtype]} bytes of ${dtype}) but data_offsets span ${end - begin} bytes`);
  }
  return { dtype, shape: shape as number[], begin, end };
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
