import type { ImageSet } from '../../src/data/dataset.js';
import { Rng } from '../../src/tensor/rng.js';

/** 4x4 "images": class c lights up row c brightly, plus noise. Learnable in a few hundred steps. */
export function toySet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 16);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(4);
    labels[i] = c;
    for (let k = 0; k < 16; k++) images[i * 16 + k] = Math.floor(k >> 2 === c ? 200 + rng.int(56) : rng.int(90));
  }
  return { count, rows: 4, cols: 4, images, labels };
}
