/**
 * A config's "callbacks": the library's built-in callbacks (src/api/callbacks-builtin.ts, the TensorBoard
 * callback) in Keras's snake_case, e.g. [{"type": "EarlyStopping", "monitor": "val_loss", "patience": 2}].
 * Each entry comes back with every Keras default filled in. LearningRateScheduler is refused: its schedule
 * is a function, which JSON cannot hold.
 */
import type { CallbackConfig, CallbackType } from './config.js';
import { CALLBACK_TYPES } from './config.js';
import {
  checkChoice,
  checkKeys,
  describeValue,
  isPlainObject,
  joinPath,
  readBool,
  readInt,
  readNumber,
  readString,
  report,
  type Ctx,
} from './validate-core.js';
import { INT32_MAX } from './validate-limits.js';

/** The epoch logs a callback can monitor (Keras's names). */
export const MONITORABLE = ['val_loss', 'loss', 'val_accuracy', 'accuracy', 'learning_rate'] as const;
const MODES = ['auto', 'min', 'max'] as const;

type Reader = (ctx: Ctx, v: Record<string, unknown>, path: string) => Record<string, unknown>;

const monitor = (ctx: Ctx, v: Record<string, unknown>, path: string) =>
  v.monitor === undefined || v.monitor === null ? 'val_loss' : checkChoice(ctx, v.monitor, joinPath(path, 'monitor'), MONITORABLE, 'val_loss');
const mode = (ctx: Ctx, v: Record<string, unknown>, path: string) =>
  v.mode === undefined || v.mode === null ? 'auto' : checkChoice(ctx, v.mode, joinPath(path, 'mode'), MODES, 'auto');
const verbose = (ctx: Ctx, v: Record<string, unknown>, path: string) => readInt(ctx, v, path, 'verbose', 0, { min: 0, max: 2 });
const count = (ctx: Ctx, v: Record<string, unknown>, path: string, key: string, fallback: number) => readInt(ctx, v, path, key, fallback, { min: 0, max: INT32_MAX });
const optionalNumber = (ctx: Ctx, v: Record<string, unknown>, path: string, key: string) =>
  v[key] === undefined || v[key] === null ? null : readNumber(ctx, v, path, key, 0);

/** "epoch", or a positive number of batches (Keras's save_freq / update_freq); `batch` also allowed when given. */
function readFreq(ctx: Ctx, v: Record<string, unknown>, path: string, key: string, withBatch: boolean): string | number {
  const f = v[key];
  if (f === undefined || f === null || f === 'epoch' || (withBatch && f === 'batch')) return (f as string | undefined) ?? 'epoch';
  if (typeof f === 'number' && Number.isSafeInteger(f) && f >= 1 && f <= INT32_MAX) return f;
  report(ctx, joinPath(path, key), `must be "epoch"${withBatch ? ', "batch"' : ''} or a number of batches (an integer >= 1), got ${describeValue(f)}`);
  return 'epoch';
}

const READERS: Record<CallbackType, Reader> = {
  EarlyStopping: (ctx, v, p) => ({
    monitor: monitor(ctx, v, p),
    min_delta: readNumber(ctx, v, p, 'min_delta', 0, { min: 0 }),
    patience: count(ctx, v, p, 'patience', 0),
    verbose: verbose(ctx, v, p),
    mode: mode(ctx, v, p),
    baseline: optionalNumber(ctx, v, p, 'baseline'),
    restore_best_weights: readBool(ctx, v, p, 'restore_best_weights', false),
    start_from_epoch: count(ctx, v, p, 'start_from_epoch', 0),
  }),
  ModelCheckpoint: (ctx, v, p) => ({
    filepath: readString(ctx, v, p, 'filepath', undefined),
    monitor: monitor(ctx, v, p),
    verbose: verbose(ctx, v, p),
    save_best_only: readBool(ctx, v, p, 'save_best_only', false),
    mode: mode(ctx, v, p),
    save_freq: readFreq(ctx, v, p, 'save_freq', false),
    initial_value_threshold: optionalNumber(ctx, v, p, 'initial_value_threshold'),
  }),
  ReduceLROnPlateau: (ctx, v, p) => ({
    monitor: monitor(ctx, v, p),
    factor: readNumber(ctx, v, p, 'factor', 0.1, { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    patience: count(ctx, v, p, 'patience', 10),
    verbose: verbose(ctx, v, p),
    mode: mode(ctx, v, p),
    min_delta: readNumber(ctx, v, p, 'min_delta', 1e-4, { min: 0 }),
    cooldown: count(ctx, v, p, 'cooldown', 0),
    min_lr: readNumber(ctx, v, p, 'min_lr', 0, { min: 0 }),
  }),
  LearningRateScheduler: () => ({}),
  CSVLogger: (ctx, v, p) => ({
    filename: readString(ctx, v, p, 'filename', undefined),
    separator: readString(ctx, v, p, 'separator', ','),
    append: readBool(ctx, v, p, 'append', false),
  }),
  TerminateOnNaN: (ctx, v, p) => ({ raise_error: readBool(ctx, v, p, 'raise_error', false) }),
  TensorBoard: (ctx, v, p) => ({
    log_dir: readString(ctx, v, p, 'log_dir', 'logs'),
    histogram_freq: count(ctx, v, p, 'histogram_freq', 0),
    write_graph: readBool(ctx, v, p, 'write_graph', true),
    write_images: readBool(ctx, v, p, 'write_images', false),
    update_freq: readFreq(ctx, v, p, 'update_freq', true),
  }),
};

/** The arguments each type takes, in the order Keras's constructors list them (for unknown-key hints). */
const ARGS: Record<CallbackType, readonly string[]> = {
  EarlyStopping: ['monitor', 'min_delta', 'patience', 'verbose', 'mode', 'baseline', 'restore_best_weights', 'start_from_epoch'],
  ModelCheckpoint: ['filepath', 'monitor', 'verbose', 'save_best_only', 'mode', 'save_freq', 'initial_value_threshold'],
  ReduceLROnPlateau: ['monitor', 'factor', 'patience', 'verbose', 'mode', 'min_delta', 'cooldown', 'min_lr'],
  LearningRateScheduler: [],
  CSVLogger: ['filename', 'separator', 'append'],
  TerminateOnNaN: ['raise_error'],
  TensorBoard: ['log_dir', 'histogram_freq', 'write_graph', 'write_images', 'update_freq'],
};

/** Reads the optional "callbacks" list; undefined when the config has none. */
export function readCallbacks(ctx: Ctx, v: unknown): CallbackConfig[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    report(ctx, 'callbacks', `must be an array of callbacks like [{"type": "EarlyStopping", "monitor": "val_loss", "patience": 2}], got ${describeValue(v)}`);
    return undefined;
  }
  const out: CallbackConfig[] = [];
  v.forEach((raw, i) => {
    const path = `callbacks[${i}]`;
    if (!isPlainObject(raw)) {
      report(ctx, path, `must be an object like {"type": "EarlyStopping", "patience": 2}, got ${describeValue(raw)}`);
      return;
    }
    if (raw.type === undefined) {
      report(ctx, joinPath(path, 'type'), `is required (one of ${CALLBACK_TYPES.join(', ')})`);
      return;
    }
    const before = ctx.issues.length;
    const type = checkChoice(ctx, raw.type, joinPath(path, 'type'), CALLBACK_TYPES, 'EarlyStopping');
    if (ctx.issues.length > before) return;
    if (type === 'LearningRateScheduler') {
      report(
        ctx,
        path,
        'LearningRateScheduler takes a schedule function (epoch, learningRate) => learningRate, which a JSON config cannot hold: pass it to fit() from the library, or use ReduceLROnPlateau here',
      );
      return;
    }
    checkKeys(ctx, raw, path, ['type', ...ARGS[type]], type);
    out.push({ type, ...READERS[type](ctx, raw, path) } as CallbackConfig);
  });
  return out;
}
