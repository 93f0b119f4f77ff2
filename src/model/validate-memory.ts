/**
 * How much memory the native core will allocate for a model, estimated before anything is allocated,
 * so impossible work (filters 100000, Dense(1e6), a 10000x10000x3 input) is refused at once with the
 * layer that dominates instead of growing past the machine's memory. The figures follow the core's
 * real buffers (native/core/network.cc, native/core/layers/*.cc): per layer its parameters, their
 * gradients and optimizer slots, its output at the batch size, and its scratch (Conv2D's column
 * buffers in chunks of at most 2^21 floats, pre-activations, max-pooling argmax, masks, BN's x-hat);
 * plus the network's two gradient buffers and the worker's batch of inputs.
 */
import { totalmem } from 'node:os';
import { usageError } from '../errors.js';
import type { LayerConfig, ModelConfig, OptimizerConfig } from './config.js';
import { layerParamTensors, tensorSize } from './params.js';
import { inferShapes } from './shapes.js';

const FLOAT = 4;
// native/core/layers/conv2d.h: kColumnBudget and kTransposedFilterLimit.
const COLUMN_BUDGET = 2 ** 21;
const TRANSPOSED_FILTER_LIMIT = 8;
// native/core/network.cc: inference runs in slices of max(training batch, 64) examples.
const INFERENCE_SLICE = 64;

export interface LayerMemory {
  index: number;
  name: string;
  type: string;
  bytes: number;
  params: number; // parameters, gradients and optimizer state
  buffers: number; // output and scratch at the batch size
}

export interface MemoryEstimate {
  batchSize: number;
  bytes: number;
  layers: LayerMemory[];
  largest: LayerMemory;
}

/** Optimizer state buffers per trainable value, as native/core/optimizers.cc allocates them. */
export function optimizerSlots(opt: OptimizerConfig): number {
  switch (opt.type) {
    case 'sgd':
      return opt.momentum > 0 ? 1 : 0;
    case 'rmsprop':
      return 1 + (opt.momentum > 0 ? 1 : 0) + (opt.centered ? 1 : 0);
    case 'adam':
    case 'adamw':
      return opt.amsgrad ? 3 : 2;
  }
}

function hasActivation(layer: LayerConfig): boolean {
  return (layer.type === 'Conv2D' || layer.type === 'Dense') && layer.activation !== 'linear';
}

/** Floats of scratch a layer keeps for `n` examples (beside its output). */
function scratchFloats(layer: LayerConfig, input: number[], output: number[], n: number): number {
  const inSize = tensorSize(input);
  const outSize = tensorSize(output);
  switch (layer.type) {
    case 'Conv2D': {
      const first = layer.data_format === 'channels_first';
      const channels = first ? input[0] : input[2];
      const positions = first ? output[1] * output[2] : output[0] * output[1];
      const patch = layer.kernel_size[0] * layer.kernel_size[1] * channels;
      const chunk = Math.min(n, Math.max(1, Math.floor(COLUMN_BUDGET / Math.max(1, positions * patch))));
      let floats = 2 * chunk * positions * patch; // cols_ and dcols_
      if (layer.filters <= TRANSPOSED_FILTER_LIMIT) floats += chunk * positions * layer.filters + patch * layer.filters;
      if (hasActivation(layer)) floats += n * outSize; // z_
      if (first) floats += 2 * n * inSize + n * outSize; // x_nhwc_, dx_nhwc_, z_nhwc_
      return floats;
    }
    case 'Dense':
      return hasActivation(layer) ? n * outSize : 0;
    case 'MaxPooling2D':
      return n * outSize; // int32 argmax, the size of a float
    case 'Dropout':
    case 'BatchNormalization':
      return n * inSize; // mask_ / xhat_
    default:
      return 0;
  }
}

/** The estimate for training at the config's batch_size (the buffers also serve evaluation). */
export function estimateMemory(config: ModelConfig): MemoryEstimate {
  const shapes = inferShapes(config);
  const slots = optimizerSlots(config.optimizer);
  const n = Math.max(config.batch_size, INFERENCE_SLICE);
  const inputSize = tensorSize(config.input_shape);
  let widest = inputSize;
  const layers: LayerMemory[] = config.layers.map((layer, index) => {
    const { input, output } = shapes[index];
    let params = 0;
    for (const t of layerParamTensors(layer, input)) params += tensorSize(t.shape) * (t.trainable ? 2 + slots : 1);
    const outSize = tensorSize(output);
    widest = Math.max(widest, outSize);
    const buffers = n * outSize + scratchFloats(layer, input, output, n);
    return { index, name: layer.name, type: layer.type, params: params * FLOAT, buffers: buffers * FLOAT, bytes: (params + buffers) * FLOAT };
  });
  const shared = (2 * n * widest + config.batch_size * inputSize) * FLOAT; // grad_a, grad_b; the batch
  const bytes = layers.reduce((a, l) => a + l.bytes, shared);
  const largest = layers.reduce((a, l) => (l.bytes > a.bytes ? l : a), layers[0]);
  return { batchSize: config.batch_size, bytes, layers, largest };
}

/** 1.23 GiB: binary units, as os.totalmem() is reported. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${units[u]}`;
}

/** What the largest layer's share is made of, for messages. */
export function describeLargest(e: MemoryEstimate): string {
  const l = e.largest;
  const parts = [l.params > 0 ? `${formatBytes(l.params)} of parameters, gradients and optimizer state` : '', `${formatBytes(l.buffers)} of activations and scratch`];
  return `layers[${l.index}] ${l.name} (${l.type}) takes ${formatBytes(l.bytes)}: ${parts.filter(Boolean).join(' and ')}`;
}

/**
 * Refuses (exit 2) a model whose estimate exceeds the machine's memory, before the core allocates
 * anything. `available` defaults to os.totalmem().
 */
export function checkMemory(config: ModelConfig, source = 'model config', available = totalmem()): MemoryEstimate {
  const e = estimateMemory(config);
  if (e.bytes > available) {
    throw usageError(
      'ERR_MODEL_TOO_LARGE',
      `${source}: the model needs about ${formatBytes(e.bytes)} of memory to train at batch_size ${e.batchSize}, ` +
        `more than this machine's ${formatBytes(available)}; ${describeLargest(e)}. Use fewer filters or units, a smaller input or a smaller batch_size`,
    );
  }
  return e;
}
