/**
 * A folder of images as a Dataset, with keras.utils.image_dataset_from_directory's semantics: one
 * subfolder per class, Keras's file order, shuffle and validation split (src/data/folder-index.ts),
 * decoding and colour rules (image-decode.ts) and resizing (image-resize.ts). Every image is decoded
 * once, all of them before training starts (a file that cannot be read stops the load with its
 * name: nothing is half-loaded), and the pixels are cached (folder-cache.ts) for the next run.
 *
 * Train and test: a folder whose `train/` and `test/` subfolders both hold class folders (the layout
 * `cnn data export` writes) gives those as the two splits. Any other folder is one pool of files:
 * with validation_split its Keras "training" subset is the train split and its "validation" subset
 * the test split; without, every file is in the train split and the test split is empty.
 */
import { readFileSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadSharp } from './sharp-lazy.js';
import { CnnError } from '../errors.js';
import type { FolderDatasetConfig } from '../model/config.js';
import { warnOnce } from '../util/warnings.js';
import { cacheSlot, readPixelCache, writePixelCache } from './folder-cache.js';
import { indexDirectory, kerasOrder, listClassFolders, subsetOf, validationCount, type FolderIndex } from './folder-index.js';
import { channelsOf, decodeImage, decodeImageInPlace, ImageDecodeError } from './image-decode.js';
import { resizeForKeras, type ResizeMode } from './image-resize.js';
import type { Dataset, ImageSet } from './index.js';

export interface FolderLoadOptions {
  /** Cache root instead of $CNN_HOME/datasets; `cache: false` decodes every time and stores nothing. */
  cacheDir?: string;
  cache?: boolean;
  /** The lines Keras prints: "Found 60000 files belonging to 10 classes.", "Using 48000 files for training.". */
  onInfo?: (line: string) => void;
  /** Passing progress ("decoding 1200 of 60000 images"), for a spinner. */
  onStatus?: (message: string) => void;
  /** Decodes in flight at once (default: 4 per libuv thread, the fastest for small files on 2 cores). */
  concurrency?: number;
  /**
   * The shuffle seed when the config gives none (cnn train passes the config's top-level seed).
   * Keras picks a random one; a fixed one keeps runs reproducible and the cache useful. Default 0.
   */
  defaultSeed?: number;
  signal?: AbortSignal;
}

export interface FolderDataset extends Dataset {
  /** The split's files in the order of its images (Keras's `file_paths`). */
  trainFiles: string[];
  testFiles: string[];
  labelMode: 'int' | 'categorical';
  directory: string;
}

function resizeMode(cfg: FolderDatasetConfig): ResizeMode {
  return cfg.crop_to_aspect_ratio ? 'crop' : cfg.pad_to_aspect_ratio ? 'pad' : 'stretch';
}

/** Files up to this size are read synchronously (see decodeAll). */
const SMALL_FILE = 64 * 1024;
/** How many in-place decodes run between two turns of the event loop (about 2 ms of work). */
const SYNC_BATCH = 64;

function threadpoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

/** Decodes (or reads from the cache) every file of `index`, in index order. */
async function decodeAll(index: FolderIndex, cfg: FolderDatasetConfig, options: FolderLoadOptions): Promise<Uint8Array> {
  const [height, width] = cfg.image_size;
  const channels = channelsOf(cfg.color_mode);
  const per = height * width * channels;
  const total = per * index.files.length;
  if (!Number.isSafeInteger(total) || total > 2 ** 32 - 1) {
    throw new CnnError('ERR_DATASET_TOO_LARGE', `${index.files.length} images of ${height}x${width}x${channels} need ${total} bytes, more than the 4 GiB cnn holds in memory; use a smaller image_size`);
  }
  const useCache = options.cache !== false;
  const slot = useCache
    ? cacheSlot({ directory: index.directory, classNames: index.classNames, colorMode: cfg.color_mode, imageSize: cfg.image_size, resize: resizeMode(cfg), files: index.files }, options.cacheDir)
    : undefined;
  if (slot) {
    const cached = await readPixelCache(slot, total);
    if (cached) {
      options.onStatus?.(`read ${index.files.length} decoded images from the cache ${slot.path}`);
      return cached;
    }
  }
  const pixels = new Uint8Array(total);
  const mode = resizeMode(cfg);
  const inFlight = Math.max(1, options.concurrency ?? 4 * threadpoolSize());
  // Small images: one libvips thread per image, many images at once on libuv's pool, is fastest.
  const sharp = await loadSharp();
  const sharpThreads = sharp.concurrency();
  sharp.concurrency(1);
  let next = 0;
  let done = 0;
  let lastReport = 0;
  let sinceYield = 0;
  const worker = async () => {
    while (next < index.files.length) {
      if (options.signal?.aborted) throw options.signal.reason ?? new CnnError('ERR_INTERRUPTED', 'cancelled', 130);
      const i = next++;
      const file = index.files[i];
      // A small file is read and, when it is the common small PNG, decoded right here: for a folder
      // of tiny images the promise-based read (open, stat, read, close on libuv's pool) and sharp's
      // pipeline cost far more than the work (60,000 28x28 PNGs: 21 s cold instead of about 5).
      // The event loop gets a turn every SYNC_BATCH such files, so it is never held for long.
      const small = file.size <= SMALL_FILE;
      let bytes: Uint8Array;
      try {
        bytes = small ? readFileSync(file.path) : await readFile(file.path);
      } catch (e) {
        throw new CnnError('ERR_BAD_IMAGE', `${file.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      try {
        const inPlace = small ? decodeImageInPlace(bytes, cfg.color_mode) : undefined;
        const decoded = inPlace ?? (await decodeImage(bytes, cfg.color_mode));
        pixels.set(resizeForKeras(decoded, height, width, mode).data, i * per);
        if (inPlace && ++sinceYield >= SYNC_BATCH) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (e) {
        const why = e instanceof ImageDecodeError ? e.message : `cannot be decoded (${(e as Error).message})`;
        throw new CnnError('ERR_BAD_IMAGE', `${file.path} ${why}; fix or remove it (no image of the folder was used)`);
      }
      done++;
      const now = performance.now();
      if (now - lastReport > 200) {
        lastReport = now;
        options.onStatus?.(`decoding images: ${done} of ${index.files.length}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, index.files.length) }, worker));
  } finally {
    sharp.concurrency(sharpThreads);
  }
  if (slot) {
    try {
      await writePixelCache(slot, pixels);
    } catch (e) {
      warnOnce(`cannot write the decoded-image cache ${slot.path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the images will be decoded again next time`);
    }
  }
  return pixels;
}

function emptySet(height: number, width: number, channels: number): ImageSet {
  return { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0, height, width, channels };
}

/** The images of `order` (indices into the index's files) as an image set, copied out of `pixels`. */
function gather(index: FolderIndex, pixels: Uint8Array, order: readonly number[], cfg: FolderDatasetConfig): { set: ImageSet; files: string[] } {
  const [height, width] = cfg.image_size;
  const channels = channelsOf(cfg.color_mode);
  const per = height * width * channels;
  const images = new Uint8Array(order.length * per);
  const labels = new Uint8Array(order.length);
  order.forEach((src, i) => {
    images.set(pixels.subarray(src * per, (src + 1) * per), i * per);
    labels[i] = index.files[src].label;
  });
  return { set: { images, labels, count: order.length, height, width, channels }, files: order.map((i) => index.files[i].path) };
}

async function holdsClassFolders(dir: string): Promise<boolean> {
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) return false;
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    if ((await stat(join(dir, name)).catch(() => undefined))?.isDirectory()) return true;
  }
  return false;
}

/** True when `directory` has the train/ + test/ layout (both hold class folders). */
export async function hasTrainTestLayout(directory: string): Promise<boolean> {
  return (await holdsClassFolders(join(directory, 'train'))) && (await holdsClassFolders(join(directory, 'test')));
}

function found(index: FolderIndex): string {
  return `Found ${index.files.length} files belonging to ${index.classNames.length} classes.`;
}

/** Loads a folder dataset; `cfg` is a validated folder config with its directory already absolute. */
export async function loadFolderDataset(cfg: FolderDatasetConfig, options: FolderLoadOptions = {}): Promise<FolderDataset> {
  const [height, width] = cfg.image_size;
  const channels = channelsOf(cfg.color_mode);
  const indexOptions = { classNames: cfg.class_names ?? undefined, followLinks: cfg.follow_links };
  const seed = cfg.seed ?? options.defaultSeed ?? 0;
  const base = { name: basename(cfg.directory), labelMode: cfg.label_mode };
  const finish = (index: FolderIndex, train: { set: ImageSet; files: string[] }, test: { set: ImageSet; files: string[] }): FolderDataset => ({
    ...base,
    directory: index.directory,
    classes: index.classNames.length,
    classNames: [...index.classNames],
    train: train.set,
    test: test.set,
    trainFiles: train.files,
    testFiles: test.files,
  });
  const none = { set: emptySet(height, width, channels), files: [] as string[] };

  if (await hasTrainTestLayout(cfg.directory)) {
    if (cfg.validation_split !== null) {
      throw new CnnError(
        'ERR_BAD_DATASET',
        `${cfg.directory} has train/ and test/ folders, which are the splits; dataset.validation_split is for a folder of class folders (use the config's top-level validation_split to validate on part of train/)`,
        2,
      );
    }
    const trainIndex = await indexDirectory(join(cfg.directory, 'train'), indexOptions);
    options.onInfo?.(found(trainIndex));
    const extra = (await listClassFolders(join(cfg.directory, 'test'))).filter((n) => !trainIndex.classNames.includes(n));
    if (extra.length > 0) {
      throw new CnnError('ERR_BAD_DATASET', `${join(cfg.directory, 'test')} has class folders that train/ has not: ${extra.join(', ')}; both splits need the same classes`, 2);
    }
    const testIndex = await indexDirectory(join(cfg.directory, 'test'), { ...indexOptions, classNames: trainIndex.classNames });
    options.onInfo?.(found(testIndex));
    if (trainIndex.files.length === 0) throw new CnnError('ERR_BAD_DATASET', `${trainIndex.directory} holds no images (.bmp, .gif, .jpeg, .jpg, .png) in its class folders`);
    const trainPixels = await decodeAll(trainIndex, cfg, options);
    const testPixels = await decodeAll(testIndex, cfg, options);
    return finish(
      trainIndex,
      gather(trainIndex, trainPixels, kerasOrder(trainIndex.files.length, cfg.shuffle, seed), cfg),
      gather(testIndex, testPixels, kerasOrder(testIndex.files.length, cfg.shuffle, seed), cfg),
    );
  }

  const index = await indexDirectory(cfg.directory, indexOptions);
  options.onInfo?.(found(index));
  if (index.files.length === 0) {
    throw new CnnError('ERR_BAD_DATASET', `${index.directory} holds no images (.bmp, .gif, .jpeg, .jpg, .png) in its class folders ${index.classNames.join(', ')}`);
  }
  const order = kerasOrder(index.files.length, cfg.shuffle, seed);
  let trainOrder = order;
  let testOrder: number[] = [];
  if (cfg.validation_split !== null) {
    const numVal = validationCount(order.length, cfg.validation_split);
    if (numVal === 0 || numVal === order.length) {
      throw new CnnError('ERR_BAD_DATASET', `validation_split ${cfg.validation_split} of the ${order.length} files in ${index.directory} leaves ${numVal === 0 ? 'no validation' : 'no training'} files`, 2);
    }
    trainOrder = cfg.subset === 'validation' ? [] : subsetOf(order, cfg.validation_split, 'training');
    testOrder = cfg.subset === 'training' ? [] : subsetOf(order, cfg.validation_split, 'validation');
    if (cfg.subset !== 'validation') options.onInfo?.(`Using ${trainOrder.length} files for training.`);
    if (cfg.subset !== 'training') options.onInfo?.(`Using ${testOrder.length} files for validation.`);
  }
  const pixels = await decodeAll(index, cfg, options);
  return finish(index, trainOrder.length ? gather(index, pixels, trainOrder, cfg) : none, testOrder.length ? gather(index, pixels, testOrder, cfg) : none);
}


export interface FolderFileProblem {
  path: string;
  reason: string;
}

export interface FolderVerifyResult {
  directory: string;
  /** One entry per part read: the folder itself, or its train/ and test/. */
  parts: Array<{ directory: string; files: number; classNames: string[] }>;
  problems: FolderFileProblem[];
}

/**
 * Decodes every image of a folder dataset (nothing cached) and lists every one that cannot be used,
 * where a load stops at the first: what `cnn data verify --directory` prints.
 */
export async function verifyFolderDataset(cfg: FolderDatasetConfig, options: Pick<FolderLoadOptions, 'onStatus' | 'concurrency'> = {}): Promise<FolderVerifyResult> {
  const indexOptions = { classNames: cfg.class_names ?? undefined, followLinks: cfg.follow_links };
  const dirs = (await hasTrainTestLayout(cfg.directory)) ? [join(cfg.directory, 'train'), join(cfg.directory, 'test')] : [cfg.directory];
  const result: FolderVerifyResult = { directory: cfg.directory, parts: [], problems: [] };
  for (const dir of dirs) {
    const index = await indexDirectory(dir, indexOptions);
    result.parts.push({ directory: index.directory, files: index.files.length, classNames: index.classNames });
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < index.files.length) {
        const file = index.files[next++];
        try {
          await decodeImage(await readFile(file.path), cfg.color_mode);
        } catch (e) {
          const reason = e instanceof ImageDecodeError ? e.message : `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
          result.problems.push({ path: file.path, reason });
        }
        if (++done % 500 === 0) options.onStatus?.(`checking ${dir}: ${done} of ${index.files.length} images`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4 * threadpoolSize()) }, worker));
  }
  result.problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return result;
}
