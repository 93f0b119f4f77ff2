/**
 * The mapping between cnn's layer configs and TensorFlow.js's layers format (model.json as
 * `tf.loadLayersModel` reads it: Keras-style class names with snake_case config keys).
 *
 * TensorFlow.js has no leaky_relu activation function, only a LeakyReLU layer, so a layer with
 * activation leaky_relu is written as that layer with a linear activation followed by a LeakyReLU
 * layer named `<name>_leaky_relu`; the importer folds such a pair back into one layer.
 */
import type { ActivationName, LayerConfig } from '../model/config.js';
import { CnnError } from '../errors.js';

/** cnn's leaky_relu slope (Keras 3's default negative_slope); TensorFlow.js calls it alpha. */
export const LEAKY_RELU_SLOPE = 0.2;
export const LEAKY_SUFFIX = '_leaky_relu';

export interface TfjsLayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** The TensorFlow.js activation name, or 'linear' for leaky_relu (written as a separate layer). */
export function tfjsActivation(activation: ActivationName): string {
  if (activation === 'silu') return 'swish';
  if (activation === 'leaky_relu') return 'linear';
  return activation;
}

function leakyLayer(name: string): TfjsLayerJson {
  return { class_name: 'LeakyReLU', config: { name, trainable: true, dtype: 'float32', alpha: LEAKY_RELU_SLOPE } };
}

/** One cnn layer as one or two TensorFlow.js layers (none for a random augmentation layer); `output` is its output shape. */
export function layerToTfjs(layer: LayerConfig, output?: readonly number[]): TfjsLayerJson[] {
  const common = { name: layer.name, trainable: true, dtype: 'float32' };
  const withLeaky = (main: TfjsLayerJson, activation: ActivationName): TfjsLayerJson[] =>
    activation === 'leaky_relu' ? [main, leakyLayer(`${layer.name}${LEAKY_SUFFIX}`)] : [main];
  switch (layer.type) {
    case 'Conv2D':
      return withLeaky(
        {
          class_name: 'Conv2D',
          config: {
            ...common,
            filters: layer.filters,
            kernel_size: [...layer.kernel_size],
            strides: [...layer.strides],
            padding: layer.padding,
            data_format: layer.data_format,
            dilation_rate: [...layer.dilation_rate],
            activation: tfjsActivation(layer.activation),
            use_bias: layer.use_bias,
          },
        },
        layer.activation,
      );
    case 'Dense':
      return withLeaky(
        {
          class_name: 'Dense',
          config: { ...common, units: layer.units, activation: tfjsActivation(layer.activation), use_bias: layer.use_bias },
        },
        layer.activation,
      );
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return [
        {
          class_name: layer.type,
          config: { ...common, pool_size: [...layer.pool_size], strides: [...layer.strides], padding: layer.padding, data_format: 'channels_last' },
        },
      ];
    case 'GlobalAveragePooling2D':
      return [{ class_name: 'GlobalAveragePooling2D', config: { ...common, data_format: 'channels_last' } }];
    case 'Flatten':
      return [{ class_name: 'Flatten', config: { ...common, data_format: 'channels_last' } }];
    case 'Dropout':
      return [{ class_name: 'Dropout', config: { ...common, rate: layer.rate } }];
    case 'BatchNormalization':
      return [
        {
          class_name: 'BatchNormalization',
          config: { ...common, axis: -1, momentum: layer.momentum, epsilon: layer.epsilon, center: layer.center, scale: layer.scale },
        },
      ];
    case 'Activation':
      if (layer.activation === 'leaky_relu') return [leakyLayer(layer.name)];
      return [{ class_name: 'Activation', config: { ...common, activation: tfjsActivation(layer.activation) } }];
    case 'Rescaling':
      return [{ class_name: 'Rescaling', config: { ...common, scale: layer.scale, offset: layer.offset } }];
    case 'Resizing':
      // TensorFlow.js's Resizing samples with align_corners (not Keras's half-pixel centres) and never crops.
      throw new CnnError('ERR_EXPORT', `layer ${layer.name} (Resizing): TensorFlow.js's Resizing computes other values than Keras's (align_corners sampling, no crop or pad to the aspect ratio); export to ONNX or Keras instead`);
    case 'ZeroPadding2D':
      return [{ class_name: 'ZeroPadding2D', config: { ...common, padding: layer.padding, data_format: 'channels_last' } }];
    case 'Cropping2D':
      return [{ class_name: 'Cropping2D', config: { ...common, cropping: layer.cropping, data_format: 'channels_last' } }];
    case 'Reshape':
      // TensorFlow.js cannot feed a -1 size to the next layer's shape inference: the size itself is written.
      return [{ class_name: 'Reshape', config: { ...common, target_shape: [...(output ?? layer.target_shape)] } }];
    default:
      return []; // the Random* layers: the identity at inference (TensorFlow.js has no such layers to load)
  }
}
