/**
 * compile()'s optimizer, loss and metrics, in any spelling the library accepts ("adam",
 * {type: 'adam', learningRate: 1e-3}, optimizers.adam({beta1: 0.8}), Keras's snake_case) turned into
 * the config's snake_case; the model's validation then checks them with the config's messages.
 */
import type { OptimizerName } from '../model/config.js';
import { usageError } from '../errors.js';
import { isPlainObject, snakeCase, toSnakeKeys } from './keys.js';

export interface OptimizerArgs {
  learningRate?: number;
  /** sgd, rmsprop */
  momentum?: number;
  /** sgd */
  nesterov?: boolean;
  /** rmsprop */
  rho?: number;
  centered?: boolean;
  /** adam, adamw */
  beta1?: number;
  beta2?: number;
  amsgrad?: boolean;
  /** adamw */
  weightDecay?: number;
  epsilon?: number;
}

/** An optimizer as compile() takes it. */
export interface OptimizerSpec extends OptimizerArgs {
  type: OptimizerName;
}

export type OptimizerArg = OptimizerName | OptimizerSpec;

export type LossName = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy';

/** keras.optimizers.Adam(...) and friends, as functions: optimizers.adam({ learningRate: 1e-3 }). */
export const optimizers = {
  sgd: (args: OptimizerArgs = {}): OptimizerSpec => ({ type: 'sgd', ...args }),
  rmsprop: (args: OptimizerArgs = {}): OptimizerSpec => ({ type: 'rmsprop', ...args }),
  adam: (args: OptimizerArgs = {}): OptimizerSpec => ({ type: 'adam', ...args }),
  adamw: (args: OptimizerArgs = {}): OptimizerSpec => ({ type: 'adamw', ...args }),
} as const;

/** The optimizer in the config's form ("adam", or {"type": "adam", "learning_rate": ...}). */
export function optimizerToConfig(arg: unknown): unknown {
  if (typeof arg === 'string' || !isPlainObject(arg)) return arg;
  return toSnakeKeys(arg, 'compile(): optimizer');
}

export function lossToConfig(loss: unknown): unknown {
  if (loss === undefined || loss === null) {
    throw usageError('ERR_BAD_OPTION', "compile(): loss is required: 'sparse_categorical_crossentropy' (labels as class indices) or 'categorical_crossentropy'");
  }
  return typeof loss === 'string' ? snakeCase(loss) : loss;
}
