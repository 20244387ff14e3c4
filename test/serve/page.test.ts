import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, launchBrowser, type Browser } from '../support/browser.js';
import { describeMnist, MNIST_DIR } from '../support/mnist.js';
import { ndjson, run } from '../support/run-cli.js';
import { request, serve, type Served } from './serve-process.js';

// The page in a real headless Chromium: a model trained here on the real MNIST, served by the
// real CLI; the page is drawn on with the mouse and compared with what the CLI's eval and
// predict say. NN_TRAIN_SCREENSHOTS=docs also writes the README's screenshots there.

const DATA = ['--data-dir', MNIST_DIR, '--offline'];
const SHOTS = process.env.NN_TRAIN_SCREENSHOTS;
// A small convnet: 8 feature maps of 24x24, the same after ReLU, 8 of 12x12 after pooling.
const CONV_NET = 'conv:8x5,relu,pool:2,affine:40,relu';

describeMnist('the page', () => {
  describeBrowser('in a browser', () => {
    let dir: string;
    let model: string;
    let runFile: string;
    let convModel: string;
    let browser: Browser;
    let served: Served;
    let servedConv: Served;
    const problems: string[] = []; // console errors, page errors, requests anywhere but the server

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'nn-page-'));
      model = path.join(dir, 'm.safetensors');
      runFile = path.join(dir, 'run.ndjson');
      convModel = path.join(dir, 'conv.safetensors');
      const [trained, trainedConv, b] = await Promise.all([
        run(['--iters', '300', '--save', model, '--json', ...DATA]),
        run(['--layers', CONV_NET, '--optimizer', 'adam', '--lr', '0.001', '--iters', '150', '--eval-samples', '500', '--save', convModel, '--json', '--threads', '1', ...DATA]),
        launchBrowser(),
      ]);
      browser = b;
      expect(trained.code, trained.stderr).toBe(0);
      expect(trainedConv.code, trainedConv.stderr).toBe(0);
      writeFileSync(runFile, trained.stdout);
      [served, servedConv] = await Promise.all([serve(['serve', '--model', model, '--run', runFile, ...DATA]), serve(['serve', '--model', convModel, ...DATA])]);
    });

    afterAll(async () => {
      await served?.stop();
      await servedConv?.stop();
      await browser?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      expect(problems).toEqual([]);
    });

    /** A fresh tab on `url`, once the page says it is ready; anything it asks of elsewhere is refused and noted. */
    async function open(url: string): Promise<Page> {
      const page = await browser.context.newPage();
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.route('**/*', (route) => {
        if (route.request().url().startsWith(url)) return route.continue();
        problems.push(`request elsewhere: ${route.request().url()}`);
        return route.abort();
      });
      await page.goto(url);
      await page.waitForSelector('body[data-ready=true]');
      return page;
    }

    const probabilities = async (page: Page): Promise<number[]> => JSON.parse((await page.locator('#probs').getAttribute('data-probabilities'))!);
    const layerSums = (page: Page) => page.$$eval('#layers canvas', (cs) => cs.map((c) => Number((c as HTMLCanvasElement).dataset.sum)));

    /** A stroke with the mouse through `points` (pad pixels, 0..280). */
    async function stroke(page: Page, points: Array<[number, number]>): Promise<void> {
      const box = (await page.locator('#pad').boundingBox())!;
      const before = await page.locator('#probs').getAttribute('data-probabilities');
      await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
      await page.mouse.down();
      for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 6 });
      await page.mouse.up();
      await page.waitForFunction((b) => document.getElementById('probs')!.dataset.probabilities !== b, before);
    }

    it('drawing with the mouse changes the probabilities, which sum to 1, and the layers with them; undo and clear go back', async () => {
      const page = await open(served.url);
      const empty = await probabilities(page);
      const emptyLayers = await layerSums(page);
      expect(emptyLayers).toHaveLength(2); // Relu1 and the class scores
      await stroke(page, [[90, 50], [190, 50], [190, 110], [130, 240]]); // a 7
      const seven = await probabilities(page);
      expect(seven).toHaveLength(10);
      expect(seven.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(seven).not.toEqual(empty);
      expect(await layerSums(page)).not.toEqual(emptyLayers);
      const ink = await page.$eval('#input28', (c) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += d[i];
        return sum;
      });
      expect(ink).toBeGreaterThan(0);
      await stroke(page, [[120, 150], [220, 150]]);
      expect(await probabilities(page)).not.toEqual(seven);
      await page.click('#undo');
      expect(await probabilities(page)).toEqual(seven);
      await page.click('#clear');
      expect(await probabilities(page)).toEqual(empty);
      if (SHOTS) {
        await stroke(page, [[90, 50], [190, 50], [190, 110], [130, 240]]);
        await page.locator('#draw-section').screenshot({ path: path.join(SHOTS, 'page-draw.png') });
        await page.locator('#layers-section').screenshot({ path: path.join(SHOTS, 'page-layers.png') });
      }
      await page.close();
    });

    it('a test digit loaded into the pad gets the class nn-train predict gives it', async () => {
      const page = await open(served.url);
      const c = JSON.parse((await request(served.url, '/api/confusion')).body);
      const labels = Buffer.from(c.labels, 'base64');
      const predicted = Buffer.from(c.predicted, 'base64');
      const wrong = [...predicted.keys()].filter((i) => predicted[i] !== labels[i]).slice(0, 2);
      const indices = [0, 1, 4321, ...wrong];
      const answers = await Promise.all(indices.map((i) => run(['predict', '--model', model, '--index', String(i), '--json', ...DATA])));
      for (const [k, index] of indices.entries()) {
        const before = await page.locator('#probs').getAttribute('data-probabilities');
        await page.fill('#test-index', String(index));
        await page.click('#load-test');
        await page.waitForFunction((b) => document.getElementById('probs')!.dataset.probabilities !== b, before);
        const cli = ndjson(answers[k].stdout)[0];
        expect(Number(await page.locator('#probs').getAttribute('data-predicted')), `test digit ${index}`).toBe(cli.predicted);
        const p = await probabilities(page);
        p.forEach((v, j) => expect(Math.abs(v - cli.probabilities[j])).toBeLessThan(1e-5));
        await expect.poll(() => page.locator('#predicted').textContent()).toContain(`test digit #${index}, labelled ${cli.label}`);
      }
      await page.close();
    });

    it('a convnet: a drawing is read, every layer (feature maps included) changes with it, and test digits get the classes nn-train predict gives', async () => {
      const page = await open(servedConv.url);
      const emptyLayers = await layerSums(page);
      expect(emptyLayers).toHaveLength(5); // conv, its ReLU, the pool (feature maps); the hidden ReLU; the class scores
      const maps = await page.$$eval('#layers canvas', (cs) => cs.slice(0, 3).map((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]));
      expect(maps).toEqual([[8 * 48 + 7 * 4, 24 * 2], [8 * 48 + 7 * 4, 24 * 2], [8 * 48 + 7 * 4, 12 * 4]]); // 8 maps a row, each ~48 px
      await expect.poll(() => page.locator('#layers').textContent()).toContain('8 maps of 24×24');
      await stroke(page, [[90, 50], [190, 50], [190, 110], [130, 240]]); // a 7
      const seven = await probabilities(page);
      expect(seven.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const drawnLayers = await layerSums(page);
      drawnLayers.forEach((v, i) => expect(v, `layer ${i}`).not.toBe(emptyLayers[i]));
      if (SHOTS) await page.locator('#layers-section').screenshot({ path: path.join(SHOTS, 'page-convnet.png') });
      for (const index of [0, 1, 4321]) {
        const cli = ndjson((await run(['predict', '--model', convModel, '--index', String(index), '--json', ...DATA])).stdout)[0];
        const before = await page.locator('#probs').getAttribute('data-probabilities');
        await page.fill('#test-index', String(index));
        await page.click('#load-test');
        await page.waitForFunction((b) => document.getElementById('probs')!.dataset.probabilities !== b, before);
        expect(Number(await page.locator('#probs').getAttribute('data-predicted')), `test digit ${index}`).toBe(cli.predicted);
        (await probabilities(page)).forEach((v, j) => expect(Math.abs(v - cli.probabilities[j])).toBeLessThan(1e-5));
      }
      await page.close();
    });

    it("the heatmap's cells are nn-train eval --json's confusion counts; a cell shows its digits, and one loads into the pad", async () => {
      const page = await open(served.url);
      const evaluated = await run(['eval', '--model', model, '--json', ...DATA]);
      const want: number[][] = ndjson(evaluated.stdout).find((r) => r.type === 'confusion')!.matrix;
      const cells = await page.$$eval('td[data-true]', (tds) => tds.map((td) => [Number((td as HTMLElement).dataset.true), Number((td as HTMLElement).dataset.pred), Number(td.textContent)]));
      expect(cells).toHaveLength(100);
      const got = Array.from({ length: 10 }, () => new Array(10).fill(-1));
      for (const [t, p, n] of cells) got[t][p] = n;
      expect(got).toEqual(want);

      // The largest mistake: its digits, then one of them in the pad, classed as in the cell.
      let [t, p] = [0, 1];
      for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) if (i !== j && want[i][j] > want[t][p]) [t, p] = [i, j];
      await page.click(`td[data-true="${t}"][data-pred="${p}"]`);
      await expect.poll(() => page.locator('#cell-digits canvas').count()).toBe(Math.min(want[t][p], 200));
      const first = page.locator('#cell-digits canvas').first();
      const index = await first.getAttribute('data-index');
      await first.click();
      await expect.poll(() => page.locator('#predicted').textContent()).toContain(`test digit #${index}, labelled ${t}`);
      expect(Number(await page.locator('#probs').getAttribute('data-predicted'))).toBe(p);
      if (SHOTS) await page.locator('#confusion-section').screenshot({ path: path.join(SHOTS, 'page-test-set.png') });
      await page.close();
    });

    it("shows the run file's curves", async () => {
      const page = await open(served.url);
      const epochs = ndjson((await import('node:fs')).readFileSync(runFile, 'utf8')).filter((r) => r.type === 'epoch').length;
      await expect.poll(() => page.locator('#acc-chart').getAttribute('data-points')).toBe(String(epochs));
      await page.close();
    });

    it('train --serve: the curves gain points as epochs end, then the page has the trained model', async () => {
      const epochs = 5;
      const training = await serve(['--epochs', String(epochs), '--batch-size', '1000', '--hidden', '300', '--serve', '--json', ...DATA]);
      try {
        const page = await open(training.url);
        // Every point count the page shows, until the run says it is over.
        const seen: number[] = [];
        for (let t = 0; t < 600; t++) {
          const n = Number((await page.locator('#acc-chart').getAttribute('data-points')) ?? 0);
          if (seen[seen.length - 1] !== n) seen.push(n);
          if ((await page.locator('#run-status').getAttribute('data-finished')) === 'true') break;
          await page.waitForTimeout(100);
        }
        expect(seen[seen.length - 1]).toBe(epochs);
        expect(seen.filter((n) => n > 0 && n < epochs).length, `point counts seen: ${seen}`).toBeGreaterThan(0);
        expect(seen).toEqual([...seen].sort((a, b) => a - b));
        // The trained model, and its confusion matrix as the run printed it.
        await expect.poll(() => page.locator('#model-info').textContent()).toContain('trained just now');
        await expect.poll(() => page.locator('td[data-true]').count()).toBe(100);
        const printed = ndjson(training.output.stdout).find((r) => r.type === 'confusion')!.matrix;
        const diagonal = await page.$$eval('td[data-true]', (tds) => tds.filter((td) => (td as HTMLElement).dataset.true === (td as HTMLElement).dataset.pred).map((td) => Number(td.textContent)));
        expect(diagonal).toEqual(printed.map((row: number[], i: number) => row[i]));
        if (SHOTS) await page.locator('#run-section').screenshot({ path: path.join(SHOTS, 'page-run.png') });
        await page.close();
      } finally {
        const r = await training.stop('SIGINT');
        expect(r.code).toBe(130);
        expect(ndjson(r.stdout).map((x) => x.type)).toEqual(['config', 'serve', ...new Array(epochs).fill('epoch'), 'confusion', 'summary']);
      }
    });
  });
});
