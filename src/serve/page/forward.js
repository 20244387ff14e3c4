// The model's forward pass, in the browser. Why here and not on the server: a drawing is
// scored on every pointer move, and a 784-100-10 pass is well under a millisecond in
// JavaScript, with no round trip; and while `train --serve` trains, the server's thread is
// busy with training steps for up to 50 ms at a time, so an answer from it would lag. The
// weights come once per model (GET /api/model); POST /api/predict runs the same pass on the
// server's reference kernels for scripts and tests.
//
// One function per kind of op, in the order of the model's `layers` list. A new layer kind
// is one more entry in OPS, and decodeLayer reads its weights.

/** The model JSON from GET /api/model, with its weights as typed arrays. */
export function decodeModel(json) {
  const Float = json.dtype === 'float64' ? Float64Array : Float32Array;
  const layers = json.layers.map((layer) => decodeLayer(layer, Float));
  return { ...json, layers };
}

function decodeLayer(layer, Float) {
  if (layer.kind === 'batchnorm') {
    return { ...layer, gamma: floats(layer.gamma, Float), beta: floats(layer.beta, Float), runningMean: floats(layer.runningMean, Float), runningVar: floats(layer.runningVar, Float) };
  }
  if (layer.kind !== 'affine' && layer.kind !== 'conv') return layer;
  return { ...layer, W: floats(layer.W, Float), b: floats(layer.b, Float) };
}

/** base64 of little-endian floats -> a typed array. */
function floats(base64, Float) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float(bytes.buffer, 0, bytes.byteLength / Float.BYTES_PER_ELEMENT);
}

const OPS = {
  /** y (H) = x (D) · W (D, H) + b (H); zero inputs (most of a digit) are skipped. */
  affine(layer, x, Float) {
    const { W, b, inputs, outputs } = layer;
    const y = new Float(outputs);
    y.set(b);
    for (let i = 0; i < inputs; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * outputs;
      for (let j = 0; j < outputs; j++) y[j] += xi * W[row + j];
    }
    return y;
  },
  relu(_layer, x, Float) {
    return Float.from(x, (v) => (v > 0 ? v : 0));
  },
  sigmoid(_layer, x, Float) {
    return Float.from(x, (v) => 1 / (1 + Math.exp(-v)));
  },
  /** The book's Dropout at inference: every unit, scaled by the fraction kept in training. */
  dropout(layer, x, Float) {
    return Float.from(x, (v) => v * (1 - layer.ratio));
  },
  /** Batch normalization at inference: the running statistics training gathered, not the input's. */
  batchnorm(layer, x, Float) {
    const { gamma, beta, runningMean, runningVar, eps } = layer;
    return Float.from(x, (v, j) => (v - runningMean[j]) * (gamma[j] / Math.sqrt(runningVar[j] + eps)) + beta[j]);
  },
  /**
   * The book's Convolution for one image: x (C, H, W) -> y (FN, OH, OW); each output is its
   * window's sum of products with filter f's weights (channel, row, column), plus b[f].
   * Padding is zeros.
   */
  conv(layer, x, Float) {
    const { C, H, W: width, FH, FW, FN, stride, pad } = layer.shape;
    const { OH, OW } = outputSize(layer.shape);
    const y = new Float(FN * OH * OW);
    for (let f = 0; f < FN; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let sum = layer.b[f];
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < FH; i++) {
              const h = oh * stride + i - pad;
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < FW; j++) {
                const w = ow * stride + j - pad;
                if (w < 0 || w >= width) continue;
                sum += x[(c * H + h) * width + w] * layer.W[((f * C + c) * FH + i) * FW + j];
              }
            }
          }
          y[(f * OH + oh) * OW + ow] = sum;
        }
      }
    }
    return y;
  },
  /** Max pooling for one image: x (C, H, W) -> y (C, OH, OW), the largest of each window (padding counts as 0). */
  pool(layer, x, Float) {
    const { C, H, W: width, FH, FW, stride, pad } = layer.shape;
    const { OH, OW } = outputSize(layer.shape);
    const y = new Float(C * OH * OW);
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let max = -Infinity;
          for (let i = 0; i < FH; i++) {
            for (let j = 0; j < FW; j++) {
              const h = oh * stride + i - pad;
              const w = ow * stride + j - pad;
              const v = h < 0 || h >= H || w < 0 || w >= width ? 0 : x[(c * H + h) * width + w];
              if (v > max) max = v;
            }
          }
          y[(c * OH + oh) * OW + ow] = max;
        }
      }
    }
    return y;
  },
  /** Shifted by the largest score, so exp never overflows (as the kernels' softmax). */
  softmax(_layer, x, Float) {
    let max = -Infinity;
    for (const v of x) if (v > max) max = v;
    const y = Float.from(x, (v) => Math.exp(v - max));
    let sum = 0;
    for (const v of y) sum += v;
    for (let j = 0; j < y.length; j++) y[j] /= sum;
    return y;
  },
};

/** A convolution's or pooling's output height and width. */
export function outputSize({ H, W, FH, FW, stride, pad }) {
  return { OH: (H + 2 * pad - FH) / stride + 1, OW: (W + 2 * pad - FW) / stride + 1 };
}

/**
 * Runs `model` on one input (pixels in 0..1). Returns every layer's output, in order, and
 * the last one's (the softmax's) as probabilities, with the predicted class (first max wins).
 */
export function forward(model, input) {
  const Float = model.dtype === 'float64' ? Float64Array : Float32Array;
  let x = Float.from(input);
  const outputs = [];
  for (const layer of model.layers) {
    const op = OPS[layer.kind];
    if (op === undefined) throw new Error(`this page cannot run a ${layer.kind} layer`);
    x = op(layer, x, Float);
    outputs.push({ name: layer.name, kind: layer.kind, values: x });
  }
  let predicted = 0;
  for (let j = 1; j < x.length; j++) if (x[j] > x[predicted]) predicted = j;
  return { outputs, probabilities: x, predicted };
}
