/**
 * A loaded dataset written as a folder of images in Keras's layout, DIR/train/<class>/<index>.png
 * and DIR/test/<class>/<index>.png, which image_dataset_from_directory (and cnn's folder datasets)
 * read back. Pixels are written as they are (8-bit grey, RGB or RGBA PNGs), so reading the folder
 * back with the images' own size gives the same bytes. Index names are zero-padded to one width so
 * that Keras's sorted order within a class is the dataset's order. The folder appears only when
 * complete: it is written beside its final name and renamed at the end.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadSharp } from './sharp-lazy.js';
import { CnnError } from '../errors.js';
import type { Dataset, ImageSet } from './index.js';

export interface ExportImagesOptions {
  /** Only the first `limit` images of each split. */
  limit?: number;
  /** After every few hundred files: how many of how many are written. */
  onProgress?: (written: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * A class name as a folder name on any system: characters that are path separators or not allowed
 * on Windows become "_" ("T-shirt/top" is "T-shirt_top"); "." and ".." and names that would be
 * hidden get a "_" in front; a clash between two classes gets the class index after it.
 */
export function safeClassFolderNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name, i) => {
    // eslint-disable-next-line no-control-regex
    let safe = name.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').replace(/[. ]+$/, (m) => '_'.repeat(m.length));
    if (safe === '' || safe.startsWith('.')) safe = `_${safe}`;
    if (used.has(safe.toLowerCase())) safe = `${safe}_${i}`;
    used.add(safe.toLowerCase());
    return safe;
  });
}

async function writeSplit(set: ImageSet, dir: string, folders: string[], count: number, progress: () => void, signal?: AbortSignal): Promise<void> {
  const sharp = await loadSharp();
  for (const f of folders) await mkdir(join(dir, f), { recursive: true });
  const width = String(Math.max(0, count - 1)).length;
  const per = set.height * set.width * set.channels;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (signal?.aborted) throw signal.reason ?? new CnnError('ERR_INTERRUPTED', 'cancelled', 130);
      const i = next++;
      const pixels = set.images.subarray(i * per, (i + 1) * per);
      const png = await sharp(pixels, { raw: { width: set.width, height: set.height, channels: set.channels as 1 | 3 | 4 } })
        .png({ compressionLevel: 6 })
        .toBuffer();
      await writeFile(join(dir, folders[set.labels[i]], `${String(i).padStart(width, '0')}.png`), png);
      progress();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Writes `dataset` under `outDir` (which must not exist yet, or be an empty folder). Returns the number of files written. */
export async function exportDatasetImages(dataset: Dataset, outDir: string, options: ExportImagesOptions = {}): Promise<number> {
  const out = resolve(outDir);
  const existing = await stat(out).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory() || (await readdir(out)).length > 0) {
      throw new CnnError('ERR_OUTPUT_EXISTS', `${out} already exists and is not an empty folder; remove it or give another --out`, 2);
    }
  }
  if (![1, 3, 4].includes(dataset.train.channels)) {
    throw new CnnError('ERR_BAD_DATASET', `${dataset.name} images have ${dataset.train.channels} channels; PNG takes 1 (grey), 3 (RGB) or 4 (RGBA)`);
  }
  const folders = safeClassFolderNames(dataset.classNames);
  const counts = { train: Math.min(dataset.train.count, options.limit ?? Infinity), test: Math.min(dataset.test.count, options.limit ?? Infinity) };
  const total = counts.train + counts.test;
  const temp = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  let written = 0;
  const progress = () => {
    written++;
    if (written % 500 === 0 || written === total) options.onProgress?.(written, total);
  };
  try {
    await writeSplit(dataset.train, join(temp, 'train'), folders, counts.train, progress, options.signal);
    await writeSplit(dataset.test, join(temp, 'test'), folders, counts.test, progress, options.signal);
    if (existing) await rm(out, { recursive: true });
    await rename(temp, out);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
  return written;
}
