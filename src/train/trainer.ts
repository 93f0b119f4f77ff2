/**
 * The epoch loop. The native worker trains a run of batches off the event loop; this file decides the
 * order of examples, keeps the running metrics Keras shows, evaluates the validation split, and keeps
 * the state a checkpoint needs to continue exactly where it stopped.
 */
import { CnnError } from '../errors.js';
import type { NativeNetwork, TrainProgressTotals } from '../native.js';
import { epochOrder } from './shuffle.js';

export interface TrainPlan {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  scale: number;
  offset: number;
}

export interface ExampleSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface EpochRecord {
  epoch: number; // 1-based, as printed
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  seconds: number;
  images_per_s: number;
}

/** Where training stands; stored in checkpoints. `epoch` is 0-based, `step` counts finished batches. */
export interface TrainState {
  epoch: number;
  step: number;
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
  history: EpochRecord[];
}

export function initialState(): TrainState {
  return { epoch: 0, step: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0, history: [] };
}

export interface RunningMetrics {
  loss: number;
  accuracy: number;
}

export interface TrainEvents {
  epochStart?(epoch: number, epochs: number, steps: number, state: TrainState): void;
  batch?(step: number, steps: number, metrics: RunningMetrics): void;
  epochEnd?(record: EpochRecord, steps: number): Promise<void> | void;
}

export function stepsPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

export async function evaluateSet(net: NativeNetwork, set: ExampleSet, plan: Pick<TrainPlan, 'scale' | 'offset'>, probs = false) {
  const r = await net.evaluate(set.images, set.labels, { batchSize: 256, scale: plan.scale, offset: plan.offset, probs });
  return { loss: r.lossSum / Math.max(1, r.count), accuracy: r.correct / Math.max(1, r.count), count: r.count, probs: r.probs };
}

function absorb(state: TrainState, t: TrainProgressTotals | undefined): void {
  if (!t) return;
  state.step += t.batches;
  state.lossSum += t.lossSum;
  state.correct += t.correct;
  state.seen += t.seen;
}

/**
 * Trains from `state` to the end of plan.epochs, or until cancel[0] becomes 1 (then returns
 * 'cancelled' after the batch in flight, with `state` pointing at the next batch). A non-finite loss
 * rejects with CnnError(ERR_NON_FINITE); the network keeps the weights of the last good batch.
 */
export async function train(
  net: NativeNetwork,
  plan: TrainPlan,
  data: ExampleSet,
  validation: ExampleSet | undefined,
  state: TrainState,
  events: TrainEvents,
  cancel: Int32Array,
): Promise<'done' | 'cancelled'> {
  const steps = stepsPerEpoch(data.count, plan.batchSize);
  while (state.epoch < plan.epochs) {
    if (Atomics.load(cancel, 0)) return 'cancelled';
    events.epochStart?.(state.epoch, plan.epochs, steps, state);
    const order = epochOrder(data.count, plan.seed, state.epoch, plan.shuffle);
    const base = { ...state };
    const started = performance.now();
    let totals: TrainProgressTotals;
    try {
      totals = await net.trainBatches(
        data.images,
        data.labels,
        order,
        { batchSize: plan.batchSize, scale: plan.scale, offset: plan.offset, firstBatch: state.step, lastBatch: steps },
        (batches, seen, correct, lossSum) => {
          const n = base.seen + seen;
          events.batch?.(base.step + batches, steps, { loss: (base.lossSum + lossSum) / n, accuracy: (base.correct + correct) / n });
        },
        cancel,
      );
    } catch (e) {
      absorb(state, (e as { progress?: TrainProgressTotals }).progress);
      state.seconds += (performance.now() - started) / 1000;
      if ((e as CnnError).code === 'ERR_NON_FINITE') {
        throw new CnnError(
          'ERR_NON_FINITE',
          `the loss became NaN or infinite at epoch ${state.epoch + 1}, step ${state.step + 1}; training stopped (try a lower learning rate, or rescale the inputs)`,
        );
      }
      throw e;
    }
    absorb(state, totals);
    state.seconds += (performance.now() - started) / 1000;
    if (totals.cancelled) return 'cancelled';

    const record: EpochRecord = {
      epoch: state.epoch + 1,
      loss: state.lossSum / Math.max(1, state.seen),
      accuracy: state.correct / Math.max(1, state.seen),
      seconds: state.seconds,
      images_per_s: state.seen / Math.max(1e-9, state.seconds),
    };
    if (validation && validation.count > 0) {
      const v = await evaluateSet(net, validation, plan);
      record.val_loss = v.loss;
      record.val_accuracy = v.accuracy;
    }
    state.history.push(record);
    state.epoch += 1;
    state.step = 0;
    state.lossSum = 0;
    state.correct = 0;
    state.seen = 0;
    state.seconds = 0;
    await events.epochEnd?.(record, steps);
  }
  return 'done';
}
