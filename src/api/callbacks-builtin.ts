/**
 * Keras 3's built-in callbacks with Keras's defaults and decisions (keras/src/callbacks/*.py):
 * EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN.
 * Options are camelCase (minDelta, restoreBestWeights); Keras's snake_case spellings work too.
 */
import { mkdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CnnError, usageError } from '../errors.js';
import { Callback, optionalBatchHooks, type Logs } from './callbacks.js';
import { toSnakeKeys } from './keys.js';
import { checkMode, lowerIsBetter, warnOnce, type Mode } from './monitor.js';
import type { Weight } from './model.js';
import { pythonFormat } from './python-format.js';

function options<T extends object>(args: T | undefined, owner: string): Record<string, unknown> {
  return toSnakeKeys(args ?? {}, owner);
}

function num(o: Record<string, unknown>, key: string, fallback: number, owner: string): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) throw usageError('ERR_BAD_OPTION', `${owner}: ${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  verbose?: number;
  mode?: Mode;
  baseline?: number | null;
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
}

/** Stops training when `monitor` has not improved for `patience` epochs. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: Mode;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  wait = 0;
  stoppedEpoch = 0;
  best: number | null = null;
  bestEpoch = 0;
  bestWeights: Weight[] | null = null;
  private lower: boolean | undefined;

  constructor(args?: EarlyStoppingArgs) {
    super();
    const o = options(args, 'EarlyStopping');
    this.monitor = String(o.monitor ?? 'val_loss');
    this.minDelta = Math.abs(num(o, 'min_delta', 0, 'EarlyStopping'));
    this.patience = num(o, 'patience', 0, 'EarlyStopping');
    this.verbose = num(o, 'verbose', 0, 'EarlyStopping');
    this.mode = checkMode(o.mode ?? 'auto', 'EarlyStopping');
    this.baseline = o.baseline === undefined || o.baseline === null ? null : num(o, 'baseline', 0, 'EarlyStopping');
    this.restoreBestWeights = Boolean(o.restore_best_weights ?? false);
    this.startFromEpoch = num(o, 'start_from_epoch', 0, 'EarlyStopping');
  }

  private improved(current: number, reference: number | null): boolean {
    if (reference === null) return true;
    this.lower ??= lowerIsBetter(this.monitor, this.mode, 'EarlyStopping');
    return this.lower ? current + this.minDelta < reference : current - this.minDelta > reference;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestWeights = null;
    this.bestEpoch = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.lower ??= lowerIsBetter(this.monitor, this.mode, 'EarlyStopping');
    const current = logs[this.monitor];
    if (current === undefined) {
      warnOnce(`Early stopping conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}`);
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      this.bestWeights = this.model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.improved(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model.getWeights();
      // Only restart the wait when both the baseline and the previous best are beaten.
      if (this.baseline === null || this.improved(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) process.stdout.write(`Epoch ${this.stoppedEpoch + 1}: early stopping\n`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) process.stdout.write(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.\n`);
      this.model.setWeights(this.bestWeights);
    }
  }
}

export interface ModelCheckpointArgs {
  monitor?: string;
  verbose?: number;
  saveBestOnly?: boolean;
  mode?: Mode;
  /** "epoch" (default) or a number of batches. */
  saveFreq?: 'epoch' | number;
  initialValueThreshold?: number | null;
}

/** Saves the model (model.save) after every epoch, or only when `monitor` improved. */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly mode: Mode;
  readonly saveFreq: 'epoch' | number;
  best: number | null;
  private lower: boolean | undefined;
  private currentEpoch = 0;
  private batchesSinceSave = 0;

  constructor(filepath: string, args?: ModelCheckpointArgs) {
    super();
    if (typeof filepath !== 'string' || filepath === '') throw usageError('ERR_BAD_OPTION', 'ModelCheckpoint: filepath must be a non-empty string');
    const o = options(args, 'ModelCheckpoint');
    this.filepath = filepath;
    this.monitor = String(o.monitor ?? 'val_loss');
    this.verbose = num(o, 'verbose', 0, 'ModelCheckpoint');
    this.saveBestOnly = Boolean(o.save_best_only ?? false);
    this.mode = checkMode(o.mode ?? 'auto', 'ModelCheckpoint');
    const freq = o.save_freq ?? 'epoch';
    if (freq !== 'epoch' && !(typeof freq === 'number' && Number.isInteger(freq) && freq > 0)) {
      throw usageError('ERR_BAD_OPTION', `ModelCheckpoint: Unrecognized saveFreq: ${JSON.stringify(freq)}. Expected saveFreq are 'epoch' or integer values`);
    }
    this.saveFreq = freq;
    // Saving per epoch needs no batch hook: do not make fit run one native job per batch for it.
    if (freq === 'epoch') optionalBatchHooks.add(this);
    this.best = o.initial_value_threshold === undefined || o.initial_value_threshold === null ? null : num(o, 'initial_value_threshold', 0, 'ModelCheckpoint');
  }

  onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  async onBatchEnd(batch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave += 1;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.save(this.currentEpoch, batch, logs);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    this.lower ??= lowerIsBetter(this.monitor, this.mode, 'ModelCheckpoint');
    if (this.saveFreq === 'epoch') await this.save(epoch, undefined, logs);
  }

  private async save(epoch: number, batch: number | undefined, logs: Logs): Promise<void> {
    const values: Record<string, unknown> = { epoch: epoch + 1, ...logs };
    if (batch !== undefined) values.batch = batch + 1;
    const path = pythonFormat(this.filepath, values);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        warnOnce(`Can save best model only with ${this.monitor} available.`);
      } else {
        this.lower ??= lowerIsBetter(this.monitor, this.mode, 'ModelCheckpoint');
        const best = this.best === null ? 'None' : this.best.toFixed(5);
        const better = this.best === null || (this.lower ? current < this.best : current > this.best);
        if (!better) {
          if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${best}\n`);
          return;
        }
        if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${best} to ${current.toFixed(5)}, saving model to ${path}\n`);
        this.best = current;
      }
    } else if (this.verbose > 0) {
      process.stdout.write(`\nEpoch ${epoch + 1}: saving model to ${path}\n`);
    }
    if (dirname(path) !== '.') await mkdir(dirname(path), { recursive: true });
    await this.model.save(path);
  }
}

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  verbose?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
}

/** Multiplies the learning rate by `factor` when `monitor` has not improved for `patience` epochs. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: Mode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;
  best = Infinity;
  private lower = true;

  constructor(args?: ReduceLROnPlateauArgs) {
    super();
    const o = options(args, 'ReduceLROnPlateau');
    this.monitor = String(o.monitor ?? 'val_loss');
    this.factor = num(o, 'factor', 0.1, 'ReduceLROnPlateau');
    if (this.factor >= 1) throw usageError('ERR_BAD_OPTION', `ReduceLROnPlateau does not support a factor >= 1.0. Received factor=${this.factor}`);
    this.patience = num(o, 'patience', 10, 'ReduceLROnPlateau');
    this.verbose = num(o, 'verbose', 0, 'ReduceLROnPlateau');
    this.mode = checkMode(o.mode ?? 'auto', 'ReduceLROnPlateau');
    this.minDelta = num(o, 'min_delta', 1e-4, 'ReduceLROnPlateau');
    this.cooldown = num(o, 'cooldown', 0, 'ReduceLROnPlateau');
    this.minLr = num(o, 'min_lr', 0, 'ReduceLROnPlateau');
    this.reset();
  }

  private reset(): void {
    // Keras decides by the name here, not by the metric: "acc" anywhere in it means maximise.
    this.lower = this.mode === 'min' || (this.mode === 'auto' && !this.monitor.includes('acc'));
    this.best = this.lower ? Infinity : -Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  onTrainBegin(): void {
    this.reset();
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const optimizer = this.model.optimizer;
    logs.learning_rate = optimizer.learningRate;
    const current = logs[this.monitor];
    if (current === undefined) {
      warnOnce(`Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}.`);
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    const better = this.lower ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (better) {
      this.best = current;
      this.wait = 0;
    } else if (!(this.cooldownCounter > 0)) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = optimizer.learningRate;
        if (oldLr > Math.fround(this.minLr)) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          optimizer.learningRate = newLr;
          if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.\n`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/** Sets the learning rate at the start of every epoch to schedule(epoch, currentLearningRate). */
export class LearningRateScheduler extends Callback {
  constructor(
    readonly schedule: (epoch: number, learningRate: number) => number,
    readonly verbose = 0,
  ) {
    super();
    if (typeof schedule !== 'function') throw usageError('ERR_BAD_OPTION', 'LearningRateScheduler: schedule must be a function (epoch, learningRate) => learningRate');
  }

  onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, this.model.optimizer.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr)) {
      throw usageError('ERR_BAD_OPTION', `The output of the \`schedule\` function should be a float. Got: ${String(lr)}`);
    }
    this.model.optimizer.learningRate = lr;
    if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.\n`);
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = this.model.optimizer.learningRate;
  }
}

/** Appends one CSV row per epoch: epoch, then the logs' keys sorted (Keras's csv.excel dialect). */
export class CSVLogger extends Callback {
  private keys: string[] | null = null;
  private appendHeader = true;

  constructor(
    readonly filename: string,
    readonly separator = ',',
    readonly append = false,
  ) {
    super();
    if (typeof filename !== 'string' || filename === '') throw usageError('ERR_BAD_OPTION', 'CSVLogger: filename must be a non-empty string');
  }

  async onTrainBegin(): Promise<void> {
    this.keys = null;
    this.appendHeader = true;
    if (this.append) {
      const existing = await readFile(this.filename, 'utf8').catch(() => '');
      this.appendHeader = existing.split('\n')[0].length === 0;
    } else {
      await writeFile(this.filename, '');
    }
  }

  private cell(v: unknown): string {
    const s = typeof v === 'number' ? pythonFloat(v) : String(v);
    return /["\r\n]/.test(s) || s.includes(this.separator) ? `"${s.replace(/"/g, '""')}"` : s;
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
    }
    let text = '';
    if (this.appendHeader) {
      text += `${['epoch', ...this.keys].map((k) => this.cell(k)).join(this.separator)}\r\n`;
      this.appendHeader = false;
    }
    text += `${[String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? 'NA' : this.cell(logs[k])))].join(this.separator)}\r\n`;
    await appendFile(this.filename, text);
  }
}

/** Python's repr of a float: 0.5, 1.0, 1e-07. */
function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Stops training (gracefully, or with an error when raiseError) at a batch whose loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  constructor(readonly raiseError = false) {
    super();
    optionalBatchHooks.add(this);
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) {
      throw new CnnError('ERR_NON_FINITE', `NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Terminating training immediately.`);
    }
    process.stdout.write(`Batch ${batch}: Invalid loss, terminating training\n`);
    this.model.stopTraining = true;
  }
}
