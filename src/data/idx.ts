import { gunzipSync } from 'node:zlib';
import { RuntimeFailure } from '../errors.js';
import type { ImageSet } from './dataset.js';
import { gunzipBytes } from './gunzip.js';

/**
 * The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"):
 * a big-endian header of a magic number (two zero bytes, a type code, the number of
 * dimensions) and one uint32 size per dimension, then the data. Pure functions over bytes:
 * reading files and the network happen elsewhere. Every error names the file and what is wrong,
 * because a trainer on bad data fails late and confusingly.
 */

/** 0x08 = unsigned byte, 3 dimensions (N, rows, cols). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** 0x08 = unsigned byte, 1 dimension (N). */
export const IDX_LABELS_MAGIC = 0x00000801;

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
// zlib's default 16 kB output chunks cost a few thousand copies for the 47 MB training images.
const GUNZIP_CHUNK = 1 << 20;

export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array; // images: (count, rows * cols)
}

export interface ImageShape {
  readonly rows: number;
  readonly cols: number;
}

/** MNIST and Fashion-MNIST are both 28x28; the network's input layer is 784 wide. */
export const MNIST_SHAPE: ImageShape = { rows: 28, cols: 28 };

function fail(file: string, what: string): never {
  throw new RuntimeFailure(`${file}: ${what}`);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/**
 * The IDX bytes of a file as stored: gunzipped when they start with the gzip magic (whatever
 * the name), as is otherwise. A name ending in .gz that is not gzip data is an error rather
 * than a guess: it usually means an HTML error page saved under the file's name.
 */
export function decodeIdxFile(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length === 0) fail(file, 'the file is empty');
  if (isGzip(bytes)) {
    try {
      return gunzipSync(bytes, { chunkSize: outputChunk(bytes) });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      fail(file, `corrupt gzip data (${why})`);
    }
  }
  if (file.endsWith('.gz')) fail(file, 'not gzip data (the name ends in .gz but the file does not start with 1f 8b)');
  return bytes;
}

/**
 * zlib's output chunk: the size the gzip trailer records (ISIZE, the uncompressed length mod
 * 2^32) when it is plausible, so the 47 MB of training images come out in one buffer instead
 * of being copied together from 1 MB pieces.
 */
function outputChunk(bytes: Uint8Array): number {
  if (bytes.length < 18) return GUNZIP_CHUNK;
  const n = bytes[bytes.length - 4] | (bytes[bytes.length - 3] << 8) | (bytes[bytes.length - 2] << 16) | (bytes[bytes.length - 1] << 24);
  const size = n >>> 0;
  return size >= 64 && size <= 256 << 20 ? size : GUNZIP_CHUNK;
}

/**
 * decodeIdxFile off the main thread: zlib runs in libuv's thread pool, so the four files of a
 * data set decompress side by side (the 47 MB training images dominate either way; see
 * ./gunzip.ts for how this thread helps with them meanwhile).
 */
export async function decodeIdxFileAsync(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (bytes.length === 0 || !isGzip(bytes)) return decodeIdxFile(bytes, file);
  try {
    return await gunzipBytes(bytes, outputChunk(bytes));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    fail(file, `corrupt gzip data (${why})`);
  }
}

function readHeader(bytes: Uint8Array, file: string, magic: number, kind: string): { dims: number[]; offset: number } {
  if (bytes.length === 0) fail(file, 'the file is empty');
  if (bytes.length < 4) fail(file, `${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = view.getUint32(0);
  if (got !== magic) {
    const hint =
      got === IDX_LABELS_MAGIC ? ' (this is a label file)' : got === IDX_IMAGES_MAGIC ? ' (this is an image file)' : '';
    fail(file, `bad magic number ${hex(got)}, expected ${hex(magic)} for IDX ${kind}${hint}`);
  }
  const ndims = magic & 0xff;
  const offset = 4 + 4 * ndims;
  if (bytes.length < offset) fail(file, `truncated header: ${bytes.length} bytes, need ${offset} for ${ndims} dimensions`);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d));
  return { dims, offset };
}

/** Parses decoded IDX image bytes (magic 0x803, dims N x rows x cols). The pixels are a view, not a copy. */
export function parseIdxImages(bytes: Uint8Array, file: string, shape: ImageShape = MNIST_SHAPE): IdxImages {
  const { dims, offset } = readHeader(bytes, file, IDX_IMAGES_MAGIC, 'images');
  const [count, rows, cols] = dims;
  if (rows !== shape.rows || cols !== shape.cols) {
    fail(file, `images are ${rows}x${cols}, expected ${shape.rows}x${shape.cols}`);
  }
  const size = rows * cols;
  const body = bytes.length - offset;
  const expected = count * size;
  if (body !== expected) {
    const holds = body % size === 0 ? `${body / size} images` : `${body} bytes of pixels (${(body / size).toFixed(2)} images)`;
    fail(file, `header says ${count} images but the file holds ${holds}`);
  }
  // images: (count, rows * cols)
  const images = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, expected);
  return { count, rows, cols, images };
}

/** Parses decoded IDX label bytes (magic 0x801, dims N); every label must be < classes. */
export function parseIdxLabels(bytes: Uint8Array, file: string, classes = 10): Uint8Array {
  const { dims, offset } = readHeader(bytes, file, IDX_LABELS_MAGIC, 'labels');
  const [count] = dims;
  const body = bytes.length - offset;
  if (body !== count) fail(file, `header says ${count} labels but the file holds ${body}`);
  // labels: (count)
  const labels = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count);
  for (let i = 0; i < count; i++) {
    if (labels[i] >= classes) fail(file, `label ${labels[i]} at index ${i} is out of range 0..${classes - 1}`);
  }
  return labels;
}

/** Pairs images with labels, checking that the two files describe the same number of examples. */
export function makeImageSet(images: IdxImages, labels: Uint8Array, imagesFile: string, labelsFile: string): ImageSet {
  if (images.count !== labels.length) {
    throw new RuntimeFailure(
      `${imagesFile} holds ${images.count} images but ${labelsFile} holds ${labels.length} labels`,
    );
  }
  return { count: images.count, rows: images.rows, cols: images.cols, images: images.images, labels };
}

/** Decodes and validates one image file and one label file (gzip'd or raw) into an ImageSet. */
export function parseIdxPair(
  imageBytes: Uint8Array,
  imagesFile: string,
  labelBytes: Uint8Array,
  labelsFile: string,
  classes = 10,
): ImageSet {
  const images = parseIdxImages(decodeIdxFile(imageBytes, imagesFile), imagesFile);
  const labels = parseIdxLabels(decodeIdxFile(labelBytes, labelsFile), labelsFile, classes);
  return makeImageSet(images, labels, imagesFile, labelsFile);
}

/** IDX image bytes for `count` images (the inverse of parseIdxImages; used to write test files). */
export function encodeIdxImages(images: Uint8Array, count: number, rows = 28, cols = 28): Uint8Array {
  const out = new Uint8Array(16 + images.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IDX_IMAGES_MAGIC);
  view.setUint32(4, count);
  view.setUint32(8, rows);
  view.setUint32(12, cols);
  out.set(images, 16);
  return out;
}

/** IDX label bytes (the inverse of parseIdxLabels). */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IDX_LABELS_MAGIC);
  view.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}
