/** Warnings on stderr, from the CLI itself and (through setWarningHandler) from the library. */
import { isFolderDataset, type ModelConfig } from '../model/config.js';

/** One `cnn: warning: ...` line; on a terminal the line a spinner may be drawing is cleared first. */
export function printWarning(message: string): void {
  const clear = process.stderr.isTTY ? '\r\x1b[K' : '';
  process.stderr.write(`${clear}cnn: warning: ${message}\n`);
}

/** What a weights file's config says it was trained on, as a message names it. */
export function trainedDataset(config: ModelConfig): string | undefined {
  if (typeof config.dataset === 'string') return config.dataset;
  if (isFolderDataset(config.dataset)) return `the image folder ${config.dataset.directory}`;
  return config.dataset ? 'IDX files named in its config' : undefined;
}

/**
 * `--dataset` that differs from the dataset the weights were trained on: done as asked (it may be
 * meant, e.g. to see how an MNIST model fares on Fashion-MNIST), but said, since the numbers that
 * follow are not the model's accuracy on its own task.
 */
export function warnIfOtherDataset(weightsPath: string, config: ModelConfig, requested: string | undefined, doing: string): void {
  if (requested === undefined) return;
  const trained = trainedDataset(config);
  if (trained === requested) return;
  const origin = trained ? `was trained on ${trained}` : 'does not say which dataset it was trained on';
  printWarning(`${weightsPath} ${origin}; ${doing} on ${requested} (--dataset) as asked`);
}
