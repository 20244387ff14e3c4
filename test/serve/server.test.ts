import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ndjson, run } from '../support/run-cli.js';
import { postPredict, request, serve, type Served } from './serve-process.js';

// The page server's HTTP surface, against the real CLI on 127.0.0.1: what it serves, and every
// kind of bad request it must refuse while it goes on serving. The bundled mnist-10k keeps
// these runs offline and quick; the page itself is tested in a browser in page.test.ts.

const DATA = ['--dataset', 'mnist-10k', '--offline'];
let dir: string;
let model: string;
let runFile: string;
let served: Served;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nn-serve-'));
  model = path.join(dir, 'm.safetensors');
  runFile = path.join(dir, 'run.ndjson');
  const trained = await run(['--iters', '200', '--batch-size', '50', '--hidden', '30', '--save', model, '--json', ...DATA]);
  expect(trained.code, trained.stderr).toBe(0);
  writeFileSync(runFile, trained.stdout);
  served = await serve(['serve', '--model', model, '--run', runFile, '--json', ...DATA]);
  url = served.url;
});

afterAll(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('what the server serves', () => {
  it('listens on 127.0.0.1 and prints one serve record on stdout', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const [record] = ndjson(served.output.stdout);
    expect(record).toMatchObject({ type: 'serve', url, host: '127.0.0.1', model, run: runFile });
    expect(served.output.stderr.split('\n').filter((l) => l.startsWith('Serving the page at'))).toHaveLength(1);
  });

  it('serves the page and its own scripts and styles, nothing from elsewhere', async () => {
    const page = await request(url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const refs = [...page.body.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(1);
    for (const ref of refs) expect(ref).toMatch(/^(?:data:,|[\w-]+\.(?:js|css))$/);
    for (const file of ['/page.js', '/page.css', '/forward.js', '/digit-input.js', '/charts.js']) {
      const asset = await request(url, file);
      expect(asset.status, file).toBe(200);
      expect(asset.body, file).not.toMatch(/https?:\/\//);
    }
  });

  it('serves the model, its layers in order', async () => {
    const r = await request(url, '/api/model');
    expect(r.status).toBe(200);
    const m = JSON.parse(r.body);
    expect(m).toMatchObject({ architecture: '784-30-10', dtype: 'float32', inputShape: [28, 28], classes: 10 });
    expect(m.layers.map((l: { name: string }) => l.name)).toEqual(['Affine1', 'Relu1', 'Affine2', 'Softmax']);
    expect(Buffer.from(m.layers[0].W, 'base64').length).toBe(784 * 30 * 4);
  });

  it("serves the test set's confusion matrix: the counts of nn-train eval --json", async () => {
    const [page, evaluated] = await Promise.all([request(url, '/api/confusion'), run(['eval', '--model', model, '--json', ...DATA])]);
    const confusion = ndjson(evaluated.stdout).find((r) => r.type === 'confusion')!;
    const c = JSON.parse(page.body);
    expect(c.counts).toEqual(confusion.matrix.flat());
    expect(c.correct).toBe(confusion.correct);
    expect(Buffer.from(c.predicted, 'base64').length).toBe(c.total);
  });

  it('answers a drawing with probabilities that sum to 1, and every layer', async () => {
    const pixels = Array.from({ length: 784 }, (_, i) => ((i % 28) > 10 && (i % 28) < 14 && i > 150 && i < 650 ? 1 : 0));
    const r = await postPredict(url, JSON.stringify({ pixels }));
    expect(r.status).toBe(200);
    const p = JSON.parse(r.body);
    expect(p.probabilities).toHaveLength(10);
    expect(p.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p.predicted).toBe(p.probabilities.indexOf(Math.max(...p.probabilities)));
    expect(p.layers.map((l: { name: string; values: number[] }) => [l.name, l.values.length])).toEqual([['Affine1', 30], ['Relu1', 30], ['Affine2', 10], ['Softmax', 10]]);
  });

  it('streams the run file as events, and after Last-Event-ID only what was missed', async () => {
    const epochs = ndjson((await import('node:fs')).readFileSync(runFile, 'utf8')).filter((r) => r.type === 'epoch').length;
    const all = await events(url);
    expect(all.filter((e) => e.event === 'record' && e.data.type === 'epoch')).toHaveLength(epochs);
    expect(all.map((e) => e.event)).toContain('model');
    const after = await events(url, all[1].id);
    expect(after.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
  });

  it('serves test digits by index', async () => {
    const last = JSON.parse((await request(url, '/api/state')).body).testSet.count - 1;
    const r = await request(url, `/api/test-images?indices=0,${last}`);
    expect(r.status).toBe(200);
    const { images } = JSON.parse(r.body);
    expect(images.map((i: { index: number }) => i.index)).toEqual([0, last]);
    expect(Buffer.from(images[0].pixels, 'base64')).toHaveLength(784);
    // The same image, label and answer as nn-train predict gives for that index.
    const predicted = ndjson((await run(['predict', '--model', model, '--index', String(last), '--json', ...DATA])).stdout)[0];
    expect([images[1].label, images[1].predicted]).toEqual([predicted.label, predicted.predicted]);
  });
});

describe('bad requests: refused with the right status, and the server goes on', () => {
  const notFound = [
    '/nope',
    '/package.json',
    '/src/serve/page/page.js',
    '/../package.json',
    '/../../etc/passwd',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/page.js%2f..%2f..%2fpackage.json',
    '/api/..%2fmodel',
    '/api/model/',
    '/./page.js',
    '//page.js',
    '/page.js/..',
    '/index.html%00',
    '/%70age.js',
  ];
  for (const p of notFound) {
    it(`404 for ${p}`, async () => {
      const r = await request(url, p);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body)).toEqual({ error: 'not found' });
    });
  }

  const badBodies: Array<[string, string, RegExp]> = [
    ['not JSON', '{"pixels": [0, 0', /not JSON/],
    ['empty', '', /not JSON/],
    ['not an object', '[0, 0, 0]', /JSON object/],
    ['no pixels', '{"image": []}', /pixels must be an array/],
    ['too few pixels', JSON.stringify({ pixels: new Array(783).fill(0) }), /784 numbers, got 783/],
    ['too many pixels', JSON.stringify({ pixels: new Array(785).fill(0) }), /784 numbers, got 785/],
    ['a string among them', JSON.stringify({ pixels: [...new Array(783).fill(0), 'x'] }), /pixels\[783\] must be a number/],
    ['a null among them', JSON.stringify({ pixels: [null, ...new Array(783).fill(0)] }), /pixels\[0\] must be a number/],
    ['out of range', JSON.stringify({ pixels: [2, ...new Array(783).fill(0)] }), /pixels\[0\] must be a number from 0 to 1, got 2/],
  ];
  for (const [what, body, message] of badBodies) {
    it(`400 for a body that is ${what}`, async () => {
      const r = await postPredict(url, body);
      expect(r.status).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(r.body).error).toMatch(message);
    });
  }

  it('413 for a body over the limit, said by Content-Length or sent without it', async () => {
    const big = JSON.stringify({ pixels: new Array(784).fill(0.123456789012345), pad: 'x'.repeat(80_000) });
    const declared = await postPredict(url, big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error).toMatch(/over 65536 bytes/);
    const chunked = await request(url, '/api/predict', { method: 'POST', body: big, headers: { 'Transfer-Encoding': 'chunked' } });
    expect(chunked.status).toBe(413);
  });

  it('400 for bad test image indices', async () => {
    for (const q of ['', 'indices=', 'indices=abc', 'indices=-1', 'indices=100000', 'indices=1,,2', `indices=${Array.from({ length: 201 }, (_, i) => i).join(',')}`]) {
      const r = await request(url, `/api/test-images?${q}`);
      expect(r.status, q).toBe(400);
      expect(JSON.parse(r.body).error).toBeTruthy();
    }
  });

  it('405 for a method the path does not take', async () => {
    expect((await request(url, '/api/predict')).status).toBe(405);
    const r = await request(url, '/api/model', { method: 'POST', body: '{}' });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
    expect((await request(url, '/', { method: 'DELETE' })).status).toBe(405);
  });

  it('403 for a request naming another host (DNS rebinding)', async () => {
    const r = await request(url, '/api/state', { headers: { Host: `evil.example:${new URL(url).port}` } });
    expect(r.status).toBe(403);
  });

  it('still serves after all of that', async () => {
    const r = await request(url, '/api/state');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).model.architecture).toBe('784-30-10');
    expect(served.child.exitCode).toBeNull();
  });
});

describe('the serve command', () => {
  it('Ctrl-C closes the server and exits 130', async () => {
    const s = await serve(['serve', '--run', runFile]);
    expect((await request(s.url, '/api/state')).status).toBe(200);
    const r = await s.stop('SIGINT');
    expect(r.code).toBe(130);
    await expect(request(s.url, '/api/state')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('train --serve, Ctrl-C while training: the rows so far, the server closed, exit 130', async () => {
    const s = await serve(['--epochs', '200', '--batch-size', '50', '--serve', '--json', ...DATA]);
    await expect.poll(() => s.output.stdout.includes('"type":"epoch"'), { timeout: 30_000 }).toBe(true);
    const r = await s.stop('SIGINT');
    expect(r.code).toBe(130);
    const types = ndjson(r.stdout).map((x) => x.type);
    expect(types.slice(0, 3)).toEqual(['config', 'serve', 'epoch']);
    expect(types.slice(-2)).toEqual(['confusion', 'summary']);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'summary', interrupted: true });
    await expect(request(s.url, '/api/state')).rejects.toThrow(/ECONNREFUSED/);
  });

  // /proc takes no new files, even from root: the plot fails after training, with the page up.
  it.runIf(process.platform === 'linux')('train --serve that fails after training: its one-line error, exit 1, the server gone with it', async () => {
    const r = await run(['--iters', '10', '--batch-size', '50', '--serve', '--plot', '/proc/nn-train-plot.svg', ...DATA]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Serving the page at http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C to stop\)$/m);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^nn-train: cannot write \/proc\/nn-train-plot\.svg: E[A-Z]+$/);
  });

  it('listens where --host says, and answers requests that name it', async () => {
    const s = await serve(['serve', '--run', runFile, '--host', '127.0.0.2']);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/$/);
      expect(s.output.stderr).not.toMatch(/warning/);
      expect((await request(s.url, '/api/state')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('shows a run alone: its records, no model', async () => {
    const s = await serve(['serve', '--run', runFile]);
    try {
      expect(JSON.parse((await request(s.url, '/api/state')).body)).toMatchObject({ model: null, testSet: null });
      expect((await request(s.url, '/api/model')).status).toBe(404);
      expect((await events(s.url)).filter((e) => e.data.type === 'confusion')).toHaveLength(1);
    } finally {
      await s.stop();
    }
  });

  it('a port in use: one line, exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await run(['serve', '--run', runFile, '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([`nn-train: --port ${port}: already in use on 127.0.0.1`]);
    } finally {
      blocker.close();
    }
  });

  it('--host other than this machine: a warning on stderr', async () => {
    const s = await serve(['serve', '--run', runFile, '--host', '0.0.0.0']);
    try {
      expect(s.output.stderr).toMatch(/^warning: --host 0\.0\.0\.0: .*other machines/m);
    } finally {
      await s.stop();
    }
  });

  it('--open without a browser to open: a warning, and the server goes on', async () => {
    const s = await serve(['serve', '--run', runFile, '--open'], { PATH: path.join(dir, 'no-bin') });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(s.output.stderr).toMatch(/^warning: --open: could not start \S+ \(ENOENT\); open http:\/\/127\.0\.0\.1:\d+\/ yourself$/m);
      expect((await request(s.url, '/api/state')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('a model file that does not load: the same one-line error as eval', async () => {
    const bad = path.join(dir, 'bad.safetensors');
    writeFileSync(bad, 'not a model');
    for (const file of [bad, path.join(dir, 'missing.safetensors')]) {
      const [served, evaluated] = await Promise.all([run(['serve', '--model', file, ...DATA]), run(['eval', '--model', file, ...DATA])]);
      expect(served.code).toBe(1);
      expect(served.stderr).toBe(evaluated.stderr);
      expect(served.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  const usage: Array<[string[], RegExp]> = [
    [['serve'], /^nn-train: needs --model FILE .*--run FILE/],
    [['serve', '--run', 'x.ndjson', '--port', '70000'], /^nn-train: --port must be a port number from 0 to 65535/],
    [['serve', '--run', 'x.ndjson', '--port', 'abc'], /^nn-train: --port must be a port number/],
    [['--iters', '10', '--port', '8080'], /^nn-train: --port needs --serve$/],
    [['--iters', '10', '--serve', '--port', '-1'], /^nn-train: --port must be a port number/],
  ];
  for (const [args, message] of usage) {
    it(`usage error, exit 2: ${args.join(' ')}`, async () => {
      const r = await run([...args, ...DATA]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('a run file that is not a run: one line, exit 1', async () => {
    const notRun = path.join(dir, 'not-run.ndjson');
    writeFileSync(notRun, '{"type":"config"}\nnot json\n');
    const r = await run(['serve', '--run', notRun]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`nn-train: --run ${notRun}: line 2 is not JSON`);
    const missing = await run(['serve', '--run', path.join(dir, 'none.ndjson')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^nn-train: cannot read --run .*none\.ndjson: no such file$/);
  });
});

interface StreamEvent {
  id: number;
  event: string;
  data: Record<string, any>;
}

/** The events /api/events sends at once (its replay), read until the stream goes quiet. */
function events(url: string, lastEventId?: number): Promise<StreamEvent[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) };
    const req = (http as typeof import('node:http')).get({ host: hostname, port, path: '/api/events', headers, agent: false }, (res) => {
      let text = '';
      let timer: NodeJS.Timeout | undefined;
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
        clearTimeout(timer);
        timer = setTimeout(() => {
          req.destroy();
          resolve(parseEvents(text));
        }, 200);
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

function parseEvents(text: string): StreamEvent[] {
  return text
    .split('\n\n')
    .map((block) => Object.fromEntries(block.split('\n').filter((l) => /^(id|event|data): /.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)])))
    .filter((f) => f.id !== undefined)
    .map((f) => ({ id: Number(f.id), event: f.event, data: JSON.parse(f.data) }));
}

import http from 'node:http';
