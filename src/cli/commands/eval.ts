/** `cnn eval`: test loss and accuracy, per-class accuracy and the confusion matrix of a weights file. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { datasetForConfig } from '../../train/dataset-for-config.js';
import type { ImageSet } from '../../data/index.js';
import { loadModel } from '../../api/create.js';
import { confusionMatrix, formatConfusion, perClassAccuracy, type Evaluation } from '../../train/metrics.js';
import { createSpinner } from '../spinner.js';
import { spinnerCallbacks } from '../dataset-spinner.js';
import { usageError } from '../../errors.js';
import { parseIntOption } from '../parse.js';
import { warnIfOtherDataset } from '../warning.js';

interface EvalOptions {
  weights: string;
  dataset?: string;
  dataDir?: string;
  confusion?: string;
  json?: boolean;
  /** Only the first N test images (`--limit`). */
  limit?: string;
}

export async function evaluateWeights(opts: EvalOptions): Promise<Evaluation & { seconds: number; classNames: string[] }> {
  if (opts.confusion !== undefined && !opts.confusion.toLowerCase().endsWith('.png')) {
    throw usageError('ERR_BAD_OPTION', `--confusion must name a .png file, got ${JSON.stringify(opts.confusion)}`);
  }
  const limit = opts.limit === undefined ? undefined : parseIntOption('--limit', opts.limit, 1);
  const spinner = createSpinner({ json: opts.json });
  spinner.start(`Loading ${opts.weights}`);
  const model = await loadModel(opts.weights);
  const config = model.normalizedConfig;
  const classes = model.shape().classes;
  spinner.stop();
  warnIfOtherDataset(opts.weights, config, opts.dataset, 'evaluating it');
  spinner.start('Loading the dataset');
  const loaded = await datasetForConfig(config, { name: opts.dataset, dataDir: opts.dataDir, splits: ['test'], testLimit: limit, ...spinnerCallbacks(spinner) });
  const dataset = limit !== undefined && limit < loaded.test.count ? { ...loaded, test: firstImages(loaded.test, limit) } : loaded; // an image folder is read whole
  const size = config.input_shape.reduce((a, b) => a * b, 1);
  if (dataset.test.height * dataset.test.width * dataset.test.channels !== size) {
    spinner.stop();
    throw usageError('ERR_BAD_OPTION', `the model takes (${config.input_shape.join(', ')}) inputs but ${dataset.name} images are (${dataset.test.height}, ${dataset.test.width}, ${dataset.test.channels})`);
  }
  if (dataset.classes !== classes) {
    spinner.stop();
    throw usageError('ERR_BAD_OPTION', `the model has ${classes} classes but ${dataset.name} has ${dataset.classes}`);
  }
  if (dataset.test.count === 0) {
    spinner.stop();
    throw usageError('ERR_BAD_OPTION', `${dataset.name} has no test images: give the image folder train/ and test/ subfolders, or a dataset validation_split (its validation files are the test split)`);
  }
  spinner.text(`Evaluating ${dataset.test.count} test images`);
  const started = performance.now();
  const r = await model.evaluateExamples(dataset.test, true);
  const seconds = (performance.now() - started) / 1000;
  spinner.stop();
  const confusion = confusionMatrix(r.probs!, dataset.test.labels, dataset.test.count, dataset.classes);
  return {
    loss: r.loss,
    accuracy: r.accuracy,
    per_class_accuracy: perClassAccuracy(confusion),
    confusion,
    images: r.count,
    seconds,
    classNames: dataset.classNames,
  };
}

function firstImages(set: ImageSet, count: number): ImageSet {
  const per = set.height * set.width * set.channels;
  return { ...set, images: set.images.subarray(0, count * per), labels: set.labels.subarray(0, count), count, available: set.available ?? set.count };
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a weights file on its dataset\'s test set')
    .requiredOption('--weights <file>', 'a weights file written by cnn train')
    .option('--dataset <name>', 'evaluate on another dataset with the same image shape and classes')
    .option('--data-dir <dir>', 'a folder holding the four IDX files of the dataset')
    .option('--confusion <file.png>', 'draw the confusion matrix as a heat map')
    .option('--limit <n>', 'evaluate only the first n test images (a quick check)')
    .option('--json', 'print {loss, accuracy, per_class_accuracy, confusion, images, seconds} (and confusion_png)')
    .action(async (opts: EvalOptions) => {
      const e = await evaluateWeights(opts);
      let confusionPath: string | undefined;
      if (opts.confusion) {
        const { writeConfusionPng } = await import('../../viz/index.js');
        confusionPath = resolve(opts.confusion);
        await writeConfusionPng(e.confusion, e.classNames, confusionPath);
      }
      if (opts.json) {
        const { classNames: _names, ...rest } = e;
        process.stdout.write(`${JSON.stringify(confusionPath ? { ...rest, confusion_png: confusionPath } : rest)}\n`);
        return;
      }
      const lines = [
        `test loss: ${e.loss.toFixed(4)} - test accuracy: ${e.accuracy.toFixed(4)} (${e.images} images, ${e.seconds.toFixed(2)}s)`,
        '',
        'per-class accuracy:',
        ...formatPerClass(e.per_class_accuracy, e.classNames),
        '',
        'confusion matrix (rows: true class, columns: predicted):',
        formatConfusion(e.confusion, e.classNames),
      ];
      if (confusionPath) lines.push('', `Saved the confusion matrix to ${confusionPath}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/**
 * One line per class: its index, its name when it has one (Fashion-MNIST's "T-shirt/top"; MNIST's
 * names are the digits themselves, shown once), and its accuracy.
 */
export function formatPerClass(accuracy: number[], classNames: string[]): string[] {
  const named = classNames.some((n, c) => n !== String(c));
  const nameWidth = Math.max(...classNames.map((n) => n.length));
  return accuracy.map((a, c) => `  ${String(c).padStart(2)} ${named ? `${classNames[c].padEnd(nameWidth)} ` : ''} ${a.toFixed(4)}`);
}
