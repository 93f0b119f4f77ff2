/**
 * imageDatasetFromDirectory(dir, options): keras.utils.image_dataset_from_directory for Node, as a
 * Dataset that fit and evaluate take (fit uses `train`, evaluate `test`). Options take Keras's
 * names in camelCase (imageSize, colorMode, validationSplit) or snake_case (image_size ...), checked
 * as a config's "dataset": {"directory": ...} is. Keras's "Found N files belonging to C classes."
 * goes to onInfo (nowhere by default): the library prints nothing.
 */
import { resolve } from 'node:path';
import { loadFolderDataset, type FolderDataset, type FolderLoadOptions } from '../data/folder.js';
import { ConfigError, type Ctx } from '../model/validate-core.js';
import { readFolderDataset } from '../model/validate-folder.js';
import { usageError } from '../errors.js';
import { isPlainObject, toSnakeKeys } from './keys.js';

export type { FolderDataset };

export interface ImageFolderOptions extends FolderLoadOptions {
  labelMode?: 'int' | 'categorical';
  classNames?: string[];
  colorMode?: 'grayscale' | 'rgb' | 'rgba';
  imageSize?: number | [number, number];
  shuffle?: boolean;
  seed?: number;
  validationSplit?: number;
  subset?: 'training' | 'validation' | 'both';
  interpolation?: 'bilinear';
  followLinks?: boolean;
  cropToAspectRatio?: boolean;
  padToAspectRatio?: boolean;
  [snakeCaseKey: string]: unknown;
}

const RUNTIME_KEYS = ['cache_dir', 'cache', 'on_info', 'on_status', 'concurrency', 'default_seed', 'signal'] as const;

export async function imageDatasetFromDirectory(directory: string, options: ImageFolderOptions = {}): Promise<FolderDataset> {
  if (typeof directory !== 'string' || directory.length === 0) throw usageError('ERR_BAD_OPTION', 'imageDatasetFromDirectory(): the first argument is the folder of class subfolders');
  if (!isPlainObject(options)) throw usageError('ERR_BAD_OPTION', 'imageDatasetFromDirectory(): options must be an object such as { imageSize: [64, 64] }');
  const snake = toSnakeKeys(options, 'imageDatasetFromDirectory()');
  const runtime: Record<string, unknown> = {};
  for (const key of RUNTIME_KEYS) {
    if (key in snake) runtime[key] = snake[key];
    delete snake[key];
  }
  const ctx: Ctx = { issues: [] };
  const cfg = readFolderDataset(ctx, { ...snake, directory }, '', undefined);
  if (ctx.issues.length > 0) throw new ConfigError('imageDatasetFromDirectory()', ctx.issues);
  return loadFolderDataset(
    { ...cfg, directory: resolve(directory) },
    {
      cacheDir: runtime.cache_dir as string | undefined,
      cache: runtime.cache as boolean | undefined,
      onInfo: runtime.on_info as FolderLoadOptions['onInfo'],
      onStatus: runtime.on_status as FolderLoadOptions['onStatus'],
      concurrency: runtime.concurrency as number | undefined,
      defaultSeed: runtime.default_seed as number | undefined,
      signal: runtime.signal as AbortSignal | undefined,
    },
  );
}
