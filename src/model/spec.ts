/**
 * Converts a normalized config into the plain object the addon turns into cnn::NetworkSpec
 * (native/core/network.h). The interfaces below mirror those C++ structs field for field, with the
 * same snake_case names; every field is always present so the C++ side never falls back silently.
 */
import type { InitializerConfig, LayerConfig, ModelConfig, NestedNumbers, OptimizerConfig, Pair, RegularizerConfig } from './config.js';
import { inferShapes } from './shapes.js';
import { toNativePreprocessing, type NativePreprocessingSpec } from './spec-preprocessing.js';

export interface NativeInitializerSpec {
  kind: string; // glorot_uniform glorot_normal he_uniform he_normal random_normal random_uniform zeros ones constant
  value: number; // constant (scalar)
  values: number[]; // constant holding an explicit array, flat in the parameter's Keras layout
  mean: number;
  stddev: number;
  minval: number;
  maxval: number;
}

export interface NativeRegularizerSpec {
  l1: number;
  l2: number;
}

export interface NativeLayerSpec {
  type: string;
  name: string;
  input_shape: number[]; // without the batch axis
  output_shape: number[];
  filters: number;
  units: number;
  kernel_size: Pair;
  strides: Pair;
  dilation_rate: Pair;
  padding_same: boolean;
  channels_first: boolean;
  activation: string;
  use_bias: boolean;
  kernel_initializer: NativeInitializerSpec;
  bias_initializer: NativeInitializerSpec;
  kernel_regularizer: NativeRegularizerSpec;
  bias_regularizer: NativeRegularizerSpec;
  pool_size: Pair;
  rate: number;
  dropout_seed?: number; // present only when the Dropout layer has its own seed
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  preprocessing: NativePreprocessingSpec;
}

export interface NativeOptimizerSpec {
  type: string; // sgd rmsprop adam adamw
  learning_rate: number;
  momentum: number;
  nesterov: boolean;
  rho: number;
  centered: boolean;
  beta_1: number;
  beta_2: number;
  epsilon: number;
  amsgrad: boolean;
  weight_decay: number;
}

export interface NativeNetworkSpec {
  input_shape: number[];
  layers: NativeLayerSpec[];
  loss: string;
  optimizer: NativeOptimizerSpec;
  seed: number;
}

function flatten(value: NestedNumbers, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else for (const v of value) flatten(v, out);
  return out;
}

export function toNativeInitializer(init: InitializerConfig): NativeInitializerSpec {
  const spec: NativeInitializerSpec = { kind: init.type, value: 0, values: [], mean: 0, stddev: 0.05, minval: -0.05, maxval: 0.05 };
  if (init.type === 'constant') {
    if (typeof init.value === 'number') spec.value = init.value;
    else spec.values = flatten(init.value);
  } else if (init.type === 'random_normal') {
    spec.mean = init.mean;
    spec.stddev = init.stddev;
  } else if (init.type === 'random_uniform') {
    spec.minval = init.minval;
    spec.maxval = init.maxval;
  }
  return spec;
}

function toNativeRegularizer(r: RegularizerConfig): NativeRegularizerSpec {
  return r ? { l1: r.l1, l2: r.l2 } : { l1: 0, l2: 0 };
}

/** The native core knows swish by that name only (Keras 3 calls it silu too). */
function nativeActivation(name: string): string {
  return name === 'silu' ? 'swish' : name;
}

function toNativeLayer(layer: LayerConfig, input: number[], output: number[]): NativeLayerSpec {
  const spec: NativeLayerSpec = {
    type: layer.type,
    name: layer.name,
    input_shape: [...input],
    output_shape: [...output],
    filters: 0,
    units: 0,
    kernel_size: [1, 1],
    strides: [1, 1],
    dilation_rate: [1, 1],
    padding_same: false,
    channels_first: false,
    activation: 'linear',
    use_bias: true,
    kernel_initializer: toNativeInitializer({ type: 'glorot_uniform' }),
    bias_initializer: toNativeInitializer({ type: 'zeros' }),
    kernel_regularizer: { l1: 0, l2: 0 },
    bias_regularizer: { l1: 0, l2: 0 },
    pool_size: [2, 2],
    rate: 0,
    momentum: 0.99,
    epsilon: 1e-3,
    center: true,
    scale: true,
    preprocessing: toNativePreprocessing(layer),
  };
  switch (layer.type) {
    case 'Conv2D':
    case 'Dense':
      if (layer.type === 'Conv2D') {
        spec.filters = layer.filters;
        spec.kernel_size = [...layer.kernel_size];
        spec.strides = [...layer.strides];
        spec.dilation_rate = [...layer.dilation_rate];
        spec.padding_same = layer.padding === 'same';
        spec.channels_first = layer.data_format === 'channels_first';
      } else {
        spec.units = layer.units;
      }
      spec.activation = nativeActivation(layer.activation);
      spec.use_bias = layer.use_bias;
      spec.kernel_initializer = toNativeInitializer(layer.kernel_initializer);
      spec.bias_initializer = toNativeInitializer(layer.bias_initializer);
      spec.kernel_regularizer = toNativeRegularizer(layer.kernel_regularizer);
      spec.bias_regularizer = toNativeRegularizer(layer.bias_regularizer);
      break;
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      spec.pool_size = [...layer.pool_size];
      spec.strides = [...layer.strides];
      spec.padding_same = layer.padding === 'same';
      break;
    case 'Dropout':
      spec.rate = layer.rate;
      if (layer.seed !== null) spec.dropout_seed = layer.seed;
      break;
    case 'BatchNormalization':
      spec.momentum = layer.momentum;
      spec.epsilon = layer.epsilon;
      spec.center = layer.center;
      spec.scale = layer.scale;
      break;
    case 'Activation':
      spec.activation = nativeActivation(layer.activation);
      break;
    default:
      break;
  }
  return spec;
}

export function toNativeOptimizer(opt: OptimizerConfig): NativeOptimizerSpec {
  const spec: NativeOptimizerSpec = {
    type: opt.type,
    learning_rate: opt.learning_rate,
    momentum: 0,
    nesterov: false,
    rho: 0.9,
    centered: false,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
    weight_decay: 0,
  };
  switch (opt.type) {
    case 'sgd':
      spec.momentum = opt.momentum;
      spec.nesterov = opt.nesterov;
      break;
    case 'rmsprop':
      spec.rho = opt.rho;
      spec.momentum = opt.momentum;
      spec.epsilon = opt.epsilon;
      spec.centered = opt.centered;
      break;
    case 'adam':
    case 'adamw':
      spec.beta_1 = opt.beta_1;
      spec.beta_2 = opt.beta_2;
      spec.epsilon = opt.epsilon;
      spec.amsgrad = opt.amsgrad;
      // AdamW is Adam plus decoupled weight decay.
      if (opt.type === 'adamw') spec.weight_decay = opt.weight_decay;
      break;
  }
  return spec;
}

/** The NetworkSpec of a normalized config (from validateConfig). */
export function toNativeSpec(config: ModelConfig): NativeNetworkSpec {
  const shapes = inferShapes(config);
  return {
    input_shape: [...config.input_shape],
    layers: config.layers.map((layer, i) => toNativeLayer(layer, shapes[i].input, shapes[i].output)),
    loss: config.loss,
    optimizer: toNativeOptimizer(config.optimizer),
    seed: config.seed,
  };
}
