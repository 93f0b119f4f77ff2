/**
 * The datasets API: `loadDataset('mnist')` gets the files (cache, copies on the machine, mirrors),
 * verifies them and returns the images as uint8, the way keras.datasets.*.load_data() does. A
 * config may instead name its own IDX files (EMNIST, KMNIST ...) with their number of classes.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CnnError, usageError } from '../errors.js';
import { readIdxFile } from './idx.js';
import { describeNonRegular } from '../util/read-regular-file.js';
import { FILE_ROLES, getDataset, isArchiveDataset, listDatasets, type AnyDatasetDefinition, type DatasetDefinition, type FileRole, type SplitName } from './registry.js';
import { fetchArchiveDataset, inspectArchiveCache } from './cifar.js';
import { loadArchiveDataset } from './cifar-load.js';
import { fetchDatasetFiles, inspectCache, localCopiesPresent, type FetchOptions, type FetchedDataset } from './sources.js';
import type { DownloadProgress } from './download.js';

export { parseIdx, readIdxFile, encodeIdx, type IdxArray } from './idx.js';
export { registerDataset, unregisterDataset, listDatasets, getDataset, isArchiveDataset, FILE_ROLES } from './registry.js';
export type { DatasetDefinition, ArchiveDatasetDefinition, AnyDatasetDefinition, PinnedFile, FileRole, SplitName, LocalCopy } from './registry.js';
export { fetchArchiveDataset, type ArchiveFetched } from './cifar.js';
export { fetchDatasetFiles, type FetchOptions, type FetchedDataset } from './sources.js';
export { resolveCache } from './cache.js';
export { type DownloadProgress } from './download.js';
export { renderImage, type RenderOptions } from './render.js';

export interface ImageSet {
  /** count*height*width*channels bytes, row-major (NHWC). May be a view with a non-zero byteOffset. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** How many the file holds, when only the first `count` were read (LoadOptions splits, trainLimit, testLimit). */
  available?: number;
  height: number;
  width: number;
  channels: number;
}

export interface Dataset {
  name: string;
  classes: number;
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
  /** Where the four files were read from (for messages that name them). */
  files?: Record<FileRole, string>;
}

/** A dataset given by its files rather than by name, e.g. from a config: EMNIST, KMNIST, your own. */
export interface DatasetSource {
  name?: string;
  classes: number;
  classNames?: string[];
  /** A directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-... (raw or .gz). */
  dir?: string;
  /** Explicit files; each overrides the one found in `dir`. */
  train?: { images: string; labels: string };
  test?: { images: string; labels: string };
  /** Relative paths are taken from here (the config file's directory); default: the working directory. */
  baseDir?: string;
}

/** Progress goes to onStatus/onProgress only: src/data draws nothing (the CLI turns them into a spinner). */
export type LoadOptions = FetchOptions & {
  /**
   * The splits to read (default both). Another split of an IDX dataset comes back empty (count 0,
   * no images) with its image shape, read from the file's header: `cnn eval` needs only the test set.
   */
  splits?: readonly SplitName[];
  /** Read only the first N training images and labels (`cnn train --limit N`): ImageSet.available is the file's count. */
  trainLimit?: number;
  /** Read only the first N test images and labels (`cnn bench train --eval-images N`, `cnn data show --index`). */
  testLimit?: number;
};

export function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

export function formatProgress(p: DownloadProgress): string {
  const of = p.total ? ` of ${formatBytes(p.total)} (${Math.floor((100 * p.received) / p.total)}%)` : '';
  return `${p.file}: ${formatBytes(p.received)}${of}, ${formatBytes(p.bytesPerSecond)}/s`;
}

/** What `cnn data fetch` reports: the cache folder, each file there and where each came from. */
export interface FetchResult {
  dir: string;
  cache: FetchedDataset['cache'];
  files: Record<string, string>;
  origins: Record<string, string>;
}

/** Makes sure a named dataset is in the cache and verified (what `cnn data fetch` does). */
export async function fetchDataset(name: string, options: LoadOptions = {}): Promise<FetchResult> {
  const def = getDataset(name);
  if (isArchiveDataset(def)) return fetchArchiveDataset(def, options);
  return fetchDatasetFiles(def, options);
}

async function loadSplit(images: string, labels: string, classes: number, split: SplitName, options: LoadOptions): Promise<ImageSet> {
  const maxItems = !(options.splits ?? ['train', 'test']).includes(split) ? 0 : split === 'train' ? options.trainLimit : options.testLimit;
  const imageIdx = await readIdxFile(images, { maxItems });
  const labelIdx = await readIdxFile(labels, { maxItems });
  if (imageIdx.dims.length !== 3 && imageIdx.dims.length !== 4) {
    throw new CnnError('ERR_IDX_FORMAT', `${images} has dimensions ${imageIdx.dims.join('x')}; images need 3 (count, height, width) or 4 (… channels)`);
  }
  if (labelIdx.dims.length !== 1) {
    throw new CnnError('ERR_IDX_FORMAT', `${labels} has dimensions ${labelIdx.dims.join('x')}; labels need 1 (count)`);
  }
  const [count, height, width, channels = 1] = imageIdx.dims;
  const bad = labelIdx.data.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new CnnError('ERR_IDX_FORMAT', `${labels}: label ${labelIdx.data[bad]} at index ${bad} is not below the number of classes (${classes})`);
  }
  if (labelIdx.available !== imageIdx.available) {
    throw new CnnError('ERR_IDX_FORMAT', `the ${split} split has ${imageIdx.available} images in ${images} but ${labelIdx.available} labels in ${labels}`);
  }
  const set: ImageSet = { images: imageIdx.data, labels: labelIdx.data, count, height, width, channels };
  if (imageIdx.available !== count) set.available = imageIdx.available;
  return set;
}

function checkClasses(source: DatasetSource): void {
  if (!Number.isInteger(source.classes) || source.classes < 1 || source.classes > 256) {
    throw usageError('ERR_BAD_DATASET', `dataset classes must be an integer from 1 to 256, got ${JSON.stringify(source.classes)}`);
  }
  if (source.classNames && source.classNames.length !== source.classes) {
    throw usageError('ERR_BAD_DATASET', `dataset classNames has ${source.classNames.length} names for ${source.classes} classes`);
  }
}

/** The four file paths of a DatasetSource, relative paths resolved from its baseDir. */
function sourceFiles(source: DatasetSource): Record<FileRole, string> {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(source.baseDir ?? process.cwd(), p));
  const std = (getDataset('mnist') as DatasetDefinition).files; // the standard names, which EMNIST-style directories use too
  const fromDir = (role: FileRole) => (source.dir ? join(at(source.dir), std[role].name) : undefined);
  const files = {
    trainImages: source.train?.images ? at(source.train.images) : fromDir('trainImages'),
    trainLabels: source.train?.labels ? at(source.train.labels) : fromDir('trainLabels'),
    testImages: source.test?.images ? at(source.test.images) : fromDir('testImages'),
    testLabels: source.test?.labels ? at(source.test.labels) : fromDir('testLabels'),
  };
  const missing = FILE_ROLES.filter((r) => !files[r]);
  if (missing.length > 0) {
    const which = source.name ? `dataset ${source.name}` : 'a dataset given by its files';
    throw usageError('ERR_BAD_DATASET', `${which} needs "dir" or train/test images and labels; missing: ${missing.join(', ')}`);
  }
  return files as Record<FileRole, string>;
}

/** In a DatasetSource dir, a file may be stored raw or as .gz; something else under its name is named. */
async function existingVariant(path: string): Promise<string> {
  const found: string[] = [];
  for (const candidate of [path, `${path}.gz`]) {
    const stats = await stat(candidate).catch(() => undefined);
    if (!stats) continue;
    const kind = describeNonRegular(stats);
    if (!kind) return candidate;
    found.push(`${candidate} is ${kind}, not a regular file`);
  }
  if (found.length > 0) throw new CnnError('ERR_DATASET_UNAVAILABLE', `dataset file ${found.join('; ')}`);
  throw new CnnError('ERR_DATASET_UNAVAILABLE', `dataset file ${path} (or ${path}.gz) does not exist`);
}

/**
 * Loads a dataset by name (fetching and verifying it if needed) or from a DatasetSource's files.
 * Images stay uint8: MNIST costs about 55 MB.
 */
export async function loadDataset(nameOrSource: string | DatasetSource, options: LoadOptions = {}): Promise<Dataset> {
  if (typeof nameOrSource === 'string') {
    const def = getDataset(nameOrSource);
    if (isArchiveDataset(def)) return loadArchiveDataset(def, options);
    const { files } = await fetchDatasetFiles(def, options);
    return sameImageShape({
      name: def.name,
      classes: def.classes,
      classNames: [...def.classNames],
      train: await loadSplit(files.trainImages, files.trainLabels, def.classes, 'train', options),
      test: await loadSplit(files.testImages, files.testLabels, def.classes, 'test', options),
      files: { ...files },
    });
  }
  const source = nameOrSource;
  checkClasses(source);
  const files = sourceFiles(source);
  for (const role of FILE_ROLES) files[role] = await existingVariant(files[role]);
  return sameImageShape({
    name: source.name ?? 'custom',
    classes: source.classes,
    classNames: source.classNames ? [...source.classNames] : Array.from({ length: source.classes }, (_, i) => String(i)),
    train: await loadSplit(files.trainImages, files.trainLabels, source.classes, 'train', options),
    test: await loadSplit(files.testImages, files.testLabels, source.classes, 'test', options),
    files,
  });
}

/** "28x28x1": an image set's height, width and channels. */
export function imageDims(set: Pick<ImageSet, 'height' | 'width' | 'channels'>): string {
  return `${set.height}x${set.width}x${set.channels}`;
}

/** A model sees one image size: test images shaped unlike the training images are refused. */
function sameImageShape(dataset: Dataset & { files: Record<FileRole, string> }): Dataset {
  const { train, test, files } = dataset;
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new CnnError(
      'ERR_IDX_FORMAT',
      `the test images ${files.testImages} are ${imageDims(test)} but the training images ${files.trainImages} are ${imageDims(train)}; both splits must have the same image size`,
    );
  }
  return dataset;
}

export interface FileStatus {
  name: string;
  path: string;
  ok: boolean;
  reason?: string;
}

export interface DatasetStatus {
  name: string;
  description: string;
  classes: number;
  dir: string;
  /** verified: all files pass (four IDX files, or an archive's members and manifest); missing: none there; incomplete or damaged otherwise. */
  state: 'verified' | 'missing' | 'incomplete' | 'damaged';
  files: FileStatus[];
  /** Copies on this machine that `cnn data fetch` can use without a network. */
  offlineCopies: string[];
}

export interface VerifyOptions {
  cacheDir?: string;
  /**
   * Trust the stamp that an earlier check left beside a file, while the file's size, inode, mtime and
   * ctime are unchanged (a quick look: `cnn data list`). Default false: every file is hashed again.
   */
  useStamp?: boolean;
}

/** Checks the cached files of a dataset against their pinned hashes; fetches and moves nothing. */
export async function verifyDataset(name: string, options: VerifyOptions = {}): Promise<DatasetStatus> {
  return statusOf(getDataset(name), options);
}

async function statusOf(def: AnyDatasetDefinition, options: VerifyOptions): Promise<DatasetStatus> {
  const { cacheDir, useStamp } = options;
  if (isArchiveDataset(def)) {
    const { dir, state, checks } = await inspectArchiveCache(def, cacheDir, { useStamp });
    const list = checks.map(({ name, path, check }) => (check.ok ? { name, path, ok: true } : { name, path, ok: false, reason: check.reason }));
    return { name: def.name, description: def.description, classes: def.classes, dir, state, files: list, offlineCopies: [] };
  }
  const { dir, files } = await inspectCache(def, cacheDir, { useStamp });
  const list: FileStatus[] = FILE_ROLES.map((role) => {
    const c = files[role];
    return c.ok ? { name: def.files[role].name, path: c.path, ok: true } : { name: def.files[role].name, path: c.path, ok: false, reason: c.reason };
  });
  const checks = FILE_ROLES.map((r) => files[r]);
  const state = checks.every((c) => c.ok)
    ? 'verified'
    : checks.some((c) => !c.ok && !c.missing)
      ? 'damaged'
      : checks.every((c) => !c.ok && c.missing)
        ? 'missing'
        : 'incomplete';
  return { name: def.name, description: def.description, classes: def.classes, dir, state, files: list, offlineCopies: await localCopiesPresent(def) };
}

/**
 * Every known dataset with where it is and whether it is verified (`cnn data list`): a file that an
 * earlier check stamped and that has not changed since is not hashed again (useStamp: false hashes all).
 */
export async function listDatasetStatus(options: VerifyOptions = {}): Promise<DatasetStatus[]> {
  const out: DatasetStatus[] = [];
  for (const def of listDatasets()) out.push(await statusOf(def, { useStamp: true, ...options }));
  return out;
}
