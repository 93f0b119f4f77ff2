/**
 * Keras's callback protocol. A callback is any object with some of the hooks below (a plain object
 * or a subclass of Callback); fit awaits each hook in turn, so a hook may be async. Hooks get the
 * epoch or batch index (0-based, as in Keras) and a logs object that later callbacks see, mutated:
 * ReduceLROnPlateau adds learning_rate and the History, which runs last, records it.
 */
import { CnnError } from '../errors.js';
import type { Sequential } from './model.js';

/** Epoch logs: the epoch's mean loss and accuracy, validation metrics, and what callbacks add. */
export interface Logs {
  loss?: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  learning_rate?: number;
  [metric: string]: number | undefined;
}

/** What fit is doing, handed to setParams (Keras's callback.params). */
export interface TrainingParams {
  epochs: number;
  steps: number;
  verbose: number;
}

export interface CallbackHooks {
  setModel?(model: Sequential): void;
  setParams?(params: TrainingParams): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Defining a batch hook makes fit run one native job per batch (a little slower, exact). */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** The base class for callbacks that need the model (this.model) or fit's params (this.params). */
export class Callback implements CallbackHooks {
  private boundModel: Sequential | undefined;
  params: TrainingParams = { epochs: 0, steps: 0, verbose: 0 };

  /** The model being trained; set by fit before onTrainBegin. */
  get model(): Sequential {
    if (!this.boundModel) throw new CnnError('ERR_NO_MODEL', `${this.constructor.name}: this.model is set when fit starts`);
    return this.boundModel;
  }

  setModel(model: Sequential): void {
    this.boundModel = model;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }
}

/**
 * Callbacks whose batch hooks matter only at a batch whose loss was not finite (TerminateOnNaN), or
 * not at all (ModelCheckpoint saving per epoch): they do not make fit run one native job per batch,
 * since the native trainer itself stops at such a batch and fit then calls their onBatchEnd.
 */
export const optionalBatchHooks = new WeakSet<object>();

/** Keras's History: appended last to every fit, returned by it. */
export class History extends Callback {
  /** The epoch indices trained (0-based), as in Keras. */
  epoch: number[] = [];
  /** One list per metric: history.loss[i] belongs to epoch[i]. */
  history: { [metric: string]: number[] } = {};

  onTrainBegin(): void {
    this.epoch = [];
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      if (value === undefined) continue;
      (this.history[key] ??= []).push(value);
    }
  }
}

/** Calls the hooks of every callback in order, awaiting each. */
export class CallbackList {
  constructor(readonly callbacks: CallbackHooks[]) {}

  /** True when some callback wants to hear about every batch. */
  wantsBatches(): boolean {
    return this.callbacks.some((c) => !optionalBatchHooks.has(c) && (typeof c.onBatchBegin === 'function' || typeof c.onBatchEnd === 'function'));
  }

  setup(model: Sequential, params: TrainingParams): void {
    for (const c of this.callbacks) {
      c.setModel?.(model);
      c.setParams?.(params);
    }
  }

  async trainBegin(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(logs);
  }
  async trainEnd(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs);
  }
  async epochBegin(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, logs);
  }
  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs);
  }
  async batchBegin(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(batch, logs);
  }
  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs);
  }
}
