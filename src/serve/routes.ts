import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJsonBody } from './http-body.js';
import type { Asset } from './page-files.js';
import type { PageSession } from './page-session.js';

/** The largest POST body accepted: a 784-pixel image as JSON is ~16 KB at full precision. */
export const BODY_LIMIT = 64 * 1024;
/** The most test images one GET /api/test-images answers with. */
export const IMAGES_PER_REQUEST = 200;

type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void | Promise<void>;

interface Route {
  readonly method: 'GET' | 'POST';
  readonly handle: Handler;
}

/**
 * The server's whole surface: the page's files and a few JSON endpoints, each at one exact
 * path. Anything else is 404.
 *
 *   GET  /api/state        what there is to show (model, test set, a run in progress)
 *   GET  /api/model        the model's layers and weights, for the page's own forward pass
 *   GET  /api/confusion    the test set's confusion matrix, labels and predicted classes
 *   GET  /api/test-images  ?indices=1,2,3: those test images' pixels (base64 bytes)
 *   GET  /api/events       the run's records and new models, as server-sent events
 *   POST /api/predict      {"pixels": [784 numbers in 0..1]}: the server's forward pass
 */
export function pageRoutes(session: PageSession, assets: ReadonlyMap<string, Asset>): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const [path, asset] of assets) {
    routes.set(path, { method: 'GET', handle: (_req, res) => send(res, 200, asset.type, asset.body) });
  }
  routes.set('/api/state', { method: 'GET', handle: (_req, res) => sendJson(res, 200, session.state()) });
  routes.set('/api/model', {
    method: 'GET',
    handle: (_req, res) => {
      const model = session.model;
      if (model === undefined) throw new HttpError(404, 'no model: serve one with --model, or wait for the first epoch');
      send(res, 200, 'application/json; charset=utf-8', model.toJson());
    },
  });
  routes.set('/api/confusion', {
    method: 'GET',
    handle: (_req, res) => {
      const view = session.testSet;
      if (view === undefined) throw new HttpError(404, 'no test set scored yet');
      const c = view.confusion;
      sendJson(res, 200, {
        split: 'test',
        classes: c.classes,
        total: c.total,
        correct: c.correct,
        counts: Array.from(c.counts), // counts: (classes, classes), row = true class
        labels: Buffer.from(view.set.labels).toString('base64'), // labels: (count) bytes
        predicted: Buffer.from(view.predicted).toString('base64'), // predicted: (count) bytes
      });
    },
  });
  routes.set('/api/test-images', { method: 'GET', handle: (_req, res, query) => sendJson(res, 200, testImages(session, query)) });
  routes.set('/api/events', { method: 'GET', handle: (req, res) => session.events.attach(req, res) });
  routes.set('/api/predict', {
    method: 'POST',
    handle: async (req, res) => {
      const body = await readJsonBody(req, BODY_LIMIT);
      const model = session.model;
      if (model === undefined) throw new HttpError(404, 'no model to predict with yet');
      sendJson(res, 200, model.predict(pixelsOf(body, model.inputSize)));
    },
  });
  return routes;
}

/** {"pixels": [n numbers in 0..1]}, checked; anything else is a 400 saying what is wrong. */
export function pixelsOf(body: unknown, n: number): Float64Array {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object {"pixels": [...]}');
  const pixels = (body as { pixels?: unknown }).pixels;
  if (!Array.isArray(pixels)) throw new HttpError(400, 'pixels must be an array of numbers');
  if (pixels.length !== n) throw new HttpError(400, `pixels must hold ${n} numbers, got ${pixels.length}`);
  const out = new Float64Array(n); // out: (784)
  for (let i = 0; i < n; i++) {
    const v = pixels[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new HttpError(400, `pixels[${i}] must be a number from 0 to 1, got ${JSON.stringify(v) ?? String(v)}`);
    out[i] = v;
  }
  return out;
}

function testImages(session: PageSession, query: URLSearchParams): object {
  const view = session.testSet;
  if (view === undefined) throw new HttpError(404, 'no test set: serve a model to see its test digits');
  const raw = query.get('indices');
  if (raw === null || raw === '') throw new HttpError(400, 'indices must be a comma list of test image numbers');
  const words = raw.split(',');
  if (words.length > IMAGES_PER_REQUEST) throw new HttpError(400, `indices may name at most ${IMAGES_PER_REQUEST} images, got ${words.length}`);
  const { set, predicted } = view;
  const D = set.rows * set.cols;
  return {
    rows: set.rows,
    cols: set.cols,
    images: words.map((w) => {
      const i = /^\d{1,9}$/.test(w) ? Number(w) : NaN;
      if (!(i < set.count)) throw new HttpError(400, `indices: ${JSON.stringify(w)} is not a test image number (0 to ${set.count - 1})`);
      return { index: i, label: set.labels[i], predicted: predicted[i], pixels: Buffer.from(set.images.subarray(i * D, (i + 1) * D)).toString('base64') };
    }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: object): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
