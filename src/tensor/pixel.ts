/** A uint8 pixel as the network sees it: in [0, 1], the book's normalize=True. */
export function pixelValue(p: number): number {
  return p / 255;
}
