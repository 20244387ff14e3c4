import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { describeNeeding } from './mnist.js';

/**
 * The system's Chromium for the page's browser tests, driven by playwright-core (which
 * downloads no browser of its own): NN_TRAIN_CHROMIUM, else the usual install paths.
 */
export function findChromium(): string | undefined {
  const candidates = [process.env.NN_TRAIN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

/**
 * `describe` for tests that need a browser: runs when one is found; without one it fails
 * under CI=true and otherwise skips, saying what to install.
 */
export function describeBrowser(name: string, fn: () => void): void {
  const missing = findChromium() === undefined ? 'no Chromium found (apt-get install -y chromium, or set NN_TRAIN_CHROMIUM to a Chromium or Chrome binary)' : undefined;
  describeNeeding(name, missing, 'has a browser', fn);
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, kept off the network but for the pages it is sent to. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'nn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
