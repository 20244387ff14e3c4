import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeIdxFile,
  decodeIdxFileAsync,
  encodeIdxImages,
  encodeIdxLabels,
  makeImageSet,
  parseIdxImages,
  parseIdxLabels,
  parseIdxPair,
} from '../../src/data/idx.js';
import { runtimeFailure } from '../support/failures.js';

// Small, crafted IDX files: 5 images of 28x28 with a recognisable pattern, and their labels.
const N = 5;
const pixels = Uint8Array.from({ length: N * 784 }, (_, i) => (i * 7) % 256);
const labels = Uint8Array.from([0, 9, 3, 3, 7]);
const goodImages = encodeIdxImages(pixels, N);
const goodLabels = encodeIdxLabels(labels);


describe('IDX parsing', () => {
  it('reads images and labels back exactly, raw or gzip', () => {
    for (const [im, lb, imName, lbName] of [
      [goodImages, goodLabels, 'imgs-idx3-ubyte', 'labs-idx1-ubyte'],
      [gzipSync(goodImages), gzipSync(goodLabels), 'imgs-idx3-ubyte.gz', 'labs-idx1-ubyte.gz'],
    ] as const) {
      const set = parseIdxPair(im, imName, lb, lbName);
      expect(set.count).toBe(N);
      expect([set.rows, set.cols]).toEqual([28, 28]);
      expect(Array.from(set.images)).toEqual(Array.from(pixels));
      expect(Array.from(set.labels)).toEqual([0, 9, 3, 3, 7]);
    }
  });

  it('gunzips by content, whatever the name, and asynchronously too', async () => {
    expect(Array.from(decodeIdxFile(gzipSync(goodLabels), 'labels.idx'))).toEqual(Array.from(goodLabels));
    expect(Array.from(await decodeIdxFileAsync(gzipSync(goodLabels), 'x.gz'))).toEqual(Array.from(goodLabels));
  });

  it('wrong magic: names the file, both numbers, and what it looks like', () => {
    const e = runtimeFailure(() => parseIdxImages(goodLabels, 'train-images-idx3-ubyte'));
    expect(e.message).toBe(
      'train-images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803 for IDX images (this is a label file)',
    );
    const junk = Uint8Array.from([0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e, 0, 0]); // "<html>"
    expect(runtimeFailure(() => parseIdxLabels(junk, 'l.idx')).message).toBe(
      'l.idx: bad magic number 0x3c68746d, expected 0x00000801 for IDX labels',
    );
  });

  it('truncated body: header/size mismatch for images and labels', () => {
    expect(runtimeFailure(() => parseIdxImages(goodImages.subarray(0, goodImages.length - 784), 'im')).message).toBe(
      'im: header says 5 images but the file holds 4 images',
    );
    expect(runtimeFailure(() => parseIdxImages(goodImages.subarray(0, goodImages.length - 10), 'im')).message).toBe(
      'im: header says 5 images but the file holds 3910 bytes of pixels (4.99 images)',
    );
    expect(runtimeFailure(() => parseIdxLabels(goodLabels.subarray(0, goodLabels.length - 1), 'train-labels-idx1-ubyte.gz')).message).toBe(
      'train-labels-idx1-ubyte.gz: header says 5 labels but the file holds 4',
    );
  });

  it('extra bytes after the data are a mismatch too', () => {
    const longer = new Uint8Array(goodLabels.length + 2);
    longer.set(goodLabels);
    expect(runtimeFailure(() => parseIdxLabels(longer, 'lab')).message).toBe('lab: header says 5 labels but the file holds 7');
  });

  it('a header cut inside its dimensions', () => {
    expect(runtimeFailure(() => parseIdxImages(goodImages.subarray(0, 10), 'im')).message).toBe(
      'im: truncated header: 10 bytes, need 16 for 3 dimensions',
    );
    expect(runtimeFailure(() => parseIdxImages(goodImages.subarray(0, 3), 'im')).message).toBe(
      'im: 3 bytes is too short for an IDX header',
    );
  });

  it('images that are not 28x28', () => {
    const small = encodeIdxImages(new Uint8Array(2 * 16 * 16), 2, 16, 16);
    expect(runtimeFailure(() => parseIdxImages(small, 'im')).message).toBe('im: images are 16x16, expected 28x28');
  });

  it('more images than labels', () => {
    const images = parseIdxImages(goodImages, 'train-images-idx3-ubyte.gz');
    const four = parseIdxLabels(encodeIdxLabels(labels.subarray(0, 4)), 'train-labels-idx1-ubyte.gz');
    expect(runtimeFailure(() => makeImageSet(images, four, 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz')).message).toBe(
      'train-images-idx3-ubyte.gz holds 5 images but train-labels-idx1-ubyte.gz holds 4 labels',
    );
  });

  it('a label of 10', () => {
    const bad = encodeIdxLabels(Uint8Array.from([1, 2, 10, 3]));
    expect(runtimeFailure(() => parseIdxLabels(bad, 't10k-labels-idx1-ubyte')).message).toBe(
      't10k-labels-idx1-ubyte: label 10 at index 2 is out of range 0..9',
    );
    // With fewer classes the range shrinks with them.
    expect(runtimeFailure(() => parseIdxLabels(encodeIdxLabels(Uint8Array.from([0, 2])), 'l', 2)).message).toBe(
      'l: label 2 at index 1 is out of range 0..1',
    );
  });

  it('an empty file, raw or named .gz', () => {
    expect(runtimeFailure(() => parseIdxLabels(new Uint8Array(0), 'lab')).message).toBe('lab: the file is empty');
    expect(runtimeFailure(() => decodeIdxFile(new Uint8Array(0), 'lab.gz')).message).toBe('lab.gz: the file is empty');
  });

  it('a .gz that is not gzip', () => {
    expect(runtimeFailure(() => decodeIdxFile(goodLabels, 'train-labels-idx1-ubyte.gz')).message).toBe(
      'train-labels-idx1-ubyte.gz: not gzip data (the name ends in .gz but the file does not start with 1f 8b)',
    );
  });

  it('a gzip stream cut short or corrupted', async () => {
    const gz = gzipSync(goodImages);
    expect(runtimeFailure(() => decodeIdxFile(gz.subarray(0, gz.length - 20), 'im.gz')).message).toMatch(
      /^im\.gz: corrupt gzip data \(unexpected end of file\)$/,
    );
    const flipped = Buffer.from(gz);
    flipped[flipped.length - 6] ^= 0xff; // inside the CRC32 trailer
    expect(runtimeFailure(() => decodeIdxFile(flipped, 'im.gz')).message).toMatch(/^im\.gz: corrupt gzip data \(.+\)$/);
    await expect(decodeIdxFileAsync(flipped, 'im.gz')).rejects.toThrow(/^im\.gz: corrupt gzip data/);
  });

  it('a large file (gunzipped while this thread touches its pages): exact bytes, and the same errors', async () => {
    // 12,000 images, 9.4 MB: over the size where ./gunzip.ts touches the output's pages.
    const count = 12_000;
    const big = Uint8Array.from({ length: count * 784 }, (_, i) => ((i * 2654435761) >>> 24) & (i % 5 === 0 ? 255 : 0));
    const raw = encodeIdxImages(big, count);
    const gz = gzipSync(raw, { level: 1 });
    const out = await decodeIdxFileAsync(gz, 'big.gz');
    expect(out.length).toBe(raw.length);
    expect(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.length), Buffer.from(raw))).toBe(0);
    await expect(decodeIdxFileAsync(gz.subarray(0, gz.length - 20), 'big.gz')).rejects.toThrow(
      /^big\.gz: corrupt gzip data \(unexpected end of file\)$/,
    );
    const flipped = Buffer.from(gz);
    flipped[flipped.length - 6] ^= 0xff; // inside the CRC32 trailer
    await expect(decodeIdxFileAsync(flipped, 'big.gz')).rejects.toThrow(/^big\.gz: corrupt gzip data \(.+\)$/);
    const middle = Buffer.from(gz);
    middle[middle.length >> 1] ^= 0xff;
    await expect(decodeIdxFileAsync(middle, 'big.gz')).rejects.toThrow(/^big\.gz: corrupt gzip data \(.+\)$/);
  });
});
