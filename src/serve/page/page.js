// The page: a drawing pad scored by the model as you draw, each layer's output, the run's
// curves as its epochs arrive, and the test set's confusion matrix with its digits. Talks to
// the nn-train server that served it, and to nothing else.
import { confusionTable, drawGray, lineChart } from './charts.js';
import { toMnistInput } from './digit-input.js';
import { decodeModel, forward, outputSize } from './forward.js';

const $ = (id) => document.getElementById(id);
const STROKE_WIDTH = 24; // on the 280-pixel pad: 2 to 3 pixels of 28 once a digit is scaled to 20, as MNIST's strokes
const IMAGES_PER_REQUEST = 200; // the server's limit for /api/test-images

const state = {
  model: null, // decoded model from /api/model
  side: 28, // the input is side x side
  strokes: [], // each a list of {x, y} in pad pixels
  drawing: false,
  base: null, // a loaded test digit: {index, label, pixels: Float32Array (in 0..1)}
  test: null, // {counts, classes, labels, predicted, total, correct} from /api/confusion
  epochs: [], // epoch records
  config: null,
  summary: null,
  confusionRecord: null,
  selectedCell: null,
};

// ---------------------------------------------------------------- server

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.json().catch(() => ({}))).error ?? ''}`);
  return res.json();
}

async function loadModel() {
  const json = await getJson('/api/model');
  state.model = decodeModel(json);
  state.side = json.inputShape[0];
  showModelInfo(json);
  buildLayerViews(state.model);
  $('draw-section').hidden = false;
  $('layers-section').hidden = false;
  update();
}

async function loadConfusion() {
  const c = await getJson('/api/confusion');
  const bytes = (b64) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  state.test = { ...c, labels: bytes(c.labels), predicted: bytes(c.predicted) };
  $('test-index').max = String(c.total - 1);
  showConfusion();
}

async function testImages(indices) {
  return getJson(`/api/test-images?indices=${indices.join(',')}`);
}

function listen() {
  const events = new EventSource('/api/events');
  let last = 0; // ids seen, so a replay after a reconnect adds nothing twice
  const fresh = (e) => {
    const id = Number(e.lastEventId);
    if (id <= last) return false;
    last = id;
    return true;
  };
  events.addEventListener('record', (e) => fresh(e) && onRecord(JSON.parse(e.data)));
  events.addEventListener('model', (e) => {
    if (!fresh(e)) return;
    const { version } = JSON.parse(e.data);
    if (state.model === null || version > state.model.version) loadModel().catch(showError);
  });
  events.addEventListener('end', (e) => {
    if (!fresh(e)) return;
    $('run-status').textContent = 'Training finished: the page shows the trained model.';
    $('run-status').dataset.finished = 'true';
    loadConfusion().catch(showError);
  });
}

function onRecord(r) {
  if (r.type === 'config') state.config = r;
  else if (r.type === 'epoch') state.epochs.push(r);
  else if (r.type === 'summary') state.summary = r;
  else if (r.type === 'confusion') {
    state.confusionRecord = r;
    if (state.test === null) showConfusion();
  }
  showRun();
}

// ---------------------------------------------------------------- header and run

function showModelInfo(m) {
  const meta = m.metadata ?? {};
  const parts = [`<b>${esc(m.architecture)}</b> MLP, ${esc(m.activation)}, ${esc(m.dtype)}`];
  if (m.source === 'file') {
    parts.push(`from ${esc(m.file)}`);
    if (meta.accuracy) parts.push(`saved with test accuracy ${esc(Number(meta.accuracy).toFixed(4))}${meta.dataset ? ` on ${esc(meta.dataset)}` : ''}`);
  } else if (m.trained) parts.push('trained just now');
  else parts.push(m.epoch ? `weights after epoch ${m.epoch} (step ${m.iteration})` : 'initial weights, before any step');
  const info = $('model-info');
  info.innerHTML = parts.join(' · ');
  info.dataset.version = String(m.version);
}

function showRun() {
  if (state.config === null && state.epochs.length === 0) return;
  $('run-section').hidden = false;
  const x = state.epochs.map((e) => e.epoch);
  // Accuracy up to 1, from a round number under the lowest point.
  const lowest = Math.min(1, ...state.epochs.flatMap((e) => [e.trainAcc, e.testAcc]).filter(Number.isFinite));
  lineChart(
    $('acc-chart'),
    [
      { label: 'train', color: '#2364aa', points: state.epochs.map((e, i) => [x[i], e.trainAcc]) },
      { label: 'test', color: '#e07b00', points: state.epochs.map((e, i) => [x[i], e.testAcc]) },
    ],
    { yMin: Math.max(0, Math.floor(lowest * 20 - 1) / 20), yMax: 1 },
  );
  lineChart($('loss-chart'), [{ label: 'loss', color: '#7a3db8', points: state.epochs.map((e, i) => [x[i], e.loss]) }], { yMin: 0 });
  $('acc-chart').dataset.points = String(state.epochs.length);
  $('loss-chart').dataset.points = String(state.epochs.length);
  const c = state.config?.config;
  const last = state.epochs[state.epochs.length - 1];
  const status = $('run-status');
  status.hidden = false;
  if (state.summary) {
    const s = state.summary;
    $('run-summary').textContent = `${s.interrupted ? 'Stopped' : 'Done'} after ${s.iterations} steps, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} in ${s.seconds.toFixed(1)} s: final test accuracy ${fmt(s.finalTestAcc)}, best ${fmt(s.bestTestAcc)} (epoch ${s.bestEpoch}), loss ${fmt(s.finalLoss)}.`;
    if (status.dataset.finished !== 'true') status.textContent = `Run: ${c ? `${c.optimizer}, lr ${c.lr}, batch ${c.batchSize}, seed ${c.seed}` : ''}`;
  } else if (c) {
    status.textContent = `Training: epoch ${last ? last.epoch : 0} of ${c.epochs}${last ? ` (step ${last.iteration} of ${c.iterations}), test accuracy ${fmt(last.testAcc)}` : ''}`;
  }
}

// ---------------------------------------------------------------- drawing

const pad = $('pad');
const padCtx = pad.getContext('2d', { willReadFrequently: true });

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return { x: ((e.clientX - r.left) * pad.width) / r.width, y: ((e.clientY - r.top) * pad.height) / r.height };
}

pad.addEventListener('pointerdown', (e) => {
  if (e.pointerType === 'mouse' && e.button !== 0) return;
  pad.setPointerCapture(e.pointerId);
  state.drawing = true;
  state.strokes.push([padPoint(e)]);
  schedule();
});
pad.addEventListener('pointermove', (e) => {
  if (!state.drawing) return;
  const stroke = state.strokes[state.strokes.length - 1];
  for (const p of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) stroke.push(padPoint(p));
  schedule();
});
for (const type of ['pointerup', 'pointercancel']) pad.addEventListener(type, () => (state.drawing = false));

$('undo').addEventListener('click', () => {
  if (state.strokes.length > 0) state.strokes.pop();
  else state.base = null;
  update();
});
$('clear').addEventListener('click', () => {
  state.strokes = [];
  state.base = null;
  update();
});
$('load-test').addEventListener('click', () => loadTestDigit(Number($('test-index').value)).catch(showError));

async function loadTestDigit(index) {
  const { images, rows, cols } = await testImages([index]);
  const img = images[0];
  const bytes = Uint8Array.from(atob(img.pixels), (ch) => ch.charCodeAt(0));
  // Exactly the pixels nn-train predict feeds the network: bytes / 255, no rescaling.
  state.base = { index: img.index, label: img.label, rows, cols, pixels: Float32Array.from(bytes, (v) => v / 255) };
  state.strokes = [];
  $('test-index').value = String(index);
  update();
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    update();
  });
}

/** Paints the pad: a loaded test digit (scaled up) under the strokes. */
function paintPad() {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
  if (state.base) {
    const small = document.createElement('canvas');
    small.width = state.base.cols;
    small.height = state.base.rows;
    drawGray(small, state.base.pixels, small.width, small.height);
    padCtx.imageSmoothingEnabled = true;
    padCtx.drawImage(small, 0, 0, pad.width, pad.height);
  }
  padCtx.strokeStyle = '#fff';
  padCtx.fillStyle = '#fff';
  padCtx.lineWidth = STROKE_WIDTH;
  padCtx.lineCap = 'round';
  padCtx.lineJoin = 'round';
  for (const stroke of state.strokes) {
    if (stroke.length === 1) {
      padCtx.beginPath();
      padCtx.arc(stroke[0].x, stroke[0].y, STROKE_WIDTH / 2, 0, 2 * Math.PI);
      padCtx.fill();
      continue;
    }
    padCtx.beginPath();
    stroke.forEach((p, i) => (i === 0 ? padCtx.moveTo(p.x, p.y) : padCtx.lineTo(p.x, p.y)));
    padCtx.stroke();
  }
}

/** What the network sees: a loaded test digit as it is, or the pad made MNIST-like. */
function currentInput() {
  if (state.base && state.strokes.length === 0) return state.base.pixels;
  const { data } = padCtx.getImageData(0, 0, pad.width, pad.height);
  const gray = new Float32Array(pad.width * pad.height); // gray: (280 * 280)
  for (let i = 0; i < gray.length; i++) gray[i] = data[4 * i] / 255;
  return toMnistInput(gray, pad.width, pad.height);
}

function update() {
  const started = performance.now();
  paintPad();
  if (state.model === null) return;
  const input = currentInput();
  drawGray($('input28'), input, state.side, state.side);
  const result = forward(state.model, input);
  showProbabilities(result, input);
  for (const [i, out] of result.outputs.entries()) layerViews[i]?.update(out.values);
  const ms = performance.now() - started;
  $('timing').textContent = `input and forward pass: ${ms.toFixed(1)} ms`;
  $('timing').dataset.ms = ms.toFixed(2);
}

function showProbabilities({ probabilities, predicted }, input) {
  const box = $('probs');
  if (box.children.length !== probabilities.length) {
    box.replaceChildren(
      ...Array.from(probabilities, (_, j) => {
        const row = document.createElement('div');
        row.className = 'prob';
        row.setAttribute('role', 'listitem');
        row.innerHTML = `<span class="digit">${j}</span><span class="track"><span class="bar"></span></span><span class="value"></span>`;
        return row;
      }),
    );
  }
  const empty = input.every((v) => v === 0);
  Array.from(box.children).forEach((row, j) => {
    row.querySelector('.bar').style.width = `${(probabilities[j] * 100).toFixed(1)}%`;
    row.querySelector('.value').textContent = `${(probabilities[j] * 100).toFixed(1)}%`;
    row.classList.toggle('top', j === predicted && !empty);
  });
  box.dataset.probabilities = JSON.stringify(Array.from(probabilities));
  box.dataset.predicted = String(predicted);
  const base = state.base && state.strokes.length === 0 ? ` · test digit #${state.base.index}, labelled ${state.base.label}` : '';
  $('predicted').innerHTML = empty ? 'Draw a digit (or load a test digit).' : `Predicted <strong>${predicted}</strong> (${(probabilities[predicted] * 100).toFixed(1)}%)${base}`;
}

// ---------------------------------------------------------------- inside the network

/**
 * One view per entry of the model's layer list, chosen by the layer's kind. Activations are a
 * strip of cells, one per unit. A convnet's conv and pool layers, and the layers between them
 * and the first affine, output feature maps: a grid of small images, one per channel.
 */
const LAYER_VIEWS = {
  affine: (layer, isLast) => (isLast ? unitStrip(layer, `${layer.name}: ${layer.inputs} → ${layer.outputs}, the class scores`) : arrow(`${layer.name}: ${layer.inputs} → ${layer.outputs} (weights ${layer.inputs}×${layer.outputs} + bias)`)),
  relu: (layer) => unitStrip(layer, `${layer.name}: ReLU`),
  sigmoid: (layer) => unitStrip(layer, `${layer.name}: sigmoid`, { fixed: [0, 1] }),
  softmax: (layer) => arrow(`${layer.name}: probabilities (the bars above)`),
  conv: (layer) => featureMaps(layer, `${layer.name}: ${layer.shape.FN} filters ${layer.shape.FH}×${layer.shape.FW}, stride ${layer.shape.stride}, pad ${layer.shape.pad}`, mapsOf(layer, layer.shape.FN)),
  pool: (layer) => featureMaps(layer, `${layer.name}: max pooling ${layer.shape.FH}×${layer.shape.FW}, stride ${layer.shape.stride}`, mapsOf(layer, layer.shape.C)),
};

/** The feature maps' shape a conv or pool layer outputs: channels, height, width. */
function mapsOf(layer, channels) {
  const { OH, OW } = outputSize(layer.shape);
  return { C: channels, OH, OW };
}

let layerViews = [];

function buildLayerViews(model) {
  const lastAffine = model.layers.map((l) => l.kind).lastIndexOf('affine');
  let maps = null; // between a conv or pool and the next affine, the layers output feature maps of this shape
  layerViews = model.layers.map((layer, i) => {
    if (layer.kind === 'conv') maps = mapsOf(layer, layer.shape.FN);
    else if (layer.kind === 'pool') maps = mapsOf(layer, layer.shape.C);
    else if (layer.kind === 'affine') maps = null;
    else if (maps) return featureMaps(layer, `${layer.name}: ${layer.kind}`, maps);
    const make = LAYER_VIEWS[layer.kind] ?? ((l) => arrow(`${l.name}: ${l.kind}`));
    return make(layer, i === lastAffine);
  });
  $('layers').replaceChildren(...layerViews.map((v) => v.element));
}

function arrow(text) {
  const element = document.createElement('div');
  element.className = 'layer arrow';
  element.innerHTML = `<div class="label">↓ ${esc(text)}</div>`;
  return { element, update() {} };
}

/** A strip of cells, up to 50 a row, coloured by each unit's output (scaled to the layer's largest, or a fixed range). */
function unitStrip(layer, title, { fixed } = {}) {
  const element = document.createElement('div');
  element.className = 'layer';
  const units = layer.outputs ?? null;
  const label = document.createElement('div');
  label.className = 'label';
  const canvas = document.createElement('canvas');
  canvas.dataset.layer = layer.name;
  element.append(label, canvas);
  const CELL = 14;
  return {
    element,
    update(values) {
      const n = values.length;
      const perRow = Math.min(n, 50);
      const rows = Math.ceil(n / perRow);
      if (canvas.width !== perRow * CELL) canvas.width = perRow * CELL;
      if (canvas.height !== rows * CELL) canvas.height = rows * CELL;
      const ctx = canvas.getContext('2d');
      let lo = fixed ? fixed[0] : Math.min(0, ...values);
      let hi = fixed ? fixed[1] : Math.max(...values);
      if (hi - lo < 1e-12) hi = lo + 1;
      let active = 0;
      let sum = 0;
      for (let u = 0; u < n; u++) {
        const t = (values[u] - lo) / (hi - lo);
        if (values[u] > 0) active++;
        sum += values[u];
        ctx.fillStyle = heat(t);
        ctx.fillRect((u % perRow) * CELL, Math.floor(u / perRow) * CELL, CELL - 1, CELL - 1);
      }
      canvas.dataset.sum = String(sum);
      label.innerHTML = `<strong>${esc(title)}</strong> · ${n} units${units === null ? `, ${active} active` : ''} · largest ${fmt(Math.max(...values))}`;
    },
  };
}

/**
 * Feature maps: one small image per channel, up to 10 a row, each value coloured on one scale
 * for the whole layer (from its smallest, or 0, to its largest), so channels can be compared.
 */
function featureMaps(layer, title, { C, OH, OW }) {
  const element = document.createElement('div');
  element.className = 'layer';
  const label = document.createElement('div');
  label.className = 'label';
  const canvas = document.createElement('canvas');
  canvas.dataset.layer = layer.name;
  element.append(label, canvas);
  const scale = Math.max(1, Math.round(48 / Math.max(OH, OW))); // each map about 48 px across
  const GAP = 4;
  const perRow = Math.min(C, 10);
  canvas.width = perRow * (OW * scale + GAP) - GAP;
  canvas.height = Math.ceil(C / perRow) * (OH * scale + GAP) - GAP;
  return {
    element,
    update(values) {
      let lo = 0, hi = -Infinity, sum = 0, active = 0;
      for (const v of values) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v > 0) active++;
        sum += v;
      }
      if (hi - lo < 1e-12) hi = lo + 1;
      // Pixels written straight into an image (tens of thousands of fillRects would take longer
      // than the forward pass), each value's colour from a 256-step table of the heat scale.
      const image = new ImageData(canvas.width, canvas.height);
      const px = image.data;
      for (let c = 0; c < C; c++) {
        const x0 = (c % perRow) * (OW * scale + GAP);
        const y0 = Math.floor(c / perRow) * (OH * scale + GAP);
        for (let y = 0; y < OH * scale; y++) {
          for (let x = 0; x < OW * scale; x++) {
            const v = values[(c * OH + Math.floor(y / scale)) * OW + Math.floor(x / scale)];
            const rgb = HEAT_TABLE[Math.round(((v - lo) / (hi - lo)) * 255)];
            const at = ((y0 + y) * canvas.width + x0 + x) * 4;
            px[at] = rgb[0];
            px[at + 1] = rgb[1];
            px[at + 2] = rgb[2];
            px[at + 3] = 255;
          }
        }
      }
      canvas.getContext('2d').putImageData(image, 0, 0);
      canvas.dataset.sum = String(sum);
      label.innerHTML = `<strong>${esc(title)}</strong> · ${C} maps of ${OH}×${OW}, ${active} of ${values.length} values above 0 · largest ${fmt(hi)}`;
    },
  };
}

/** Dark (low) to yellow (high): black, purple, orange, yellow; t in 0..1 -> [r, g, b]. */
function heatRgb(t) {
  const stops = [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const k = Math.min(Math.floor(x), stops.length - 2);
  const f = x - k;
  return stops[k].map((v, i) => Math.round(v + (stops[k + 1][i] - v) * f));
}

const HEAT_TABLE = Array.from({ length: 256 }, (_, i) => heatRgb(i / 255));

function heat(t) {
  const [r, g, b] = heatRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

// ---------------------------------------------------------------- test set

function showConfusion() {
  const section = $('confusion-section');
  if (state.test) {
    const t = state.test;
    section.hidden = false;
    $('confusion-title').textContent = `Confusion matrix on the ${t.total} test images: ${t.correct} right (${fmt(t.correct / t.total)}).`;
    confusionTable($('confusion'), t.counts, t.classes, showCell);
  } else if (state.confusionRecord) {
    const r = state.confusionRecord;
    section.hidden = false;
    $('confusion-title').textContent = `Confusion matrix of the run on the ${r.total} ${r.split} images: ${r.correct} right (${fmt(r.accuracy)}). Serve the model (--model) to see the digits.`;
    confusionTable($('confusion'), r.matrix.flat(), r.classes, null);
    $('cell-view').hidden = true;
  }
}

async function showCell(trueClass, predicted, td) {
  state.selectedCell?.classList.remove('selected');
  td.classList.add('selected');
  state.selectedCell = td;
  const { labels, predicted: answers } = state.test;
  const indices = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === trueClass && answers[i] === predicted) indices.push(i);
  const shown = indices.slice(0, IMAGES_PER_REQUEST);
  $('cell-title').textContent = `True ${trueClass}, predicted ${predicted}: ${indices.length} test digit${indices.length === 1 ? '' : 's'}${shown.length < indices.length ? ` (the first ${shown.length} shown)` : ''}. Click one to load it.`;
  const { images, rows, cols } = await testImages(shown);
  $('cell-digits').replaceChildren(
    ...images.map((img) => {
      const c = document.createElement('canvas');
      c.width = cols;
      c.height = rows;
      c.title = `test digit #${img.index}: label ${img.label}, predicted ${img.predicted}`;
      c.dataset.index = String(img.index);
      drawGray(c, Uint8Array.from(atob(img.pixels), (ch) => ch.charCodeAt(0)), cols, rows, 1 / 255);
      c.addEventListener('click', () => {
        loadTestDigit(img.index).catch(showError);
        $('draw-section').scrollIntoView({ behavior: 'smooth' });
      });
      return c;
    }),
  );
}

// ---------------------------------------------------------------- helpers and start

function fmt(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '-';
}

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function showError(err) {
  const p = $('model-info');
  p.textContent = `Error: ${err.message}`;
  p.dataset.error = err.message;
}

async function start() {
  const s = await getJson('/api/state');
  if (s.model === null && !s.live) $('model-info').textContent = 'No model: this page shows a run. Serve a model with --model to draw digits.';
  if (s.model !== null) await loadModel();
  if (s.testSet !== null && !s.live) await loadConfusion();
  listen();
  document.body.dataset.ready = 'true';
}

start().catch(showError);
