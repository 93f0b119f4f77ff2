/**
 * Layer factories for `sequential({ layers: [...] })`, named as in TensorFlow.js (tf.layers.conv2d)
 * with the capitalised spellings as aliases (conv2D). Each returns the layer's Keras config entry
 * ({"type": "Conv2D", "kernel_size": ...}); nothing is checked here: the model's validation checks
 * every layer at once, with the same messages and JSON paths as a config file.
 */
import type { ActivationName, DataFormat, InitializerName, NestedNumbers, Padding } from '../model/config.js';
import { toSnakeKeys } from './keys.js';
import { preprocessingLayers } from './layers-preprocessing.js';

export type IntOrPair = number | readonly [number, number];

/** An initializer: a Keras name ("glorot_uniform", "heNormal") or an object with its arguments. */
export type InitializerArg =
  | InitializerName
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'randomNormal'
  | 'randomUniform'
  | { type: InitializerName; value?: NestedNumbers; mean?: number; stddev?: number; minval?: number; maxval?: number };

/** A weight penalty: "l1", "l2", "l1_l2" or { l1, l2 }. */
export type RegularizerArg = 'l1' | 'l2' | 'l1_l2' | { l1?: number; l2?: number } | null;

interface Named {
  /** Keras's automatic name (conv2d, conv2d_1, ...) when left out. */
  name?: string;
  /** Only on the first layer, instead of sequential's inputShape. */
  inputShape?: readonly number[];
}

interface Weighted {
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerArg;
  biasInitializer?: InitializerArg;
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
}

export interface Conv2DArgs extends Named, Weighted {
  filters: number;
  kernelSize: IntOrPair;
  strides?: IntOrPair;
  padding?: Padding;
  dataFormat?: DataFormat;
  dilationRate?: IntOrPair;
}

export interface Pooling2DArgs extends Named {
  poolSize?: IntOrPair;
  strides?: IntOrPair | null;
  padding?: Padding;
}

export interface DenseArgs extends Named, Weighted {
  units: number;
}

export interface DropoutArgs extends Named {
  rate: number;
  seed?: number | null;
}

export interface BatchNormalizationArgs extends Named {
  axis?: -1;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

export interface ActivationArgs extends Named {
  activation: ActivationName;
}

/** One layer as the model config holds it before validation (Keras's snake_case keys). */
export interface LayerSpec {
  readonly type: string;
  readonly [key: string]: unknown;
}

function spec(type: string, args: object | undefined, where: string): LayerSpec {
  return { type, ...toSnakeKeys(args ?? {}, where) };
}

export function conv2d(args: Conv2DArgs): LayerSpec {
  return spec('Conv2D', args, 'layers.conv2d()');
}
export function maxPooling2d(args: Pooling2DArgs = {}): LayerSpec {
  return spec('MaxPooling2D', args, 'layers.maxPooling2d()');
}
export function averagePooling2d(args: Pooling2DArgs = {}): LayerSpec {
  return spec('AveragePooling2D', args, 'layers.averagePooling2d()');
}
export function flatten(args: Named = {}): LayerSpec {
  return spec('Flatten', args, 'layers.flatten()');
}
export function dense(args: DenseArgs): LayerSpec {
  return spec('Dense', args, 'layers.dense()');
}
export function dropout(args: DropoutArgs): LayerSpec {
  return spec('Dropout', args, 'layers.dropout()');
}
export function batchNormalization(args: BatchNormalizationArgs = {}): LayerSpec {
  return spec('BatchNormalization', args, 'layers.batchNormalization()');
}
export function globalAveragePooling2d(args: Named = {}): LayerSpec {
  return spec('GlobalAveragePooling2D', args, 'layers.globalAveragePooling2d()');
}
export function activation(args: ActivationArgs): LayerSpec {
  return spec('Activation', args, 'layers.activation()');
}

/** `layers.conv2d(...)` etc.; conv2D, maxPooling2D ... are the same functions. */
export const layers = {
  conv2d,
  conv2D: conv2d,
  maxPooling2d,
  maxPooling2D: maxPooling2d,
  averagePooling2d,
  averagePooling2D: averagePooling2d,
  flatten,
  dense,
  dropout,
  batchNormalization,
  globalAveragePooling2d,
  globalAveragePooling2D: globalAveragePooling2d,
  activation,
  ...preprocessingLayers,
} as const;
