/** Gets the dataset a model config names, through src/data (cache, local copies, download). */
import { dirname, resolve } from 'node:path';
import type { ModelConfig } from '../model/config.js';
import { loadDataset, type Dataset, type LoadOptions } from '../data/index.js';
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
}

export async function datasetForConfig(config: ModelConfig, req: DatasetRequest = {}): Promise<Dataset> {
  const named = req.name ?? (typeof config.dataset === 'string' ? config.dataset : undefined);
  if (named) return loadDataset(named, { dataDir: req.dataDir, onStatus: req.onStatus, onProgress: req.onProgress });
  const ds = config.dataset;
  if (!ds || typeof ds === 'string') {
    throw usageError('ERR_BAD_CONFIG', 'the model config names no dataset: add "dataset": "mnist" (or "fashion-mnist", or IDX files)');
  }
  const base = req.configDir ?? process.cwd();
  return loadDataset(
    {
      name: 'custom',
      classes: ds.classes,
      classNames: ds.class_names ?? undefined,
      train: { images: resolve(base, ds.train_images), labels: resolve(base, ds.train_labels) },
      test: { images: resolve(base, ds.test_images), labels: resolve(base, ds.test_labels) },
      baseDir: base,
    },
    { onStatus: req.onStatus, onProgress: req.onProgress },
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
