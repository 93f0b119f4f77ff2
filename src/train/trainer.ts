/**
 * The one training loop, used by the library's model.fit and by `cnn train` (which calls it through
 * the library's trainModel). It decides the order of examples, keeps the running metrics Keras shows,
 * evaluates the validation split, and keeps the state a checkpoint needs to continue exactly where it
 * stopped (`state.epoch`, `state.step` and the epoch's partial sums).
 *
 * Speed: without batch hooks, the rest of an epoch is ONE native job on libuv's worker threads (the
 * event loop stays free and progress arrives through onProgress); with a batchBegin/batchEnd hook, each
 * batch is its own job and the hook is awaited before the next. Setting cancel[0] = 1 stops after the
 * batch in flight.
 */
import { CnnError } from '../errors.js';
import type { NativeNetwork, TrainProgressTotals } from '../native.js';
import { epochOrder } from './shuffle.js';
import { kerasMean } from './metrics.js';

export interface TrainPlan {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  scale: number;
  offset: number;
}

export interface ExampleSet {
  /** uint8 pixels (the plan's scale and offset make them floats) or float32 rows, already preprocessed. */
  images: Uint8Array | Float32Array;
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
  /** Before each epoch (state.step > 0 when resuming in its middle). */
  epochStart?(epoch: number, epochs: number, steps: number, state: TrainState): Promise<void> | void;
  /** Progress from the native job, synchronously, after every batch (for a progress line). */
  batch?(step: number, steps: number, metrics: RunningMetrics): void;
  /** Awaited before batch `step` (0-based) runs; giving this or batchEnd runs one native job per batch. */
  batchBegin?(step: number): Promise<void> | void;
  /** Awaited after batch `step` (0-based) with the epoch's running metrics. */
  batchEnd?(step: number, metrics: RunningMetrics): Promise<void> | void;
  /**
   * The loss stopped being finite (the network keeps the last good weights). Resolve true to end the
   * epoch with a NaN loss and stop (Keras's TerminateOnNaN); false, or no hook, rejects with ERR_NON_FINITE.
   */
  nonFinite?(state: TrainState): Promise<boolean> | boolean;
  /** After the epoch's record is in state.history and state points at the next epoch (save here). */
  epochEnd?(record: EpochRecord, steps: number): Promise<void> | void;
  /** Asked after every awaited hook: true ends training (Keras's model.stop_training). */
  shouldStop?(): boolean;
}

/**
 * Data-parallel training over several processes (src/distributed/collective.ts): every rank runs this
 * same loop on the same order of examples; each computes its share of every batch and the native step
 * sums the gradients. What must agree between ranks without a native job goes through here.
 */
export interface DataParallel {
  /** Seconds a sum may wait for the other ranks. */
  timeout: number;
  /** True on every rank when any rank's flag is true. */
  anyStop(local: boolean): boolean;
  /** The validation sums over all ranks, each evaluating its part. */
  evaluate(net: NativeNetwork, set: ExampleSet, plan: Pick<TrainPlan, 'scale' | 'offset'>): Promise<{ lossSum: number; correct: number; count: number }>;
  /** Throws when the ranks' weights differ (before training, and after each epoch); `when` says which. */
  checkSameWeights(net: NativeNetwork, when: string): void;
}

export function stepsPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

export async function evaluateSet(net: NativeNetwork, set: ExampleSet, plan: Pick<TrainPlan, 'scale' | 'offset'>, probs = false) {
  const r = await net.evaluate(set.images, set.labels, { batchSize: 256, scale: plan.scale, offset: plan.offset, probs });
  return { loss: r.lossSum / Math.max(1, r.count), accuracy: r.correct / Math.max(1, r.count), count: r.count, probs: r.probs, lossSum: r.lossSum, correct: r.correct };
}

function absorb(state: TrainState, t: TrainProgressTotals | undefined): void {
  if (!t) return;
  state.step += t.batches;
  state.lossSum += t.lossSum;
  state.correct += t.correct;
  state.seen += t.seen;
}

/** The epoch's running metrics, from the partial sums in state. */
function running(state: TrainState): RunningMetrics {
  return { loss: kerasMean(state.lossSum, state.seen), accuracy: kerasMean(state.correct, state.seen) };
}

/**
 * Trains from `state` to the end of plan.epochs (an epoch index, as Keras's `epochs`), until cancel[0]
 * becomes 1 ('cancelled' after the batch in flight, with `state` pointing at the next batch), or until
 * events.shouldStop() ('stopped'; asked after batchEnd it ends the epoch early, as Keras does). A non-finite loss rejects with CnnError(ERR_NON_FINITE) unless
 * events.nonFinite resolves true; the network keeps the weights of the last good batch.
 */
export async function train(
  net: NativeNetwork,
  plan: TrainPlan,
  data: ExampleSet,
  validation: ExampleSet | undefined,
  state: TrainState,
  events: TrainEvents,
  cancel: Int32Array,
  dp?: DataParallel,
): Promise<'done' | 'cancelled' | 'stopped'> {
  const steps = stepsPerEpoch(data.count, plan.batchSize);
  const perBatch = Boolean(events.batchBegin || events.batchEnd);
  const stop = () => events.shouldStop?.() === true;
  dp?.checkSameWeights(net, 'before training'); // every rank must start from the same weights (its own copy of a checkpoint)
  while (state.epoch < plan.epochs) {
    // With several ranks, none may stop alone: they agree (during an epoch, the native step does).
    if (dp ? dp.anyStop(Atomics.load(cancel, 0) !== 0) : Atomics.load(cancel, 0)) return 'cancelled';
    await events.epochStart?.(state.epoch, plan.epochs, steps, state);
    const order = epochOrder(data.count, plan.seed, state.epoch, plan.shuffle);
    // One native job for batches [state.step, last): 'non-finite' when the loss stopped being finite.
    const runBatches = async (last: number): Promise<'ok' | 'cancelled' | 'non-finite'> => {
      const base = { ...state };
      const started = performance.now();
      try {
        const totals = await net.trainBatches(
          data.images,
          data.labels,
          order,
          { batchSize: plan.batchSize, scale: plan.scale, offset: plan.offset, firstBatch: state.step, lastBatch: last, ...(dp ? { distributedTimeout: dp.timeout } : {}) },
          events.batch
            ? (batches, seen, correct, lossSum) => {
                const n = base.seen + seen;
                events.batch!(base.step + batches, steps, { loss: kerasMean(base.lossSum + lossSum, n), accuracy: kerasMean(base.correct + correct, n) });
              }
            : null,
          cancel,
        );
        absorb(state, totals);
        return totals.cancelled ? 'cancelled' : 'ok';
      } catch (e) {
        absorb(state, (e as { progress?: TrainProgressTotals }).progress);
        if ((e as CnnError).code === 'ERR_NON_FINITE') return 'non-finite';
        throw e;
      } finally {
        state.seconds += (performance.now() - started) / 1000;
      }
    };
    let status: 'ok' | 'cancelled' | 'non-finite' | 'stopped' = 'ok';
    if (perBatch) {
      while (state.step < steps) {
        const step = state.step;
        await events.batchBegin?.(step);
        status = await runBatches(step + 1);
        if (status !== 'ok') break;
        await events.batchEnd?.(step, running(state));
        if (stop()) {
          status = 'stopped';
          break;
        }
      }
    } else if (state.step < steps) {
      status = await runBatches(steps);
    }
    if (status === 'cancelled') return 'cancelled';
    if (status === 'non-finite' && !(await events.nonFinite?.(state))) {
      throw new CnnError(
        'ERR_NON_FINITE',
        `the loss became NaN or infinite at epoch ${state.epoch + 1}, step ${state.step + 1}; training stopped (try a lower learning rate, or rescale the inputs)`,
      );
    }
    // A stop in the middle of an epoch ends it there, as in Keras (the epoch's hooks and validation run).

    const metrics = running(state);
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      loss: status === 'non-finite' ? NaN : metrics.loss,
      accuracy: metrics.accuracy,
      seconds: state.seconds,
      images_per_s: state.seen / Math.max(1e-9, state.seconds),
    };
    if (validation && validation.count > 0) {
      const v = dp ? await dp.evaluate(net, validation, plan) : await evaluateSet(net, validation, plan);
      // Keras's validation metrics are Means too (float32), as the training ones.
      record.val_loss = kerasMean(v.lossSum, v.count);
      record.val_accuracy = kerasMean(v.correct, v.count);
    }
    dp?.checkSameWeights(net, `after epoch ${state.epoch + 1}`);
    // A run restarted at an earlier epoch (fit's initialEpoch) replaces the later records.
    state.history = [...state.history.filter((r) => r.epoch <= state.epoch), record];
    state.epoch += 1;
    state.step = 0;
    state.lossSum = 0;
    state.correct = 0;
    state.seen = 0;
    state.seconds = 0;
    await events.epochEnd?.(record, steps);
    if (status !== 'ok' || stop()) return 'stopped';
  }
  return 'done';
}
