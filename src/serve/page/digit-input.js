// Turns a drawing into an input like MNIST's digits, the way those were made: the digit's
// bounding box scaled (keeping its aspect ratio) to fit a 20x20 box, with grey levels from
// the area each output pixel covers (anti-aliasing), then placed in a 28x28 field so that
// its centre of mass sits at the field's centre. Plain functions on arrays: no DOM, so the
// same code runs in the page and in Node's tests.

const FIELD = 28; // the input is FIELD x FIELD
const BOX = 20; // the digit's longer side after scaling
const INK = 0.02; // a pixel lighter than this counts as background when finding the digit

/**
 * gray: (height * width) ink levels in 0..1, row-major. Returns (28 * 28) in 0..1, all zero
 * for an empty drawing.
 */
export function toMnistInput(gray, width, height) {
  const out = new Float32Array(FIELD * FIELD);
  const box = boundingBox(gray, width, height);
  if (box === null) return out;
  // The longer side becomes 20 pixels; the shorter keeps its fraction of a pixel, which
  // its last pixel shows as a partly covered (grey) one.
  const scale = BOX / Math.max(box.width, box.height);
  const w = Math.ceil(box.width * scale - 1e-9);
  const h = Math.ceil(box.height * scale - 1e-9);
  const small = resampleArea(gray, width, box, scale, w, h); // small: (h * w)
  // Centre of mass, with pixel i's centre at i + 0.5.
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  // A whole-pixel shift, as MNIST's centring: a fractional one would blur the digit again.
  const ox = Math.round(FIELD / 2 - mx / mass);
  const oy = Math.round(FIELD / 2 - my / mass);
  for (let y = 0; y < h; y++) {
    const fy = y + oy;
    if (fy < 0 || fy >= FIELD) continue;
    for (let x = 0; x < w; x++) {
      const fx = x + ox;
      if (fx >= 0 && fx < FIELD) out[fy * FIELD + fx] = Math.min(1, small[y * w + x]);
    }
  }
  return out;
}

/** The smallest rectangle holding every inked pixel, or null when nothing is drawn. */
export function boundingBox(gray, width, height) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x] > INK) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * The box's pixels scaled by `scale` into w x h: each output pixel is the mean of the source
 * area it covers (1/scale source pixels a side), partial pixels counted by the fraction
 * covered, so the ink is kept. Done one axis at a time with the same weights, which is
 * exactly the 2-D area average.
 */
export function resampleArea(gray, width, box, scale, w, h) {
  const wx = areaWeights(box.width, w, 1 / scale);
  const wy = areaWeights(box.height, h, 1 / scale);
  const rows = new Float32Array(box.height * w); // rows: (box.height, w)
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * width + box.x;
    for (const [o, i, f] of wx) rows[y * w + o] += gray[src + i] * f;
  }
  const out = new Float32Array(h * w); // out: (h, w)
  for (const [o, i, f] of wy) {
    for (let x = 0; x < w; x++) out[o * w + x] += rows[i * w + x] * f;
  }
  return out;
}

/**
 * [output index, source index, weight] triples for n source pixels into m output pixels of
 * `span` source pixels each: source pixel i spans [i, i+1), output pixel o spans
 * [o * span, (o + 1) * span); the weight is their overlap over the output's span.
 */
function areaWeights(n, m, span) {
  const weights = [];
  for (let o = 0; o < m; o++) {
    const start = o * span, end = start + span;
    for (let i = Math.floor(start); i < Math.min(n, Math.ceil(end)); i++) {
      const overlap = Math.min(end, i + 1) - Math.max(start, i);
      if (overlap > 0) weights.push([o, i, overlap / span]);
    }
  }
  return weights;
}
