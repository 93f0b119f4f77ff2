/**
 * datasets.load('mnist' | 'fashion-mnist' | 'cifar10'): keras.datasets.*.load_data() for Node. The files come
 * from the cache, a copy on the machine or a mirror, verified against pinned hashes (src/data). The
 * library never draws a spinner: progress goes to onStatus/onProgress when given, else nowhere.
 */
import { loadDataset, type Dataset, type DownloadProgress, type ImageSet } from '../data/index.js';

export type { Dataset, ImageSet, DownloadProgress };

export interface DatasetLoadOptions {
  /** A folder holding the four IDX files (raw or .gz), or for cifar10 cifar-10-binary.tar.gz, tried first. */
  dataDir?: string;
  /** The cache root instead of $CNN_HOME/datasets. */
  cacheDir?: string;
  /** One line per notable step ("copied from ...", "downloading ..."). */
  onStatus?: (message: string) => void;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Only these splits (default both): for mnist and fashion-mnist the other comes back empty (count 0) with its image shape. */
  splits?: readonly ('train' | 'test')[];
  /** For mnist and fashion-mnist: read only the first N training (or test) images and labels; the set's `available` says how many the file holds. */
  trainLimit?: number;
  testLimit?: number;
}

/** A built-in dataset's name; 'cifar-10' is accepted for 'cifar10'. */
export type BuiltinDatasetLoadName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'cifar-10';

async function load(name: BuiltinDatasetLoadName, options: DatasetLoadOptions = {}): Promise<Dataset> {
  return loadDataset(name, {
    dataDir: options.dataDir,
    cacheDir: options.cacheDir,
    signal: options.signal,
    splits: options.splits,
    trainLimit: options.trainLimit,
    testLimit: options.testLimit,
    onStatus: options.onStatus ?? (() => {}),
    onProgress: options.onProgress ?? (() => {}),
  });
}

export const datasets = { load } as const;
