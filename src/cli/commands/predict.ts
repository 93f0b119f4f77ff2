/** `cnn predict`: class probabilities of chosen test images, rounded to 2 decimals, like seed 000's table. */
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { datasetForConfig } from '../../train/dataset-for-config.js';
import { loadModel } from '../../api/create.js';
import { argmaxRow } from '../../train/metrics.js';
import { parseIntOption } from '../parse.js';
import { createSpinner } from '../spinner.js';
import { spinnerCallbacks } from '../dataset-spinner.js';
import { warnIfOtherDataset } from '../warning.js';

interface PredictOptions {
  weights: string;
  index?: string[];
  dataset?: string;
  dataDir?: string;
  json?: boolean;
}

export function formatPredictionTable(rows: { index: number; probs: number[]; label: number; predicted: number }[], classes: number): string {
  const idxWidth = Math.max(5, ...rows.map((r) => String(r.index).length));
  const header = ['index'.padStart(idxWidth), ...Array.from({ length: classes }, (_, c) => String(c).padStart(5)), ' pred', ' true'].join(' ');
  const body = rows.map((r) =>
    [String(r.index).padStart(idxWidth), ...r.probs.map((p) => (Math.round(p * 100) / 100).toFixed(2).padStart(5)), String(r.predicted).padStart(5), String(r.label).padStart(5)].join(' '),
  );
  return [header, ...body].join('\n');
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('class probabilities of test images (default: the first five), with their true labels')
    .requiredOption('--weights <file>', 'a weights file written by cnn train')
    .option('--index <i...>', 'test image indices', ['0', '1', '2', '3', '4'])
    .option('--dataset <name>', 'take the images from another dataset')
    .option('--data-dir <dir>', 'a folder holding the four IDX files of the dataset')
    .option('--json', 'print [{index, probabilities, predicted, label}]')
    .action(async (opts: PredictOptions) => {
      // Malformed indices are refused before anything is loaded; the upper bound needs the dataset.
      const requested = (opts.index ?? []).map((s) => parseIntOption('--index', s, 0));
      if (requested.length === 0) throw usageError('ERR_BAD_OPTION', '--index needs at least one image index');
      const spinner = createSpinner({ json: opts.json });
      spinner.start(`Loading ${opts.weights}`);
      const model = await loadModel(opts.weights);
      const config = model.normalizedConfig;
      spinner.stop();
      warnIfOtherDataset(opts.weights, config, opts.dataset, 'predicting');
      spinner.start('Loading the dataset');
      const dataset = await datasetForConfig(config, { name: opts.dataset, dataDir: opts.dataDir, splits: ['test'], ...spinnerCallbacks(spinner) });
      spinner.stop();
      const indices = requested.map((i) => parseIntOption('--index', String(i), 0, dataset.test.count - 1));
      const size = dataset.test.height * dataset.test.width * dataset.test.channels;
      if (size !== config.input_shape.reduce((a, b) => a * b, 1)) {
        throw usageError('ERR_BAD_OPTION', `the model takes (${config.input_shape.join(', ')}) inputs but ${dataset.name} images are (${dataset.test.height}, ${dataset.test.width}, ${dataset.test.channels})`);
      }
      const images = new Uint8Array(indices.length * size);
      const labels = new Uint8Array(indices.length);
      indices.forEach((idx, i) => {
        images.set(dataset.test.images.subarray(idx * size, (idx + 1) * size), i * size);
        labels[i] = dataset.test.labels[idx];
      });
      const { data: probs, shape: [, classes] } = await model.predict({ data: images, shape: [indices.length, ...config.input_shape] });
      const rows = indices.map((index, i) => ({
        index,
        probs: Array.from(probs.subarray(i * classes, (i + 1) * classes)),
        label: labels[i],
        predicted: argmaxRow(probs, i, classes),
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows.map((r) => ({ index: r.index, probabilities: r.probs, predicted: r.predicted, label: r.label })))}\n`);
        return;
      }
      process.stdout.write(`${formatPredictionTable(rows, classes)}\n`);
      if (dataset.classNames.some((n, c) => n !== String(c))) {
        process.stdout.write(`classes: ${dataset.classNames.map((n, c) => `${c}=${n}`).join(', ')}\n`);
      }
    });
}
