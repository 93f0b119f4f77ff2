/** `cnn data list|fetch|verify|show`: the datasets in the cache, getting them, checking them, looking at one image. */
import { Command } from 'commander';
import { CnnError, usageError } from '../../errors.js';
import { datasetImageCanvas } from '../../viz/dataset-image.js';
import { parseChoice, parseIntOption, parseNumberOption } from '../parse.js';
import { datasetSpinner } from '../dataset-spinner.js';
import {
  fetchDataset,
  getDataset,
  listDatasetStatus,
  loadDataset,
  renderImage,
  verifyDataset,
  type DatasetStatus,
  type LoadOptions,
} from '../../data/index.js';
import { loadFolderDataset, verifyFolderDataset } from '../../data/folder.js';
import { exportDatasetImages } from '../../data/export-images.js';
import { folderFromFlags, type FolderFlags } from './data-folder.js';

function folderOptions(command: Command): Command {
  return command
    .option('--directory <dir>', 'a folder of images, one subfolder per class (instead of a dataset name)')
    .option('--config <file>', 'the folder dataset a model config names ("dataset": {"directory": ...})')
    .option('--image-size <h,w>', 'with --directory: resize to this (default 256,256, as Keras)')
    .option('--color-mode <mode>', 'with --directory: grayscale, rgb (default) or rgba')
    .option('--follow-links', 'with --directory: enter symlinked subfolders');
}

function needName(name: string | undefined, what: string): string {
  if (name === undefined) throw usageError('ERR_BAD_OPTION', `${what} needs a dataset name (see cnn data list), --directory or --config`);
  return name;
}

interface NetworkFlags {
  dataDir?: string;
  timeout?: string;
  json?: boolean;
}

function loadOptions(flags: NetworkFlags): LoadOptions {
  const options: LoadOptions = { dataDir: flags.dataDir };
  if (flags.timeout !== undefined) options.idleTimeoutMs = parseNumberOption('--timeout', flags.timeout, 0.001) * 1000;
  return options;
}

/** Fetches (or loads) with a spinner that ends on "<name>: verified in <dir>" or "<name>: not available". */
async function withDatasetSpinner<T>(name: string, flags: NetworkFlags, run: (options: LoadOptions) => Promise<T>, dirOf?: (r: T) => string): Promise<T> {
  const options = loadOptions(flags);
  const spinner = datasetSpinner(flags.json);
  try {
    const r = await run({ ...options, onStatus: spinner.onStatus, onProgress: spinner.onProgress });
    spinner.finish(true, dirOf ? `${name}: verified in ${dirOf(r)}` : `${name}: verified`);
    return r;
  } catch (e) {
    spinner.finish(false, `${name}: not available`);
    throw e;
  }
}

function describe(s: DatasetStatus): string {
  const where =
    s.state === 'verified'
      ? `${s.dir} (verified)`
      : s.state === 'missing'
        ? s.offlineCopies.length > 0
          ? `not fetched; available offline from ${s.offlineCopies.join(', ')}`
          : 'not fetched'
        : `${s.dir} (${s.state}: ${s.files.filter((f) => !f.ok).map((f) => `${f.name} ${f.reason}`).join('; ')})`;
  return `${s.name.padEnd(14)} ${String(s.classes).padStart(3)} classes  ${where}`;
}

function listCommand(): Command {
  return new Command('list')
    .description('each known dataset, where it is, and whether its files are verified')
    .option('--json', 'print one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const statuses = await listDatasetStatus();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(statuses)}\n`);
        return;
      }
      for (const s of statuses) process.stdout.write(`${describe(s)}\n`);
    });
}

function fetchCommand(): Command {
  return new Command('fetch')
    .description('get a dataset into the cache: the cache, copies on this machine, then the mirrors (CNN_DATASET_MIRROR first)')
    .argument('<name>', 'dataset name (see cnn data list)')
    .option('--data-dir <dir>', 'a directory with the four IDX files (raw or .gz), or for cifar10 cifar-10-binary.tar.gz, used before any other source')
    .option('--timeout <seconds>', 'give up on a mirror after this many seconds without data (default 30)')
    .option('--json', 'print one JSON object')
    .action(async (name: string, flags: NetworkFlags) => {
      const fetched = await withDatasetSpinner(getDataset(name).name, flags, (o) => fetchDataset(name, o), (f) => f.dir);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ name, dir: fetched.dir, files: fetched.files, origins: fetched.origins })}\n`);
        return;
      }
      const origins = [...new Set(Object.values(fetched.origins))];
      process.stdout.write(`${name}: verified in ${fetched.dir} (from ${origins.join(', ')})\n`);
    });
}

function verifyCommand(): Command {
  return folderOptions(new Command('verify'))
    .description('check the cached files of a dataset against their pinned SHA-256, or decode every image of a folder (exit code 1 if any fails)')
    .argument('[name]', 'dataset name')
    .option('--json', 'print one JSON object')
    .action(async (nameArg: string | undefined, opts: { json?: boolean } & FolderFlags) => {
      const folder = folderFromFlags(opts);
      if (folder) {
        if (nameArg !== undefined) throw usageError('ERR_BAD_OPTION', 'give a dataset name or --directory/--config, not both');
        const spinner = datasetSpinner(opts.json);
        const result = await verifyFolderDataset(folder, { onStatus: spinner.onStatus });
        spinner.finish(result.problems.length === 0);
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          for (const p of result.parts) process.stdout.write(`Found ${p.files} files belonging to ${p.classNames.length} classes in ${p.directory}.\n`);
          for (const p of result.problems) process.stdout.write(`FAIL  ${p.path}: ${p.reason}\n`);
        }
        if (result.problems.length > 0) {
          const n = result.problems.length;
          throw new CnnError('ERR_BAD_IMAGE', `${n} image${n === 1 ? '' : 's'} in ${folder.directory} cannot be used; the first: ${result.problems[0].path} ${result.problems[0].reason}`);
        }
        if (!opts.json) process.stdout.write(`ok    every image decodes\n`);
        return;
      }
      const name = needName(nameArg, 'cnn data verify');
      const status = await verifyDataset(name);
      if (opts.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else for (const f of status.files) process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.path}${f.ok ? '' : `: ${f.reason}`}\n`);
      if (status.state !== 'verified') {
        throw new CnnError('ERR_DATASET_UNVERIFIED', `${name} is ${status.state} in ${status.dir}; run: cnn data fetch ${name}`);
      }
    });
}

function showCommand(): Command {
  return folderOptions(new Command('show'))
    .description('print one image as a picture in characters (colour images in grey), with its label; --png writes it in colour')
    .argument('[name]', 'dataset name')
    .requiredOption('--index <i>', 'which image (0-based)')
    .option('--split <split>', 'train or test', 'train')
    .option('--invert', 'dark on light')
    .option('--png <file.png>', 'also write the image as a PNG (in colour for RGB datasets such as cifar10), 8 screen pixels per pixel')
    .option('--data-dir <dir>', 'a directory with the four IDX files (or cifar-10-binary.tar.gz), if the dataset is not cached yet')
    .option('--timeout <seconds>', 'give up on a mirror after this many seconds without data')
    .action(async (nameArg: string | undefined, flags: NetworkFlags & FolderFlags & { index: string; split: string; invert?: boolean; png?: string }) => {
      const folder = folderFromFlags(flags);
      if (folder && nameArg !== undefined) throw usageError('ERR_BAD_OPTION', 'give a dataset name or --directory/--config, not both');
      const name = folder ? folder.directory : needName(nameArg, 'cnn data show');
      if (!folder) getDataset(name); // an unknown name is a usage error before anything is loaded
      if (flags.png !== undefined && !flags.png.toLowerCase().endsWith('.png')) throw usageError('ERR_BAD_OPTION', `--png must name a .png file, got ${JSON.stringify(flags.png)}`);
      const split = parseChoice('--split', flags.split, ['train', 'test'] as const);
      const index = parseIntOption('--index', flags.index, 0);
      const dataset = folder
        ? await (async () => {
            const spinner = datasetSpinner(flags.json);
            try {
              return await loadFolderDataset(folder, { onInfo: spinner.onInfo, onStatus: spinner.onStatus });
            } finally {
              spinner.finish(true);
            }
          })()
        : await withDatasetSpinner(getDataset(name).name, flags, (o) =>
            loadDataset(name, { ...o, splits: [split], [split === 'train' ? 'trainLimit' : 'testLimit']: index + 1 }),
          );
      const set = dataset[split];
      const held = set.available ?? set.count;
      if (held === 0) throw new CnnError('ERR_BAD_OPTION', `the ${split} split of ${name} holds no images`, 2);
      if (index >= set.count) {
        throw new CnnError('ERR_BAD_OPTION', `--index must be between 0 and ${held - 1} for the ${split} split, got ${index}`, 2);
      }
      const label = set.labels[index];
      process.stdout.write(`${dataset.name} ${split}[${index}]: label ${label} (${dataset.classNames[label]})\n`);
      process.stdout.write(`${renderImage(set, index, { invert: flags.invert })}\n`);
      if (flags.png !== undefined) {
        const canvas = datasetImageCanvas(set, index);
        await canvas.writePng(flags.png);
        process.stdout.write(`wrote ${flags.png} (${canvas.width}x${canvas.height}, ${set.channels === 3 ? 'RGB' : 'grey'})\n`);
      }
    });
}

function exportCommand(): Command {
  return new Command('export')
    .description("write a dataset as PNG files in Keras's folder layout: OUT/train/<class>/<index>.png and OUT/test/...")
    .argument('<name>', 'dataset name (see cnn data list)')
    .requiredOption('--out <dir>', 'the folder to create (it must not exist, or be empty)')
    .option('--format <format>', 'image format: png', 'png')
    .option('--limit <n>', 'only the first n images of each split')
    .option('--data-dir <dir>', 'a directory with the four IDX files, if the dataset is not cached yet')
    .option('--timeout <seconds>', 'give up on a mirror after this many seconds without data')
    .action(async (name: string, flags: NetworkFlags & { out: string; format: string; limit?: string }) => {
      getDataset(name);
      parseChoice('--format', flags.format, ['png'] as const);
      const limit = flags.limit === undefined ? undefined : parseIntOption('--limit', flags.limit, 1);
      const dataset = await withDatasetSpinner(getDataset(name).name, flags, (o) => loadDataset(name, { ...o, trainLimit: limit, testLimit: limit }));
      const spinner = datasetSpinner(false);
      let written = 0;
      try {
        written = await exportDatasetImages(dataset, flags.out, { limit, onProgress: (done, total) => spinner.onStatus(`writing ${done} of ${total} PNG files`) });
      } finally {
        spinner.finish(written > 0);
      }
      process.stdout.write(`${name}: wrote ${written} PNG files to ${flags.out} (train/ and test/, one folder per class)\n`);
    });
}

export function dataCommand(): Command {
  const data = new Command('data').description('datasets: list, fetch, verify, show, export');
  for (const sub of [listCommand(), fetchCommand(), verifyCommand(), showCommand(), exportCommand()]) data.addCommand(sub);
  return data;
}
