/**
 * model.fit: Keras 3's fit (keras/src/backend/tensorflow/trainer.py) as callbacks around the one training
 * loop that `cnn train` uses too (src/train/trainer.ts's train()). Without batch hooks an epoch is one
 * native job on libuv's worker threads; when a callback has a batch hook, each batch is its own job and
 * the hook is awaited before the next. An AbortSignal sets the loop's shared cancel flag: the batch in
 * flight finishes and fit rejects with CnnError(ERR_ABORTED), leaving the model with the weights of the
 * last finished batch. model.trainingState follows the loop (epoch, step, history), so a model saved by
 * a callback resumes where it was saved.
 */
import { CnnError, ExitCode, usageError } from '../errors.js';
import { stepsPerEpoch, train, type DataParallel, type EpochRecord, type ExampleSet, type RunningMetrics, type TrainEvents } from '../train/trainer.js';
import { callbacksFromConfig } from './callbacks-from-config.js';
import { CallbackList, History, type CallbackHooks, type Logs } from './callbacks.js';
import { readExamples, takeFirst, type ImageInput, type LabelInput, type TrainingData } from './inputs.js';
import { isPlainObject } from './keys.js';
import type { Sequential } from './model.js';
import { checkBatch, checkLimit } from './model.js';
import { kerasMean } from '../train/metrics.js';

export interface FitArgs {
  /** Train until this epoch index (Keras: epochs is the last epoch, not a count, with initialEpoch). Default: the config's (1). */
  epochs?: number;
  /** Default: the config's batch_size (32). */
  batchSize?: number;
  /** The last fraction of the examples (taken before shuffling) is kept for validation. */
  validationSplit?: number;
  /** [x, y], a labelled set, or a loaded dataset (its test split). */
  validationData?: [ImageInput, LabelInput] | TrainingData;
  /** Shuffle before every epoch (default: the config's, true). The order is a function of (seed, epoch). */
  shuffle?: boolean;
  /** The epoch to start at (to resume a loaded model: its number of finished epochs). */
  initialEpoch?: number;
  callbacks?: CallbackHooks[];
  /** Aborting stops training after the batch in flight; fit then rejects with CnnError ERR_ABORTED. */
  signal?: AbortSignal;
  /** 0 silent; 1 or 2 print one line per epoch (Keras's verbose=2 line). Default 1, as in Keras. */
  verbose?: 0 | 1 | 2;
  /** Train on the first N examples only (like cnn train --limit; not in Keras). */
  limit?: number;
}

function int(v: unknown, fallback: number, min: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw usageError('ERR_BAD_OPTION', `fit(): ${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

const KNOWN = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'initialEpoch', 'callbacks', 'signal', 'verbose', 'limit'];

function abortError(model: Sequential, epoch: number, step: number, reason: unknown): CnnError {
  const e = new CnnError('ERR_ABORTED', `training was aborted at epoch ${epoch + 1}, step ${step}; the model keeps the weights of the last finished batch`, ExitCode.interrupted);
  (e as { cause?: unknown }).cause = reason;
  void model;
  return e;
}

function epochLine(epoch: number, epochs: number, steps: number, seconds: number, logs: Logs): string {
  const metrics = ['accuracy', 'loss', 'val_accuracy', 'val_loss', 'learning_rate']
    .filter((k) => logs[k] !== undefined)
    .map((k) => `${k}: ${k === 'learning_rate' ? logs[k]!.toExponential(4) : logs[k]!.toFixed(4)}`);
  const perStep = (seconds * 1000) / Math.max(1, steps);
  const per = perStep >= 1 ? `${Math.round(perStep)}ms/step` : `${Math.round(perStep * 1000)}us/step`;
  return `Epoch ${epoch + 1}/${epochs}\n${steps}/${steps} - ${Math.round(seconds)}s - ${per} - ${metrics.join(' - ')}\n`;
}

export async function runFit(model: Sequential, x: unknown, y: unknown, args: FitArgs): Promise<History> {
  if (!isPlainObject(args as unknown)) throw usageError('ERR_BAD_OPTION', 'fit(): the options must be an object');
  for (const key of Object.keys(args)) {
    if (!KNOWN.includes(key)) throw usageError('ERR_BAD_OPTION', `fit(): unknown option ${key} (known: ${KNOWN.join(', ')})`);
  }
  const cfg = model.normalizedConfig;
  const shape = model.shape();
  const epochs = int(args.epochs, cfg.epochs, 1, 'epochs');
  const initialEpoch = int(args.initialEpoch, 0, 0, 'initialEpoch');
  const batchSize = checkBatch(args.batchSize, cfg.batch_size, 'fit');
  const shuffle = args.shuffle ?? cfg.shuffle;
  const verbose = args.verbose ?? 1;
  const split = args.validationSplit ?? cfg.validation_split;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw usageError('ERR_BAD_OPTION', `fit(): validationSplit must be a number from 0 to below 1, got ${JSON.stringify(split)}`);
  if (split > 0 && args.validationData !== undefined) throw usageError('ERR_BAD_OPTION', 'fit(): give validationSplit or validationData, not both');

  let data = takeFirst(readExamples(x, y, shape, 'train', 'fit(x)'), checkLimit(args.limit, 'fit'));
  let validation: ExampleSet | undefined;
  if (split > 0) {
    const at = Math.floor(data.count * (1 - split)); // Keras: int(num_samples * (1 - validation_split))
    const per = data.images.length / Math.max(1, data.count);
    validation = { images: data.images.subarray(at * per), labels: data.labels.subarray(at), count: data.count - at };
    data = { images: data.images.subarray(0, at * per), labels: data.labels.subarray(0, at), count: at };
  } else if (args.validationData !== undefined) {
    const v = args.validationData;
    validation = Array.isArray(v) ? readExamples(v[0], v[1], shape, 'test', 'validationData') : readExamples(v, undefined, shape, 'test', 'validationData');
  }
  if (data.count === 0) throw usageError('ERR_BAD_INPUT', 'fit(): there are no training examples');
  if (args.signal?.aborted) throw abortError(model, initialEpoch, 0, args.signal.reason);

  const steps = stepsPerEpoch(data.count, batchSize);
  const history = new History();
  // Callbacks given to fit replace the config's (as fit's epochs replace the config's epochs).
  const callbacks = new CallbackList([...(args.callbacks ?? callbacksFromConfig(cfg.callbacks)), history]);
  callbacks.setup(model, { epochs, steps, verbose });
  const perBatch = callbacks.wantsBatches();
  const withAccuracy = cfg.metrics.includes('accuracy');
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(cancel, 0, 1);
  args.signal?.addEventListener('abort', onAbort, { once: true });
  model.stopTraining = false;
  const state = model.trainingState;
  Object.assign(state, { epoch: initialEpoch, step: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 });
  const p = cfg.preprocessing;
  const plan = { epochs, batchSize, shuffle, seed: cfg.seed, scale: p.rescale, offset: p.offset };
  const batchLogs = (m: RunningMetrics): Logs => (withAccuracy ? { loss: m.loss, accuracy: m.accuracy } : { loss: m.loss });
  let trainingLogs: Logs = {};
  try {
    await callbacks.trainBegin({});
    const status = await train(
      model.native(),
      plan,
      data,
      validation,
      state,
      {
        epochStart: (epoch) => callbacks.epochBegin(epoch, {}),
        ...(perBatch
          ? {
              batchBegin: (step: number) => callbacks.batchBegin(step, {}),
              batchEnd: (step: number, m: RunningMetrics) => callbacks.batchEnd(step, batchLogs(m)),
            }
          : {}),
        nonFinite: async (s) => {
          const logs = batchLogs({ loss: NaN, accuracy: kerasMean(s.correct, s.seen) });
          await callbacks.batchEnd(s.step, logs); // TerminateOnNaN stops training gracefully here
          if (model.stopTraining) return true;
          throw new CnnError(
            'ERR_NON_FINITE',
            `the loss became NaN or infinite at epoch ${s.epoch + 1}, step ${s.step + 1}; training stopped and the model keeps the weights of the last good step (try a lower learning rate; add TerminateOnNaN to end fit without an error)`,
          );
        },
        epochEnd: async (record) => {
          const logs = logsOf(record, withAccuracy);
          await callbacks.epochEnd(record.epoch - 1, logs);
          if (verbose > 0) process.stdout.write(epochLine(record.epoch - 1, epochs, steps, record.seconds, logs));
          trainingLogs = logs;
        },
        shouldStop: () => model.stopTraining,
      },
      cancel,
    );
    if (status === 'cancelled') throw abortError(model, state.epoch, state.step, args.signal?.reason);
    await callbacks.trainEnd(trainingLogs);
    return history;
  } finally {
    args.signal?.removeEventListener('abort', onAbort);
  }
}

/** Keras's epoch logs from the loop's record. */
function logsOf(record: EpochRecord, withAccuracy: boolean): Logs {
  const logs: Logs = { loss: record.loss };
  if (withAccuracy) logs.accuracy = record.accuracy;
  if (record.val_loss !== undefined) logs.val_loss = record.val_loss;
  if (withAccuracy && record.val_accuracy !== undefined) logs.val_accuracy = record.val_accuracy;
  return logs;
}

/**
 * @internal `cnn train`'s entry to the loop: trains the model from model.trainingState (which may stand in
 * the middle of an epoch) to its config's epochs, with the CLI's events (progress line, saving each epoch)
 * and the config's callbacks, which hear of each epoch after the CLI's epochEnd (so the epoch is saved
 * before a callback can fail) and may stop the run (EarlyStopping: status "stopped").
 */
export async function trainModel(model: Sequential, data: ExampleSet, validation: ExampleSet | undefined, events: TrainEvents, cancel: Int32Array, hooks: CallbackHooks[] = [], dp?: DataParallel) {
  const c = model.normalizedConfig;
  const plan = { epochs: c.epochs, batchSize: c.batch_size, shuffle: c.shuffle, seed: c.seed, scale: c.preprocessing.rescale, offset: c.preprocessing.offset };
  if (hooks.length === 0) return train(model.native(), plan, data, validation, model.trainingState, events, cancel, dp);
  const callbacks = new CallbackList(hooks);
  callbacks.setup(model, { epochs: c.epochs, steps: stepsPerEpoch(data.count, c.batch_size), verbose: 0 });
  const withAccuracy = c.metrics.includes('accuracy');
  const batchLogs = (m: RunningMetrics): Logs => (withAccuracy ? { loss: m.loss, accuracy: m.accuracy } : { loss: m.loss });
  model.stopTraining = false;
  let lastLogs: Logs = {};
  await callbacks.trainBegin({});
  const status = await train(
    model.native(),
    plan,
    data,
    validation,
    model.trainingState,
    {
      ...events,
      epochStart: async (epoch, epochs, steps, state) => {
        await events.epochStart?.(epoch, epochs, steps, state);
        await callbacks.epochBegin(epoch, {});
      },
      ...(callbacks.wantsBatches()
        ? {
            batchBegin: (step: number) => callbacks.batchBegin(step, {}),
            batchEnd: (step: number, m: RunningMetrics) => callbacks.batchEnd(step, batchLogs(m)),
          }
        : {}),
      nonFinite: async (s) => {
        await callbacks.batchEnd(s.step, batchLogs({ loss: NaN, accuracy: s.correct / Math.max(1, s.seen) })); // TerminateOnNaN
        return model.stopTraining;
      },
      epochEnd: async (record, steps) => {
        await events.epochEnd?.(record, steps);
        lastLogs = logsOf(record, withAccuracy);
        await callbacks.epochEnd(record.epoch - 1, lastLogs);
      },
      shouldStop: () => model.stopTraining || Boolean(events.shouldStop?.()),
    },
    cancel,
    dp,
  );
  if (status !== 'cancelled') await callbacks.trainEnd(lastLogs); // EarlyStopping restores the best weights here
  return status;
}
