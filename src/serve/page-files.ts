import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeFailure } from '../errors.js';

/**
 * The page's static files, by the URL path each is served at. A fixed list, not a folder
 * served as it is: a request can only ever name one of these, so no path the client sends
 * is ever turned into a file name.
 */
export const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page.css': { file: 'page.css', type: 'text/css; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
  '/digit-input.js': { file: 'digit-input.js', type: 'text/javascript; charset=utf-8' },
  '/forward.js': { file: 'forward.js', type: 'text/javascript; charset=utf-8' },
  '/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * Where the page's files live inside the package: the build copies them from src/serve/page
 * into dist/page, so an installed package (which ships dist/, never src/) has them too.
 */
const PAGE_DIR = ['dist', 'page'];

/**
 * The package's root: the nearest folder above this module with a package.json and the
 * page's files. This module runs from src/serve (tsx), dist/serve (tsc), or a bundle in
 * dist/, in a checkout or an installed package; walking up finds the root from each.
 */
export function packageRoot(from: string = thisFile()): string {
  let dir = path.dirname(from);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, ...PAGE_DIR, 'index.html'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new RuntimeFailure(`cannot find the page's files (${PAGE_DIR.join('/')}) in any folder above ${path.dirname(from)}`);
    dir = up;
  }
}

/** This module's file: from import.meta.url as an ES module, from __filename in a CommonJS bundle. */
function thisFile(): string {
  return typeof import.meta.url === 'string' ? fileURLToPath(import.meta.url) : __filename;
}

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** Every page file, read once at start-up (a few tens of KB), by URL path. */
export function readPageAssets(root: string = packageRoot()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [url, { file, type }] of Object.entries(PAGE_FILES)) {
    const full = path.join(root, ...PAGE_DIR, file);
    try {
      assets.set(url, { body: readFileSync(full), type });
    } catch (err) {
      throw new RuntimeFailure(`cannot read the page's file ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return assets;
}
