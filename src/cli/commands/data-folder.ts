/**
 * The folder-dataset parts of `cnn data`: `show`/`verify` of a folder given by --directory (or by
 * a config's "dataset": {"directory": ...} with --config), and `export` of a named dataset as a
 * folder of PNGs in Keras's layout.
 */
import { resolve } from 'node:path';
import { usageError } from '../../errors.js';
import { isFolderDataset, type FolderDatasetConfig } from '../../model/config.js';
import { loadConfigFile } from '../../model/validate.js';
import { ConfigError, type Ctx } from '../../model/validate-core.js';
import { readFolderDataset } from '../../model/validate-folder.js';
import { configDirOf } from '../../train/dataset-for-config.js';
import { parseChoice, parsePairOption } from '../parse.js';

export interface FolderFlags {
  directory?: string;
  config?: string;
  imageSize?: string;
  colorMode?: string;
  followLinks?: boolean;
}

/** The folder dataset the flags name, or undefined when they name none (then a dataset name is needed). */
export function folderFromFlags(flags: FolderFlags): FolderDatasetConfig | undefined {
  if (flags.directory !== undefined && flags.config !== undefined) throw usageError('ERR_BAD_OPTION', 'give --directory or --config, not both');
  if (flags.config !== undefined) {
    const config = loadConfigFile(flags.config);
    if (!isFolderDataset(config.dataset)) throw usageError('ERR_BAD_OPTION', `${flags.config} does not name a folder dataset ("dataset": {"directory": ...})`);
    return { ...config.dataset, directory: resolve(configDirOf(flags.config)!, config.dataset.directory) };
  }
  if (flags.directory === undefined) {
    if (flags.imageSize !== undefined || flags.colorMode !== undefined) throw usageError('ERR_BAD_OPTION', '--image-size and --color-mode are for a folder dataset: give --directory too');
    return undefined;
  }
  const raw: Record<string, unknown> = { directory: flags.directory, shuffle: false, follow_links: Boolean(flags.followLinks) };
  if (flags.imageSize !== undefined) raw.image_size = parsePairOption('--image-size', flags.imageSize);
  if (flags.colorMode !== undefined) raw.color_mode = parseChoice('--color-mode', flags.colorMode, ['grayscale', 'rgb', 'rgba'] as const);
  const ctx: Ctx = { issues: [] };
  const cfg = readFolderDataset(ctx, raw, '', undefined);
  if (ctx.issues.length > 0) throw new ConfigError('--directory', ctx.issues);
  return { ...cfg, directory: resolve(flags.directory) };
}
