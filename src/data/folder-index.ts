/**
 * Which files a folder dataset holds, in Keras's order: keras.utils.image_dataset_from_directory's
 * index_directory. Class names are the subfolders (not starting with "."), sorted as Python sorts
 * strings (by code point); each class folder is walked recursively (a symlinked subfolder only with
 * followLinks, as os.walk), roots sorted, file names sorted within a root, and only names ending
 * (case-insensitively) in .bmp .gif .jpeg .jpg .png are kept. With shuffle the list is permuted by
 * numpy's RandomState(seed).shuffle; the validation subset is then the LAST
 * int(validation_split * count) files, the training subset the rest (get_training_or_validation_split).
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CnnError } from '../errors.js';
import { numpyShuffle } from './numpy-shuffle.js';

/** Keras's ALLOWLIST_FORMATS (image_dataset_utils.py); anything else is skipped, as Keras skips it. */
export const IMAGE_EXTENSIONS = ['.bmp', '.gif', '.jpeg', '.jpg', '.png'] as const;

export interface IndexedFile {
  /** Relative to the dataset folder, with "/" (Keras's file_paths are directory + this). */
  relPath: string;
  path: string;
  label: number;
  size: number;
  mtimeMs: number;
}

export interface FolderIndex {
  directory: string;
  classNames: string[];
  /** In Keras's sorted order (before any shuffle). */
  files: IndexedFile[];
}

/** Python's default str ordering: by code point (JavaScript's < compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function folderError(message: string): CnnError {
  return new CnnError('ERR_DATASET_UNAVAILABLE', message, 2);
}

async function describeMissing(directory: string): Promise<CnnError | undefined> {
  const s = await stat(directory).catch((e: NodeJS.ErrnoException) => e);
  if (s instanceof Error) {
    if (s.code === 'ENOENT') return folderError(`the image folder ${directory} does not exist`);
    return folderError(`the image folder ${directory} cannot be read (${s.code ?? s.message})`);
  }
  if (!s.isDirectory()) return folderError(`${directory} is a file, not a folder of class subfolders`);
  return undefined;
}

/** The class subfolders of `directory`, sorted as Keras sorts them (symlinked folders count, as os.path.isdir follows them). */
export async function listClassFolders(directory: string): Promise<string[]> {
  const missing = await describeMissing(directory);
  if (missing) throw missing;
  const names = await readdir(directory);
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const s = await stat(join(directory, name)).catch(() => undefined);
    if (s?.isDirectory()) out.push(name);
  }
  return out.sort(compareCodePoints);
}

interface WalkState {
  followLinks: boolean;
  /** dev:ino of the folders on the current path: a link back to one of them is a loop. */
  ancestors: Set<string>;
}

/** os.walk(top, followlinks) flattened to [root, sorted file names], roots sorted as Keras sorts them. */
async function walk(root: string, rel: string, state: WalkState, out: Array<{ root: string; rel: string; names: string[] }>): Promise<void> {
  const here = await stat(root);
  const id = `${here.dev}:${here.ino}`;
  if (state.ancestors.has(id)) {
    throw folderError(`${root} is a symbolic link back into a folder that contains it (a loop); remove the link or set follow_links to false`);
  }
  state.ancestors.add(id);
  const entries = await readdir(root, { withFileTypes: true });
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of entries) {
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      const target = await stat(join(root, e.name)).catch(() => undefined);
      isDir = target?.isDirectory() ?? false;
      if (isDir && !state.followLinks) continue; // os.walk lists it among dirs but does not enter it
    }
    (isDir ? dirs : files).push(e.name);
  }
  out.push({ root, rel, names: files });
  for (const d of dirs) await walk(join(root, d), rel ? `${rel}/${d}` : d, state, out);
  state.ancestors.delete(id);
}

function hasImageExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Keras's index_subdirectory for one class folder: its image files with their sizes and times. */
async function indexClass(directory: string, className: string, label: number, followLinks: boolean): Promise<IndexedFile[]> {
  const top = join(directory, className);
  const roots: Array<{ root: string; rel: string; names: string[] }> = [];
  await walk(top, '', { followLinks, ancestors: new Set() }, roots);
  // Keras sorts the walk by its root path strings.
  roots.sort((a, b) => compareCodePoints(a.root, b.root));
  const candidates: Array<{ path: string; relPath: string }> = [];
  for (const { root, rel, names } of roots) {
    for (const name of names.sort(compareCodePoints)) {
      if (hasImageExtension(name)) candidates.push({ path: join(root, name), relPath: [className, ...(rel ? [rel] : []), name].join('/') });
    }
  }
  // Sizes and times for the cache key: many stats in flight (one at a time costs a round trip to libuv's pool each).
  const out: IndexedFile[] = new Array(candidates.length);
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const i = next++;
      const { path, relPath } = candidates[i];
      const s = await stat(path).catch(async (e: NodeJS.ErrnoException) => {
        const link = await lstat(path).catch(() => undefined);
        const why = link?.isSymbolicLink() ? 'is a symbolic link to nothing' : `cannot be read (${e.code ?? e.message})`;
        throw folderError(`${path} ${why}`);
      });
      if (!s.isFile()) throw folderError(`${path} has an image extension but is not a regular file`);
      out[i] = { relPath, path, label, size: s.size, mtimeMs: s.mtimeMs };
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, candidates.length) }, worker));
  return out;
}

export interface IndexOptions {
  /** Keras's class_names: an explicit order (each must be a subfolder); default: every subfolder, sorted. */
  classNames?: readonly string[];
  followLinks?: boolean;
}

/** Lists the class folders and image files of a folder dataset, sorted as Keras sorts them. */
export async function indexDirectory(directory: string, options: IndexOptions = {}): Promise<FolderIndex> {
  const found = await listClassFolders(directory);
  let classNames = found;
  if (options.classNames) {
    const missing = options.classNames.filter((n) => !found.includes(n));
    if (missing.length > 0) {
      throw folderError(`${directory} has no class folder ${missing.map((m) => JSON.stringify(m)).join(', ')}; its class folders are: ${found.join(', ') || '(none)'}`);
    }
    classNames = [...options.classNames];
  }
  if (classNames.length === 0) {
    throw folderError(`${directory} holds no class folders: put each class's images in a subfolder named after the class (${directory}/cats/..., ${directory}/dogs/...)`);
  }
  if (classNames.length > 256) throw folderError(`${directory} has ${classNames.length} class folders; cnn takes at most 256 classes`);
  const files: IndexedFile[] = [];
  for (let label = 0; label < classNames.length; label++) {
    files.push(...(await indexClass(directory, classNames[label], label, options.followLinks ?? false)));
  }
  // Keep the realpath for messages and the cache key: the same folder reached by two paths is one dataset.
  return { directory: await realpath(directory), classNames, files };
}

export type Subset = 'training' | 'validation';

/** Keras's order after index_directory: the sorted files, shuffled by numpy's RandomState(seed) when asked. */
export function kerasOrder(count: number, shuffle: boolean, seed: number | undefined): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (shuffle && seed !== undefined) numpyShuffle(order, seed);
  return order;
}

/** How many of `count` files Keras puts in the validation subset: int(validation_split * count). */
export function validationCount(count: number, validationSplit: number): number {
  return Math.trunc(validationSplit * count);
}

/** get_training_or_validation_split: validation is the last int(split * n), training the rest. */
export function subsetOf(order: readonly number[], validationSplit: number | undefined, subset: Subset): number[] {
  if (!validationSplit) return [...order];
  // Python's int(validation_split * len(samples)): the product in double precision, truncated.
  const numVal = validationCount(order.length, validationSplit);
  return subset === 'training' ? order.slice(0, order.length - numVal) : order.slice(order.length - numVal);
}
