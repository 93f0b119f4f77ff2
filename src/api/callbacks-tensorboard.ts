/**
 * Keras 3's TensorBoard callback (keras/src/callbacks/tensorboard.py) on the logger `cnn train --logdir`
 * uses (src/tensorboard/logger.ts), with Keras's defaults: log_dir "logs", histogram_freq 0 (no weight
 * histograms), write_graph true, write_images false, update_freq "epoch". DIR/train gets epoch_loss,
 * epoch_accuracy, epoch_learning_rate per epoch (and batch_loss, batch_accuracy every update_freq batches
 * when it is "batch" or a number); DIR/validation the validation metrics. Epochs are numbered from 0.
 */
import { resolve } from 'node:path';
import { CnnError, usageError } from '../errors.js';
import { TensorBoardLogger } from '../tensorboard/logger.js';
import { captureParams } from '../train/network-state.js';
import { describeFsError } from '../util/atomic-write.js';
import { Callback, optionalBatchHooks, type Logs } from './callbacks.js';
import { toSnakeKeys } from './keys.js';

export interface TensorBoardArgs {
  /** Where the event files go (DIR/train, DIR/validation). Default "logs", as in Keras. */
  logDir?: string;
  /** Log weight histograms every this many epochs; 0 (the default) for none. */
  histogramFreq?: number;
  /** Log the model's Keras config for TensorBoard's Graphs dashboard (default true). */
  writeGraph?: boolean;
  /** With histograms, also log the weights as images (default false). */
  writeImages?: boolean;
  /** "epoch" (default), "batch", or every N batches: how often batch_loss and batch_accuracy are logged. */
  updateFreq?: 'epoch' | 'batch' | number;
  /** Keras's spellings of the same options (give each option once). */
  log_dir?: string;
  histogram_freq?: number;
  write_graph?: boolean;
  write_images?: boolean;
  update_freq?: 'epoch' | 'batch' | number;
}

const KNOWN = ['log_dir', 'histogram_freq', 'write_graph', 'write_images', 'update_freq'];

export class TensorBoard extends Callback {
  readonly logDir: string;
  readonly histogramFreq: number;
  readonly writeGraph: boolean;
  readonly writeImages: boolean;
  readonly updateFreq: 'epoch' | number;
  private logger: TensorBoardLogger | undefined;
  private batchesSinceLog = 0;

  constructor(args?: TensorBoardArgs) {
    super();
    const o = toSnakeKeys(args ?? {}, 'TensorBoard');
    for (const key of Object.keys(o)) {
      if (!KNOWN.includes(key)) throw usageError('ERR_BAD_OPTION', `TensorBoard: unknown option ${key} (known: logDir, histogramFreq, writeGraph, writeImages, updateFreq)`);
    }
    const dir = o.log_dir ?? 'logs';
    if (typeof dir !== 'string' || dir === '') throw usageError('ERR_BAD_OPTION', 'TensorBoard: logDir must be a non-empty string');
    this.logDir = dir;
    const freq = o.histogram_freq ?? 0;
    if (typeof freq !== 'number' || !Number.isSafeInteger(freq) || freq < 0) throw usageError('ERR_BAD_OPTION', `TensorBoard: histogramFreq must be an integer >= 0, got ${JSON.stringify(freq)}`);
    this.histogramFreq = freq;
    this.writeGraph = Boolean(o.write_graph ?? true);
    this.writeImages = Boolean(o.write_images ?? false);
    const update = o.update_freq ?? 'epoch';
    if (update === 'batch') this.updateFreq = 1;
    else if (update === 'epoch' || (typeof update === 'number' && Number.isSafeInteger(update) && update >= 1)) this.updateFreq = update;
    else throw usageError('ERR_BAD_OPTION', `TensorBoard: updateFreq must be "epoch", "batch" or an integer >= 1, got ${JSON.stringify(update)}`);
    // Per-epoch logging needs no batch hook: do not make fit run one native job per batch for it.
    if (this.updateFreq === 'epoch') optionalBatchHooks.add(this);
  }

  private fail(e: unknown): CnnError {
    return new CnnError('ERR_WRITE', `TensorBoard: cannot write TensorBoard logs to ${this.logDir}: ${describeFsError(e)}`);
  }

  onTrainBegin(): void {
    this.close();
    this.batchesSinceLog = 0;
    try {
      this.logger = new TensorBoardLogger(resolve(this.logDir), this.model.normalizedConfig, this.writeGraph);
    } catch (e) {
      throw this.fail(e);
    }
  }

  onBatchEnd(_batch: number, logs: Logs): void {
    if (this.updateFreq === 'epoch' || !this.logger) return;
    this.batchesSinceLog += 1;
    if (this.batchesSinceLog < this.updateFreq) return;
    this.batchesSinceLog = 0;
    const scalars: Record<string, number> = {};
    for (const key of ['loss', 'accuracy']) if (logs[key] !== undefined) scalars[key] = logs[key]!;
    try {
      this.logger.batch(this.model.optimizer.iterations, scalars);
    } catch (e) {
      throw this.fail(e);
    }
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (!this.logger) return;
    const histograms = this.histogramFreq > 0 && epoch % this.histogramFreq === 0;
    const net = this.model.native();
    try {
      this.logger.epoch({
        epoch,
        iterations: net.getIterations(),
        loss: logs.loss ?? NaN,
        accuracy: logs.accuracy,
        val_loss: logs.val_loss,
        val_accuracy: logs.val_accuracy,
        learningRate: logs.learning_rate ?? this.model.optimizer.learningRate,
        weights: histograms ? captureParams(net).map((t) => ({ layer: t.layer, name: t.name.slice(t.layer.length + 1), shape: t.shape, data: t.data })) : [],
        images: this.writeImages,
      });
    } catch (e) {
      throw this.fail(e);
    }
  }

  onTrainEnd(): void {
    this.close();
  }

  private close(): void {
    this.logger?.close();
    this.logger = undefined;
  }
}
