/**
 * Makes every 4 kB page of [ptr, ptr + bytes) of the memory present, in address order, by
 * adding 0 to one word of each, atomically: what another thread writes there meanwhile stays
 * as written. A page's first touch is slow on a virtual machine, so a worker touching the
 * pages a list is about to fill takes that wait off the filling thread. Every 16 pages it
 * asks `stopped()` whether the pages are still wanted.
 */
export function touchPages(memory: WebAssembly.Memory, ptr: number, bytes: number, stopped: () => boolean = () => false): void {
  const words = new Int32Array(memory.buffer);
  const end = Math.min(ptr + bytes, words.byteLength);
  for (let p = (ptr + 4095) & ~4095, n = 0; p < end; p += 4096, n++) {
    if ((n & 15) === 0 && stopped()) return;
    Atomics.add(words, p >> 2, 0);
  }
}
