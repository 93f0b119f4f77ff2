/**
 * Reads the cached CIFAR-10 batches into uint8 images shaped as keras.datasets.cifar10.load_data()
 * gives them: (count, 32, 32, 3), channels last. A record is one label byte then the image plane by
 * plane (1024 red, 1024 green, 1024 blue values, each row-major), so the planes are interleaved here.
 */
import { join } from 'node:path';
import { CnnError } from '../errors.js';
import { describeFsError } from '../util/atomic-write.js';
import { FileRefused, readRegularFile } from '../util/read-regular-file.js';
import { batchBytes, fetchArchiveDataset, recordBytes, type ArchiveFetchOptions } from './cifar.js';
import type { ArchiveDatasetDefinition, FileRole } from './registry.js';
import type { Dataset, ImageSet } from './index.js';

function readFailure(path: string, e: unknown): CnnError {
  const why = e instanceof FileRefused ? e.message : describeFsError(e);
  return new CnnError('ERR_DATASET_FORMAT', `cannot read ${path}: ${why}`);
}

async function readCached(path: string, maxBytes: number): Promise<Buffer> {
  try {
    return await readRegularFile(path, maxBytes);
  } catch (e) {
    throw readFailure(path, e);
  }
}

/** Decodes whole records (label, R plane, G plane, B plane) into channels-last images. */
export function decodeCifarRecords(bytes: Uint8Array, def: ArchiveDatasetDefinition, file: string, into: ImageSet, first: number): void {
  const [h, w, c] = def.imageShape;
  const plane = h * w;
  const record = recordBytes(def);
  if (bytes.length % record !== 0) {
    throw new CnnError('ERR_DATASET_FORMAT', `${file} is ${bytes.length} bytes, not a whole number of ${record}-byte records`);
  }
  const count = bytes.length / record;
  for (let r = 0; r < count; r++) {
    const at = r * record;
    const label = bytes[at];
    if (label >= def.classes) {
      throw new CnnError('ERR_DATASET_FORMAT', `${file}: record ${r} has label ${label}, not below the number of classes (${def.classes})`);
    }
    into.labels[first + r] = label;
    const out = (first + r) * plane * c;
    for (let ch = 0; ch < c; ch++) {
      const src = at + 1 + ch * plane;
      for (let p = 0; p < plane; p++) into.images[out + p * c + ch] = bytes[src + p];
    }
  }
}

async function loadSplit(def: ArchiveDatasetDefinition, dir: string, batches: string[]): Promise<ImageSet> {
  const [height, width, channels] = def.imageShape;
  const count = batches.length * def.recordsPerBatch;
  const set: ImageSet = { images: new Uint8Array(count * height * width * channels), labels: new Uint8Array(count), count, height, width, channels };
  for (let b = 0; b < batches.length; b++) {
    const path = join(dir, batches[b]);
    const bytes = await readCached(path, batchBytes(def));
    if (bytes.length !== batchBytes(def)) {
      throw new CnnError('ERR_DATASET_FORMAT', `${path} is ${bytes.length} bytes; a ${def.name} batch is ${batchBytes(def)}`);
    }
    decodeCifarRecords(bytes, def, path, set, b * def.recordsPerBatch);
  }
  return set;
}

/** The class names from the archive's list (one a line), which must name each class once. */
async function readClassNames(def: ArchiveDatasetDefinition, dir: string): Promise<string[]> {
  const path = join(dir, def.metaFile);
  const names = (await readCached(path, 64 * 1024))
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (names.length !== def.classes) {
    throw new CnnError('ERR_DATASET_FORMAT', `${path} names ${names.length} classes; ${def.name} has ${def.classes}`);
  }
  return names;
}

/** A batch list as one name for messages: ".../data_batch_1.bin ... data_batch_5.bin". */
function describeBatches(dir: string, batches: string[]): string {
  return batches.length === 1 ? join(dir, batches[0]) : `${join(dir, batches[0])} ... ${batches[batches.length - 1]}`;
}

export async function loadArchiveDataset(def: ArchiveDatasetDefinition, options: ArchiveFetchOptions = {}): Promise<Dataset> {
  const { dir } = await fetchArchiveDataset(def, options);
  const train = describeBatches(dir, def.trainBatches);
  const test = describeBatches(dir, def.testBatches);
  const files: Record<FileRole, string> = { trainImages: train, trainLabels: train, testImages: test, testLabels: test };
  return {
    name: def.name,
    classes: def.classes,
    classNames: await readClassNames(def, dir),
    train: await loadSplit(def, dir, def.trainBatches),
    test: await loadSplit(def, dir, def.testBatches),
    files,
  };
}
