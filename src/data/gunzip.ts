import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';

/**
 * gunzip off the main thread (zlib runs in libuv's thread pool), into one output buffer the
 * size the gzip trailer records.
 *
 * Why not only zlib's gunzip: for the 47 MB of training images most of its time is not
 * inflating but the first touch of each fresh 4 kB page it writes (slow on a virtual
 * machine). So while zlib fills the buffer from the front, this thread makes the pages of
 * its second half present, from the back, and the first touches happen on two threads at
 * once.
 */

const gunzipAsync = promisify(gunzip);

/** Below this output size plain gunzip is as fast: too few pages to be worth touching. */
const TOUCH_FROM_BYTES = 8 << 20;
/** The share of the buffer, from the back, this thread touches; zlib touches the rest as it writes. */
const TOUCH_SHARE = 0.5;
/** Pages touched per turn of the event loop, so that the other files' reads and gunzips go on. */
const TOUCH_SLICE = 1 << 20;
/** Input given to zlib first: its output shows the buffer that the rest will go to. */
const FIRST_INPUT = 4096;
const PAGE = 4096;

/**
 * The gunzipped bytes. `chunkSize` is zlib's output buffer size: the expected output size,
 * when known, so that the output comes out in one buffer. Rejects with zlib's error for data
 * that is not valid gzip. (A corrupt file's trailer may promise a wrong size: a buffer too
 * large costs address space, and the pages touched before zlib's error, no more.)
 */
export async function gunzipBytes(bytes: Uint8Array, chunkSize: number): Promise<Uint8Array> {
  if (chunkSize < TOUCH_FROM_BYTES) return gunzipAsync(bytes, { chunkSize });
  return new Promise((resolve, reject) => {
    const z = createGunzip({ chunkSize });
    const chunks: Buffer[] = [];
    let stopTouching = () => {};
    z.on('data', (chunk: Buffer) => {
      if (chunks.push(chunk) === 1) stopTouching = touchBackHalf(chunk.buffer);
    });
    z.on('error', (err) => {
      stopTouching();
      reject(err);
    });
    z.on('end', () => {
      stopTouching(); // (zlib has written every page by now)
      resolve(joined(chunks));
    });
    z.write(bytes.subarray(0, FIRST_INPUT));
    z.write(bytes.subarray(FIRST_INPUT));
    z.end();
  });
}

/**
 * Makes the pages of the buffer's last TOUCH_SHARE present, last page first, TOUCH_SLICE at
 * a time, by adding 0 to a word of each, atomically: zlib may be writing to the same page from
 * its thread, and whatever it writes stays written. Returns a function that stops it.
 */
function touchBackHalf(buffer: ArrayBufferLike): () => void {
  const words = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  const stop = Math.floor((words.length << 2) * (1 - TOUCH_SHARE));
  let p = (((words.length << 2) - 4) & ~(PAGE - 1)) + PAGE; // one past the last page's start
  const slice = () => {
    for (const until = Math.max(stop, p - TOUCH_SLICE); p - PAGE >= until; ) {
      p -= PAGE;
      Atomics.add(words, p >> 2, 0);
    }
    if (p - PAGE >= stop) next = setImmediate(slice);
  };
  let next = setImmediate(slice);
  return () => clearImmediate(next);
}

/** The chunks as one array: a view when they lie end to end in one buffer (the usual case), else a copy. */
function joined(chunks: Buffer[]): Uint8Array {
  if (chunks.length === 0) return new Uint8Array(0);
  const first = chunks[0];
  let end = first.byteOffset;
  for (const c of chunks) {
    if (c.buffer !== first.buffer || c.byteOffset !== end) return Buffer.concat(chunks);
    end += c.length;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}
