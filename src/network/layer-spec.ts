import { ARCH_LAYERS } from './names.js';

/**
 * A sequential network as a short text, e.g. `conv:30x5,relu,pool:2,affine:100,relu,affine:10`:
 * the layers before SoftmaxWithLoss, comma separated, in forward order.
 *
 *   conv:<filters>x<size>[s<stride>][p<pad>]   size x size filters, stride 1 and pad 0 unless given
 *   pool:<size>[s<stride>]                     max pooling, stride = size unless given
 *   affine:<n>                                 fully connected, n outputs
 *   relu | sigmoid | dropout:<ratio>           (ratio in [0, 1))
 *
 * The output layer: if the last affine has as many outputs as there are classes it is the
 * output layer (layers after it, such as dropout, stay); otherwise `affine:<classes>` is added
 * at the end. Parsing checks the words; `planLayers` checks that the shapes chain from the input.
 */

export type LayerPart =
  | { kind: 'conv'; filters: number; size: number; stride: number; pad: number }
  | { kind: 'pool'; size: number; stride: number }
  | { kind: 'affine'; size: number }
  | { kind: 'relu' }
  | { kind: 'sigmoid' }
  | { kind: 'dropout'; ratio: number };

/** A bad spec: the message names the part (`part 3 "pool:9": ...`) and reads after `--layers: `. */
export class LayerSpecError extends RangeError {}

/** An image's (or an activation's) sizes: C channels of H x W; a flat vector is (n, 1, 1). */
export interface Volume {
  C: number;
  H: number;
  W: number;
}

const GRAMMAR = 'expected conv:<filters>x<size>[s<stride>][p<pad>], pool:<size>[s<stride>], affine:<n>, relu, sigmoid or dropout:<ratio>';
const MAX_SIZE = 65536;

function partError(index: number, text: string, why: string): LayerSpecError {
  return new LayerSpecError(`part ${index + 1} "${text}": ${why}`);
}

/** The parts of a spec, each checked on its own (sizes positive, ratio in [0, 1)). */
export function parseLayerSpec(text: string): LayerPart[] {
  const words = text.split(',').map((w) => w.trim());
  if (text.trim() === '') throw new LayerSpecError(`is empty; ${GRAMMAR}`);
  return words.map((word, i) => parsePart(word, i));
}

function parsePart(word: string, i: number): LayerPart {
  const fail = (why: string) => partError(i, word, why);
  const whole = (s: string | undefined, what: string, min: number): number => {
    const n = Number(s);
    if (s === undefined || !/^\d+$/.test(s) || n < min || n > MAX_SIZE) throw fail(`${what} must be an integer from ${min} to ${MAX_SIZE}, got ${s ?? 'nothing'}`);
    return n;
  };
  const lower = word.toLowerCase();
  if (lower === 'relu' || lower === 'sigmoid') return { kind: lower };
  const [op, arg, ...rest] = lower.split(':');
  if (rest.length > 0 || arg === undefined) {
    if (['conv', 'pool', 'affine', 'dropout'].includes(op)) throw fail(`${op} needs its sizes after a colon; ${GRAMMAR}`);
    throw fail(`unknown layer; ${GRAMMAR}`);
  }
  switch (op) {
    case 'conv': {
      const m = /^(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?$/.exec(arg);
      if (m === null) throw fail('expected conv:<filters>x<size>[s<stride>][p<pad>], e.g. conv:30x5 or conv:16x3p1');
      return { kind: 'conv', filters: whole(m[1], 'filters', 1), size: whole(m[2], 'filter size', 1), stride: whole(m[3] ?? '1', 'stride', 1), pad: whole(m[4] ?? '0', 'pad', 0) };
    }
    case 'pool': {
      const m = /^(\d+)(?:s(\d+))?$/.exec(arg);
      if (m === null) throw fail('expected pool:<size>[s<stride>], e.g. pool:2');
      const size = whole(m[1], 'pool size', 1);
      return { kind: 'pool', size, stride: whole(m[2] ?? m[1], 'stride', 1) };
    }
    case 'affine':
      return { kind: 'affine', size: whole(arg, 'affine size', 1) };
    case 'dropout': {
      const ratio = Number(arg);
      if (arg === '' || !(Number.isFinite(ratio) && ratio >= 0 && ratio < 1)) throw fail(`dropout ratio must be a number in [0, 1), got ${arg}`);
      return { kind: 'dropout', ratio };
    }
    default:
      throw fail(`unknown layer "${op}"; ${GRAMMAR}`);
  }
}

/** The spec as text, in the canonical form parseLayerSpec reads back to the same parts. */
export function formatLayerSpec(parts: readonly LayerPart[]): string {
  return parts
    .map((p) => {
      switch (p.kind) {
        case 'conv':
          return `conv:${p.filters}x${p.size}${p.stride !== 1 ? `s${p.stride}` : ''}${p.pad !== 0 ? `p${p.pad}` : ''}`;
        case 'pool':
          return `pool:${p.size}${p.stride !== p.size ? `s${p.stride}` : ''}`;
        case 'affine':
          return `affine:${p.size}`;
        case 'dropout':
          return `dropout:${p.ratio}`;
        default:
          return p.kind;
      }
    })
    .join(',');
}

/** A part with the sizes it takes and gives. */
export interface PlannedLayer {
  part: LayerPart;
  input: Volume;
  output: Volume;
}

/**
 * The parts (with the output layer added if need be: see above) and each one's input and
 * output sizes, from an input of `input` and `classes` classes. Throws LayerSpecError naming
 * the first part whose sizes do not fit.
 */
export function planLayers(specParts: readonly LayerPart[], input: Volume, classes: number): PlannedLayer[] {
  const parts = withOutputLayer(specParts, classes);
  const planned: PlannedLayer[] = [];
  let v = input;
  parts.forEach((part, i) => {
    const text = formatLayerSpec([part]);
    const fail = (why: string) => partError(i, text, why);
    let out: Volume;
    switch (part.kind) {
      case 'conv':
      case 'pool': {
        const F = part.size, what = part.kind === 'conv' ? `filter ${F}x${F}` : `pool ${F}x${F}`;
        const pad = part.kind === 'conv' ? part.pad : 0;
        if (v.H === 1 && v.W === 1 && v.C > 1 && i > 0 && planned[i - 1].part.kind === 'affine') throw fail(`a ${part.kind} layer cannot follow an affine layer (its output has no height and width)`);
        if (F > v.H + 2 * pad || F > v.W + 2 * pad) throw fail(`${what} is larger than its ${v.H}x${v.W} input${pad > 0 ? ` padded by ${pad}` : ''}`);
        const OH = Math.floor((v.H + 2 * pad - F) / part.stride) + 1;
        const OW = Math.floor((v.W + 2 * pad - F) / part.stride) + 1;
        if ((v.H + 2 * pad - F) % part.stride !== 0 || (v.W + 2 * pad - F) % part.stride !== 0) {
          throw fail(`${what} with stride ${part.stride} does not tile its ${v.H}x${v.W} input${pad > 0 ? ` padded by ${pad}` : ''} evenly`);
        }
        out = { C: part.kind === 'conv' ? part.filters : v.C, H: OH, W: OW };
        break;
      }
      case 'affine':
        out = { C: part.size, H: 1, W: 1 };
        break;
      default:
        out = v;
    }
    planned.push({ part, input: v, output: out });
    v = out;
  });
  return planned;
}

/** The parts, with `affine:<classes>` added unless the last affine already gives `classes`. */
export function withOutputLayer(parts: readonly LayerPart[], classes: number): LayerPart[] {
  const affines = parts.filter((p) => p.kind === 'affine');
  const last = affines[affines.length - 1];
  return last !== undefined && last.size === classes ? [...parts] : [...parts, { kind: 'affine', size: classes }];
}

/** The spec of a named architecture (`--arch`), or undefined for the MLP, which --hidden describes. */
export function archLayers(arch: string): string | undefined {
  return (ARCH_LAYERS as Record<string, string | undefined>)[arch];
}
