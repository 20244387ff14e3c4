import type { ImageSet } from '../data/dataset.js';
import { pixelValue } from '../tensor/pixel.js';
import type { FloatArray, Matrix } from '../tensor/matrix.js';

/**
 * An image set made ready for batching by `loadImages`, once per set. A backend may keep
 * it in a shape of its own: the fast ones keep each image as a list of its nonzero pixels
 * (about a fifth of MNIST's), so the first layer skips the zeros exactly.
 */
export interface ImageSource {
  readonly set: ImageSet;
}

/**
 * A batch of images by reference: which images of which prepared set fill its rows, the
 * pixels / 255 of a (rows, cols) matrix without the matrix. Kernels that can take a network's
 * input (matmul, affineForward, matmulTransA) accept one in place of a Matrix and choose
 * their path inside: the fast ones walk the images' nonzero pixels only. A kernel that needs
 * the dense pixels asks `kernels.denseImages(batch)` for them.
 */
export class ImageBatch<S extends ImageSource = ImageSource> {
  readonly indices: Int32Array; // indices: (rows), the image in the set at each row
  source: S | null = null;
  /** Bumped each time the rows are pointed at images: a dense copy made before is stale. */
  generation = 0;
  /** The dense copy denseOf made, and the generation it was made for. */
  dense: { matrix: Matrix; generation: number } | null = null;

  constructor(
    readonly rows: number,
    readonly cols: number,
  ) {
    this.indices = new Int32Array(rows);
  }

  /** Points the rows (whose indices are set) at images of `source`. */
  point(source: S): void {
    this.source = source;
    this.generation++;
  }
}

/** What the input-taking kernels accept: a matrix, or a batch of images by reference. */
export type MatrixOrImages = Matrix | ImageBatch;

export function isImageBatch(x: MatrixOrImages): x is ImageBatch {
  return x instanceof ImageBatch;
}

/**
 * The batch's pixels / 255 as a (rows, cols) matrix from `alloc`, made again only after the rows
 * change. `fillRow` writes image `image`'s pixels at out[offset ..]; by default from the set's
 * uint8 pixels (a worker thread, which has only the pixel lists, passes its own).
 */
export function denseOf(
  batch: ImageBatch,
  alloc: (rows: number, cols: number) => Matrix,
  fillRow?: (out: FloatArray, offset: number, image: number) => void,
): Matrix {
  if (batch.source === null) throw new Error('denseImages: the batch has no images yet (gatherImages or sliceImages first)');
  if (batch.dense === null) batch.dense = { matrix: alloc(batch.rows, batch.cols), generation: -1 }; // (rows, cols)
  if (batch.dense.generation !== batch.generation) {
    const images = batch.source.set.images;
    const out = batch.dense.matrix.data;
    const D = batch.cols;
    const fill = fillRow ?? ((o: FloatArray, offset: number, image: number) => copyPixels(o, offset, images, image * D, D));
    for (let i = 0; i < batch.rows; i++) fill(out, i * D, batch.indices[i]);
    batch.dense.generation = batch.generation;
  }
  return batch.dense.matrix;
}

/** out[dst ..] = pixelValue(images[src ..]), `count` of them. */
export function copyPixels(out: FloatArray, dst: number, images: Uint8Array, src: number, count: number): void {
  for (let k = 0; k < count; k++) out[dst + k] = pixelValue(images[src + k]);
}

/** Checks the batch and the indices against the set; then the rows are images[indices]. */
export function setGatherIndices(x: ImageBatch, set: ImageSet, indices: Int32Array): void {
  checkImagesShape('gatherImages', x, set, indices.length);
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i];
    if (!(idx >= 0 && idx < set.count)) throw new RangeError(`gatherImages: index ${idx} outside [0, ${set.count})`);
  }
  x.indices.set(indices);
}

/** Checks the batch and the range against the set; then the rows are images[start .. start + rows). */
export function setSliceIndices(x: ImageBatch, set: ImageSet, start: number): void {
  checkImagesShape('sliceImages', x, set, x.rows);
  if (!(Number.isInteger(start) && start >= 0 && start + x.rows <= set.count)) {
    throw new RangeError(`sliceImages: rows [${start}, ${start + x.rows}) outside [0, ${set.count})`);
  }
  for (let i = 0; i < x.rows; i++) x.indices[i] = start + i;
}

function checkImagesShape(what: string, x: ImageBatch, set: ImageSet, rows: number): void {
  const D = set.rows * set.cols;
  if (x.cols !== D || x.rows !== rows) {
    throw new RangeError(`${what}: expected shape (${rows}, ${D}), got (${x.rows}, ${x.cols})`);
  }
}
