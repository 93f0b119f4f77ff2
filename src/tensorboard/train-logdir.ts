/** The glue between `cnn train` and the TensorBoard logger: opening --logdir and logging one epoch. */
import { resolve } from 'node:path';
import { usageError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import type { NativeNetwork } from '../native.js';
import type { EpochRecord } from '../train/trainer.js';
import { captureParams } from '../train/network-state.js';
import { describeFsError } from '../util/atomic-write.js';
import { TensorBoardLogger } from './logger.js';

/** Opens DIR/train (creating folders); an unwritable DIR is a usage error (exit 2) before training. */
export function openLogdir(dir: string, config: ModelConfig): TensorBoardLogger {
  try {
    return new TensorBoardLogger(resolve(dir), config);
  } catch (e) {
    throw usageError('ERR_BAD_OPTION', `--logdir ${dir}: cannot write TensorBoard logs there: ${describeFsError(e)}`);
  }
}

const failed = new WeakSet<TensorBoardLogger>();

/**
 * Logs one epoch. A failure to write (a full disk) must not cost the run its weights, so it is not
 * thrown: the first one is returned as a message for the caller to show, and the logger then stays
 * silent for the rest of the run.
 */
export function logEpoch(logger: TensorBoardLogger, net: NativeNetwork, config: ModelConfig, record: EpochRecord): string | undefined {
  if (failed.has(logger)) return undefined;
  try {
    logger.epoch({
      epoch: record.epoch - 1,
      iterations: net.getIterations(),
      loss: record.loss,
      accuracy: record.accuracy,
      val_loss: record.val_loss,
      val_accuracy: record.val_accuracy,
      learningRate: config.optimizer.learning_rate,
      weights: captureParams(net).map((t) => ({ layer: t.layer, name: t.name.slice(t.layer.length + 1), shape: t.shape, data: t.data })),
    });
    return undefined;
  } catch (e) {
    failed.add(logger);
    return `--logdir ${logger.logdir}: cannot write the TensorBoard logs of epoch ${record.epoch} (${describeFsError(e)}); training goes on without them`;
  }
}
