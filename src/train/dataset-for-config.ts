/** Gets the dataset a model config names, through src/data (cache, local copies, download). */
import { dirname, resolve } from 'node:path';
import { isFolderDataset, type ModelConfig } from '../model/config.js';
import { loadFolderDataset } from '../data/folder.js';
import { imageDims, loadDataset, type Dataset, type LoadOptions } from '../data/index.js';
import { usageError } from '../errors.js';

export interface DatasetRequest {
  /** Overrides the config's dataset (e.g. `cnn eval --dataset fashion-mnist`). */
  name?: string;
  /** A folder with the four IDX files (`--data-dir`). */
  dataDir?: string;
  /** The config file's folder: relative IDX paths in a config are taken from there. */
  configDir?: string;
  /** Where fetching reports its steps and download progress (nothing is drawn here). */
  onStatus?: LoadOptions['onStatus'];
  onProgress?: LoadOptions['onProgress'];
  /** Keras's lines for a folder dataset ("Found 60000 files belonging to 10 classes."). */
  onInfo?: (line: string) => void;
  /** The splits the caller uses (default both): an IDX dataset's other split is not read (see LoadOptions). */
  splits?: LoadOptions['splits'];
  /** Only the first N training images (see LoadOptions). */
  trainLimit?: LoadOptions['trainLimit'];
  /** Only the first N test images (see LoadOptions). */
  testLimit?: LoadOptions['testLimit'];
  /** The decoded-image cache of a folder dataset: its root, or false for none. */
  cacheDir?: string;
  cache?: boolean;
}

/**
 * The (height, width, channels) the model's input_shape asks of each image, or undefined when it is
 * not an image shape (then only the number of values is compared, by the caller). A model whose
 * first convolution is channels_first gives input_shape as (channels, height, width).
 */
function expectedImage(config: ModelConfig): [number, number, number] | undefined {
  const s = config.input_shape;
  if (s.length === 2) return [s[0], s[1], 1];
  if (s.length !== 3) return undefined;
  const conv = config.layers.find((l) => l.type === 'Conv2D');
  if (conv && conv.type === 'Conv2D' && conv.data_format === 'channels_first') return [s[1], s[2], s[0]];
  return [s[0], s[1], s[2]];
}

/** Images of another size would be silently misread when only their pixel counts agree (14x56 as 28x28). */
export function checkImagesFitConfig(config: ModelConfig, dataset: Dataset, configLabel = 'the model config'): void {
  const want = expectedImage(config);
  if (!want) return;
  // Dataset images are stored channels last; fed to a channels_first model as they are, colour
  // images would be misread (for one channel both orders are the same bytes).
  const conv = config.layers.find((l) => l.type === 'Conv2D');
  if (conv && conv.type === 'Conv2D' && conv.data_format === 'channels_first' && dataset.train.channels > 1 && config.input_shape.length === 3) {
    const [h, w, c] = [dataset.train.height, dataset.train.width, dataset.train.channels];
    throw usageError(
      'ERR_BAD_CONFIG',
      `the ${dataset.name} images are ${h}x${w}x${c}, channels last, but ${conv.name} (Conv2D) in ${configLabel} is channels_first with input_shape [${config.input_shape.join(', ')}]: ` +
        `cnn feeds dataset images channels last; use data_format "channels_last" and input_shape [${h}, ${w}, ${c}]`,
    );
  }
  for (const split of ['train', 'test'] as const) {
    const set = dataset[split];
    if (set.height === want[0] && set.width === want[1] && set.channels === want[2]) continue;
    const file = dataset.files?.[split === 'train' ? 'trainImages' : 'testImages'];
    const where = file ? `${file} (the ${dataset.name} ${split} images)` : `the ${dataset.name} ${split} images`;
    const dims = [set.available ?? set.count, set.height, set.width, ...(set.channels > 1 ? [set.channels] : [])].join('x');
    throw usageError(
      'ERR_BAD_CONFIG',
      `${where} has dimensions ${dims}, images of ${imageDims(set)}, but input_shape in ${configLabel} is [${config.input_shape.join(', ')}] (${want.join('x')} images)`,
    );
  }
}

export async function datasetForConfig(config: ModelConfig, req: DatasetRequest = {}): Promise<Dataset> {
  const dataset = await loadForConfig(config, req);
  checkImagesFitConfig(config, dataset);
  checkClassesFitConfig(config, dataset);
  return dataset;
}

/** A folder's classes are known once it is read: the last Dense layer must have one unit per class. */
function checkClassesFitConfig(config: ModelConfig, dataset: Dataset): void {
  // With class_names the config check already compared them with the output layer.
  if (!isFolderDataset(config.dataset) || config.dataset.class_names !== null) return;
  const last = config.layers[config.layers.length - 1];
  const units = last && last.type === 'Dense' ? last.units : undefined;
  if (units !== undefined && units !== dataset.classes) {
    throw usageError(
      'ERR_BAD_CONFIG',
      `the image folder ${dataset.name} has ${dataset.classes} classes (${dataset.classNames.join(', ')}) but the last Dense layer of the model config has ${units} units; give it units ${dataset.classes}`,
    );
  }
}

async function loadForConfig(config: ModelConfig, req: DatasetRequest): Promise<Dataset> {
  const named = req.name ?? (typeof config.dataset === 'string' ? config.dataset : undefined);
  if (named) return loadDataset(named, { dataDir: req.dataDir, onStatus: req.onStatus, onProgress: req.onProgress, splits: req.splits, trainLimit: req.trainLimit, testLimit: req.testLimit });
  const ds = config.dataset;
  if (!ds || typeof ds === 'string') {
    throw usageError('ERR_BAD_CONFIG', 'the model config names no dataset: add "dataset": "mnist" (or "fashion-mnist", IDX files, or {"directory": ...})');
  }
  const base = req.configDir ?? process.cwd();
  if (isFolderDataset(ds)) {
    return loadFolderDataset(
      { ...ds, directory: resolve(base, ds.directory) },
      { onInfo: req.onInfo, onStatus: req.onStatus, defaultSeed: config.seed, cacheDir: req.cacheDir, cache: req.cache },
    );
  }
  return loadDataset(
    {
      name: 'custom',
      classes: ds.classes,
      classNames: ds.class_names ?? undefined,
      train: { images: resolve(base, ds.train_images), labels: resolve(base, ds.train_labels) },
      test: { images: resolve(base, ds.test_images), labels: resolve(base, ds.test_labels) },
      baseDir: base,
    },
    { onStatus: req.onStatus, onProgress: req.onProgress, splits: req.splits, trainLimit: req.trainLimit, testLimit: req.testLimit },
  );
}

export function configDirOf(path: string | undefined): string | undefined {
  return path ? dirname(resolve(path)) : undefined;
}

/**
 * The config with its IDX paths made absolute, taken from the config file's folder (or the current
 * one for a config that has no file, such as an old checkpoint's). Training stores this config in
 * the weights file, so `--resume` and `cnn eval` of it find the dataset from any folder.
 */
export function anchorDatasetPaths(config: ModelConfig, configDir: string | undefined): ModelConfig {
  const ds = config.dataset;
  if (!ds || typeof ds === 'string') return config;
  const base = configDir ?? process.cwd();
  if (isFolderDataset(ds)) return { ...config, dataset: { ...ds, directory: resolve(base, ds.directory) } };
  return {
    ...config,
    dataset: {
      ...ds,
      train_images: resolve(base, ds.train_images),
      train_labels: resolve(base, ds.train_labels),
      test_images: resolve(base, ds.test_images),
      test_labels: resolve(base, ds.test_labels),
    },
  };
}
