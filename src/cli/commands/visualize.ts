/** `cnn visualize`: one PNG sheet of a trained network's filters and feature maps for a test image. */
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { datasetForConfig } from '../../train/dataset-for-config.js';
import { loadTrainedModel } from '../../train/model.js';
import { buildSheet, renderSheet } from '../../viz/sheet.js';
import type { FilterChannelMode } from '../../viz/sheet-data.js';
import { parseChoice, parseIntOption } from '../parse.js';
import { createSpinner } from '../spinner.js';
import { spinnerCallbacks } from '../dataset-spinner.js';
import { warnIfOtherDataset } from '../warning.js';

interface VisualizeOptions {
  weights: string;
  index: string;
  layer: string[];
  filters: string;
  out: string;
  dataset?: string;
  dataDir?: string;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function visualize(opts: VisualizeOptions): Promise<{ path: string; width: number; height: number; sections: string[] }> {
  if (!opts.out.toLowerCase().endsWith('.png')) throw usageError('ERR_BAD_OPTION', `--out must name a .png file, got ${JSON.stringify(opts.out)}`);
  const index = parseIntOption('--index', opts.index, 0);
  const filterChannels = parseChoice<FilterChannelMode>('--filters', opts.filters, ['mean', 'all']);
  const spinner = createSpinner({ json: opts.json });
  spinner.start(`Loading ${opts.weights}`);
  try {
    const { config, net } = await loadTrainedModel(opts.weights);
    spinner.stop();
    warnIfOtherDataset(opts.weights, config, opts.dataset, 'drawing it');
    spinner.start('Loading the dataset');
    const dataset = await datasetForConfig(config, { name: opts.dataset, dataDir: opts.dataDir, splits: ['test'], ...spinnerCallbacks(spinner) });
    const test = dataset.test;
    const size = test.height * test.width * test.channels;
    if (size !== config.input_shape.reduce((a, b) => a * b, 1)) {
      throw usageError('ERR_BAD_OPTION', `the model takes (${config.input_shape.join(', ')}) inputs but ${dataset.name} images are (${test.height}, ${test.width}, ${test.channels})`);
    }
    if (index >= test.count) throw usageError('ERR_BAD_OPTION', `--index must be below ${test.count} (the ${dataset.name} test set's size), got ${index}`);
    spinner.text('Drawing');
    const pixels = test.images.subarray(index * size, (index + 1) * size);
    const spec = buildSheet(config, net, pixels, {
      layers: opts.layer,
      filterChannels,
      imageLabel: `${dataset.name} test image #${index}`,
      trueClass: test.labels[index],
      source: opts.weights,
    });
    const canvas = renderSheet(spec);
    await canvas.writePng(opts.out);
    return { path: opts.out, width: canvas.width, height: canvas.height, sections: spec.sections.map((s) => s.title) };
  } finally {
    spinner.stop();
  }
}

export function visualizeCommand(): Command {
  return new Command('visualize')
    .description("draw a trained network's filters and the feature maps it makes for one test image")
    .requiredOption('--weights <file>', 'a weights file written by cnn train')
    .requiredOption('--out <file.png>', 'the PNG to write')
    .option('--index <i>', 'which test image (0-based)', '0')
    .option('--layer <name>', 'show only this layer (repeat for several; default: every convolution and pooling layer)', collect, [])
    .option('--filters <mode>', 'deeper filters as the mean over input channels ("mean") or one tile per channel ("all")', 'mean')
    .option('--dataset <name>', "take the image from another dataset with the same image shape")
    .option('--data-dir <dir>', 'a folder holding the four IDX files of the dataset')
    .option('--json', 'print {path, width, height, sections}')
    .action(async (opts: VisualizeOptions) => {
      const r = await visualize(opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`wrote ${r.path} (${r.width}x${r.height}): ${r.sections.length} sections\n`);
    });
}
