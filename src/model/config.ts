/**
 * The model config: a Keras-like JSON description of a Sequential network plus how to compile and fit
 * it. These are the types of the *normalized* config that `validateConfig` returns: every default is
 * filled in, every int-or-pair argument is a pair, every initializer/regularizer is an object, so the
 * rest of `cnn` never looks at raw JSON. A normalized config is itself valid input (validation is
 * idempotent), which is how weights files carry it.
 */
import type { PreprocessingLayerConfig } from './config-preprocessing.js';
import { PREPROCESSING_LAYER_TYPES } from './config-preprocessing.js';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type Pair = [number, number];

export const ACTIVATIONS = [
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'linear',
  'swish',
  'silu',
  'gelu',
  'elu',
  'leaky_relu',
  'softplus',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export type Padding = 'valid' | 'same';
export type DataFormat = 'channels_last' | 'channels_first';

/** A nested array of numbers, e.g. a (kh, kw, in, out) kernel written out in JSON. */
export type NestedNumbers = number | NestedNumbers[];

export type InitializerConfig =
  | { type: 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal' | 'zeros' | 'ones' }
  | { type: 'constant'; value: NestedNumbers }
  | { type: 'random_normal'; mean: number; stddev: number }
  | { type: 'random_uniform'; minval: number; maxval: number };
export type InitializerName = InitializerConfig['type'];
export const INITIALIZERS: readonly InitializerName[] = [
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'zeros',
  'ones',
  'constant',
  'random_normal',
  'random_uniform',
];

/** Penalty l1*sum|w| + l2*sum w^2; null when the layer has none. */
export type RegularizerConfig = { l1: number; l2: number } | null;

export interface Conv2DConfig {
  type: 'Conv2D';
  name: string;
  filters: number;
  kernel_size: Pair;
  strides: Pair;
  padding: Padding;
  data_format: DataFormat;
  dilation_rate: Pair;
  activation: ActivationName;
  use_bias: boolean;
  kernel_initializer: InitializerConfig;
  bias_initializer: InitializerConfig;
  kernel_regularizer: RegularizerConfig;
  bias_regularizer: RegularizerConfig;
}

export interface Pooling2DConfig {
  type: 'MaxPooling2D' | 'AveragePooling2D';
  name: string;
  pool_size: Pair;
  strides: Pair; // Keras's strides=None is normalized to pool_size
  padding: Padding;
}

export interface FlattenConfig {
  type: 'Flatten';
  name: string;
}

export interface DenseConfig {
  type: 'Dense';
  name: string;
  units: number;
  activation: ActivationName;
  use_bias: boolean;
  kernel_initializer: InitializerConfig;
  bias_initializer: InitializerConfig;
  kernel_regularizer: RegularizerConfig;
  bias_regularizer: RegularizerConfig;
}

export interface DropoutConfig {
  type: 'Dropout';
  name: string;
  rate: number;
  seed: number | null;
}

export interface BatchNormalizationConfig {
  type: 'BatchNormalization';
  name: string;
  axis: -1;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

export interface GlobalAveragePooling2DConfig {
  type: 'GlobalAveragePooling2D';
  name: string;
}

export interface ActivationLayerConfig {
  type: 'Activation';
  name: string;
  activation: ActivationName;
}

export type LayerConfig =
  | Conv2DConfig
  | Pooling2DConfig
  | FlattenConfig
  | DenseConfig
  | DropoutConfig
  | BatchNormalizationConfig
  | GlobalAveragePooling2DConfig
  | ActivationLayerConfig
  | PreprocessingLayerConfig;
export type LayerType = LayerConfig['type'];

export const LAYER_TYPES: readonly LayerType[] = [
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'Flatten',
  'Dense',
  'Dropout',
  'BatchNormalization',
  'GlobalAveragePooling2D',
  'Activation',
  ...PREPROCESSING_LAYER_TYPES,
];

/** Other spellings Keras accepts for the same classes (the layer keeps the canonical class name). */
export const LAYER_ALIASES: Readonly<Record<string, LayerType>> = {
  Convolution2D: 'Conv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
};

export type OptimizerConfig =
  | { type: 'sgd'; learning_rate: number; momentum: number; nesterov: boolean }
  | { type: 'rmsprop'; learning_rate: number; rho: number; momentum: number; epsilon: number; centered: boolean }
  | { type: 'adam'; learning_rate: number; beta_1: number; beta_2: number; epsilon: number; amsgrad: boolean }
  | {
      type: 'adamw';
      learning_rate: number;
      beta_1: number;
      beta_2: number;
      epsilon: number;
      amsgrad: boolean;
      weight_decay: number;
    };
export type OptimizerName = OptimizerConfig['type'];

/** Keras's defaults for each optimizer (keras.optimizers.*). */
export const OPTIMIZER_DEFAULTS: { readonly [K in OptimizerName]: Extract<OptimizerConfig, { type: K }> } = {
  sgd: { type: 'sgd', learning_rate: 0.01, momentum: 0, nesterov: false },
  rmsprop: { type: 'rmsprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  adam: { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  adamw: {
    type: 'adamw',
    learning_rate: 0.001,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
    weight_decay: 0.004,
  },
};

export const LOSSES = ['sparse_categorical_crossentropy', 'categorical_crossentropy'] as const;
export type LossName = (typeof LOSSES)[number];

export type BuiltinDatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';

/** A dataset given as IDX files (paths relative to the config file's folder). */
export interface FileDatasetConfig {
  train_images: string;
  train_labels: string;
  test_images: string;
  test_labels: string;
  classes: number;
  class_names: string[] | null;
}

/**
 * A folder of images, one subfolder per class: keras.utils.image_dataset_from_directory's arguments
 * (src/model/validate-folder.ts reads them; src/data/folder.ts loads the images).
 */
export interface FolderDatasetConfig {
  directory: string;
  label_mode: 'int' | 'categorical';
  class_names: string[] | null;
  color_mode: 'grayscale' | 'rgb' | 'rgba';
  image_size: [number, number];
  shuffle: boolean;
  seed: number | null;
  validation_split: number | null;
  subset: 'training' | 'validation' | 'both';
  interpolation: 'bilinear';
  follow_links: boolean;
  crop_to_aspect_ratio: boolean;
  pad_to_aspect_ratio: boolean;
}

export type DatasetConfig = BuiltinDatasetName | FileDatasetConfig | FolderDatasetConfig;

export function isFolderDataset(d: DatasetConfig | null | undefined): d is FolderDatasetConfig {
  return typeof d === 'object' && d !== null && 'directory' in d;
}

export interface PreprocessingConfig {
  rescale: number; // input = pixel * rescale + offset
  offset: number;
}

export interface ModelConfig {
  name: string;
  description?: string;
  input_shape: number[];
  layers: LayerConfig[];
  dataset: DatasetConfig | null; // null: not said (enough for `cnn summary`, not for training)
  loss: LossName;
  optimizer: OptimizerConfig;
  metrics: string[];
  epochs: number;
  batch_size: number;
  validation_split: number;
  shuffle: boolean;
  seed: number;
  preprocessing: PreprocessingConfig;
  /** Training callbacks in Keras's snake_case (src/model/validate-callbacks.ts); absent when the config has none. */
  callbacks?: CallbackConfig[];
}

export const CALLBACK_TYPES = ['EarlyStopping', 'ModelCheckpoint', 'ReduceLROnPlateau', 'LearningRateScheduler', 'CSVLogger', 'TerminateOnNaN', 'TensorBoard'] as const;
export type CallbackType = (typeof CALLBACK_TYPES)[number];

/** One validated entry of a config's "callbacks", every Keras default filled in. */
export interface CallbackConfig {
  type: Exclude<CallbackType, 'LearningRateScheduler'>;
  [arg: string]: string | number | boolean | null;
}

export interface BuiltinDatasetInfo {
  classes: number;
  classNames: string[];
  imageShape: [number, number, number];
}

export const BUILTIN_DATASETS: Readonly<Record<BuiltinDatasetName, BuiltinDatasetInfo>> = {
  mnist: {
    classes: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    imageShape: [28, 28, 1],
  },
  'fashion-mnist': {
    classes: 10,
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    imageShape: [28, 28, 1],
  },
  cifar10: {
    classes: 10,
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    imageShape: [32, 32, 3],
  },
};

/** How many classes the dataset has, and their names (indices as names when the config gives none). */
export function datasetClasses(dataset: DatasetConfig): { classes: number; classNames: string[] } {
  if (typeof dataset === 'string') return BUILTIN_DATASETS[dataset];
  if (isFolderDataset(dataset)) {
    const names = dataset.class_names ?? folderClassNames(dataset.directory);
    return { classes: names.length, classNames: names };
  }
  return {
    classes: dataset.classes,
    classNames: dataset.class_names ?? Array.from({ length: dataset.classes }, (_, i) => String(i)),
  };
}

/** The class folders of a folder dataset, sorted by code point as Keras sorts them; [] when unreadable (a message comes when it is loaded). */
function folderClassNames(directory: string): string[] {
  try {
    const names = readdirSync(directory).filter((n) => !n.startsWith('.') && statSync(join(directory, n), { throwIfNoEntry: false })?.isDirectory());
    return names.sort((a, b) => {
      const x = [...a];
      const y = [...b];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
        if (d !== 0) return d;
      }
      return x.length - y.length;
    });
  } catch {
    return [];
  }
}

/** Keras's automatic layer name: the snake_case of the class name (Conv2D -> conv2d). */
export function snakeCaseLayerName(type: LayerType): string {
  // The same three substitutions as keras.src.utils.naming.to_snake_case.
  return type
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
