/**
 * The three ways to get a model: sequential({...}) in code, modelFromConfig(file | JSON | object)
 * from the config the CLI reads, loadModel(file) from a saved weights file. All go through the CLI's
 * validation (src/model/validate.ts), so a mistake gets the same message and JSON path either way.
 */
import { usageError } from '../errors.js';
import type { BuiltinDatasetName, ModelConfig } from '../model/config.js';
import { resolveConfig } from '../model/shipped.js';
import { validateConfig } from '../model/validate.js';
import type { WeightsContents } from '../model/weights-file.js';
import { buildNetwork, loadTrainedModel } from '../train/model.js';
import { restoreOptimizer, restoreParams } from '../train/network-state.js';
import { initialState, type EpochRecord, type TrainState } from '../train/trainer.js';
import { isPlainObject } from './keys.js';
import type { LayerSpec } from './layers.js';
import { Sequential } from './model.js';

export interface SequentialArgs {
  /** One example's shape without the batch axis, e.g. [28, 28, 1]. */
  inputShape?: readonly number[];
  layers: readonly LayerSpec[];
  name?: string;
  /** Pixels become pixel * rescale + offset before the first layer (Keras's Rescaling layer). */
  preprocessing?: { rescale?: number; offset?: number };
  /** Seeds the initializers, dropout and the shuffling order (default 0). */
  seed?: number;
  /** Checks the output layer against a dataset's classes. */
  dataset?: BuiltinDatasetName;
}

/** A model from code: sequential({ inputShape: [28, 28, 1], layers: [layers.conv2d({...}), ...] }). Call compile() before fit(). */
export function sequential(args: SequentialArgs): Sequential {
  if (!isPlainObject(args)) throw usageError('ERR_BAD_CONFIG', 'sequential() takes { inputShape, layers, name }');
  const { inputShape, layers, name, preprocessing, seed, dataset, ...rest } = args;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw usageError('ERR_BAD_CONFIG', `sequential(): unknown option ${unknown[0]} (known: inputShape, layers, name, preprocessing, seed, dataset)`);
  const raw: Record<string, unknown> = { layers };
  if (name !== undefined) raw.name = name;
  if (inputShape !== undefined) raw.input_shape = inputShape;
  if (preprocessing !== undefined) raw.preprocessing = preprocessing;
  if (seed !== undefined) raw.seed = seed;
  if (dataset !== undefined) raw.dataset = dataset;
  return new Sequential(validateConfig(raw, 'sequential()'), false);
}

/**
 * A model from a config: a file path, the name of a shipped config ("fashion-mnist.json"), a JSON
 * string, or the parsed object. The config's optimizer, loss and metrics compile it, and its epochs,
 * batch_size, validation_split and shuffle are fit's defaults, as for cnn train.
 */
export function modelFromConfig(config: string | object): Sequential {
  if (typeof config === 'string') {
    if (config.trimStart().startsWith('{')) {
      let raw: unknown;
      try {
        raw = JSON.parse(config);
      } catch (e) {
        throw usageError('ERR_BAD_CONFIG', `modelFromConfig(): not valid JSON: ${(e as Error).message}`);
      }
      return new Sequential(validateConfig(raw, 'modelFromConfig()'), true);
    }
    return new Sequential(resolveConfig(config).config, true);
  }
  return new Sequential(validateConfig(config, 'modelFromConfig()'), true);
}

/** A model saved by model.save() or cnn train: weights, optimizer state and the epochs trained. */
export async function loadModel(path: string): Promise<Sequential> {
  if (typeof path !== 'string' || path === '') throw usageError('ERR_BAD_OPTION', 'loadModel(path): path must be a non-empty string');
  const { config, net, contents } = await loadTrainedModel(path);
  if (contents.optimizer) restoreOptimizer(net, contents.optimizer, config.optimizer.type, path);
  return new Sequential(config, true, net, trainingStateOf(contents.training));
}

/**
 * @internal A model from a weights file's contents under `config` (the file's, with cnn train's overrides):
 * how `cnn train --resume` continues a run. `state` is where the run stands (trainingStateOf the file's).
 */
export function modelFromContents(config: ModelConfig, contents: WeightsContents, path: string, state: TrainState): Sequential {
  const net = buildNetwork(config);
  restoreParams(net, contents.tensors, path);
  if (contents.optimizer) restoreOptimizer(net, contents.optimizer, config.optimizer.type, path);
  return new Sequential(config, true, net, state);
}

/**
 * @internal Where a saved run stands: finished epochs, their history, and (for a checkpoint taken in the
 * middle of an epoch) the finished batches with the epoch's partial sums, so training resumes exactly.
 */
export function trainingStateOf(t: Record<string, unknown> | undefined): TrainState {
  const state = initialState();
  if (t && typeof t.epoch === 'number' && Number.isInteger(t.epoch) && t.epoch >= 0) {
    state.epoch = t.epoch;
    if (Array.isArray(t.history)) state.history = t.history.filter((r): r is EpochRecord => isPlainObject(r) && typeof r.epoch === 'number');
    for (const key of ['step', 'lossSum', 'correct', 'seen', 'seconds'] as const) {
      const v = t[key];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) state[key] = v;
    }
  }
  return state;
}
