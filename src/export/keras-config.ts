/**
 * cnn's normalized model config as Keras 3's config.json (what `model.get_config()` serializes, with
 * the module/class_name/config/registered_name wrapping of keras.saving.serialize_keras_object), and
 * the names Keras gives things in the weights file. Learned from files Keras 3.15 writes; Keras's
 * memory-address `shared_object_id`s are left out (Keras reads configs without them).
 *
 * The preprocessing (pixel * rescale + offset) is NOT a layer of the exported model: like the ONNX
 * and TensorFlow.js exports, it takes preprocessed inputs (the export prints the formula). A Rescaling
 * layer at the front of an imported Keras model becomes cnn's preprocessing instead.
 */
import type { ActivationName, InitializerConfig, LayerConfig, ModelConfig, OptimizerConfig, RegularizerConfig } from '../model/config.js';
import { preprocessingKerasConfig } from './keras-config-preprocessing.js';

type Json = Record<string, unknown>;

export const KERAS_VERSION = '3.15.1';

function wrap(module: string, className: string, config: Json): Json {
  return { module, class_name: className, config, registered_name: null };
}

const DTYPE = (): Json => wrap('keras', 'DTypePolicy', { name: 'float32' });

/** Keras 3 serializes swish under its other name. */
export function kerasActivation(activation: ActivationName): string {
  return activation === 'swish' ? 'silu' : activation;
}

const INITIALIZER_CLASSES: Record<string, string> = {
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  he_normal: 'HeNormal',
  zeros: 'Zeros',
  ones: 'Ones',
  constant: 'Constant',
  random_normal: 'RandomNormal',
  random_uniform: 'RandomUniform',
};
export const INITIALIZER_NAMES: Record<string, string> = Object.fromEntries(Object.entries(INITIALIZER_CLASSES).map(([k, v]) => [v, k]));

function initializer(init: InitializerConfig): Json {
  const cls = INITIALIZER_CLASSES[init.type];
  switch (init.type) {
    case 'zeros':
    case 'ones':
      return wrap('keras.initializers', cls, {});
    case 'constant':
      return wrap('keras.initializers', cls, { value: init.value });
    case 'random_normal':
      return wrap('keras.initializers', cls, { seed: null, mean: init.mean, stddev: init.stddev });
    case 'random_uniform':
      return wrap('keras.initializers', cls, { seed: null, minval: init.minval, maxval: init.maxval });
    default:
      return wrap('keras.initializers', cls, { seed: null, input_axes: null, output_axes: null });
  }
}

function regularizer(reg: RegularizerConfig): Json | null {
  return reg ? wrap('keras.regularizers', 'L1L2', { l1: reg.l1, l2: reg.l2 }) : null;
}

/** The class-name-based key Keras files a layer's variables under (conv2d, conv2d_1, ...). */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** "layers/<key>" for each layer, as Keras's saving_lib names the groups of a Sequential model. */
export function kerasLayerPaths(classNames: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((cls) => {
    const base = kerasSnakeCase(cls);
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return `layers/${n === 0 ? base : `${base}_${n}`}`;
  });
}

function layerConfig(layer: LayerConfig, inputShape: readonly number[]): Json {
  const common = { name: layer.name, trainable: true, dtype: DTYPE() };
  const built = { build_config: { input_shape: [null, ...inputShape] } };
  switch (layer.type) {
    case 'Conv2D':
      return {
        ...wrap('keras.layers', 'Conv2D', {
          ...common,
          filters: layer.filters,
          kernel_size: [...layer.kernel_size],
          strides: [...layer.strides],
          padding: layer.padding,
          data_format: layer.data_format,
          dilation_rate: [...layer.dilation_rate],
          groups: 1,
          activation: kerasActivation(layer.activation),
          use_bias: layer.use_bias,
          kernel_initializer: initializer(layer.kernel_initializer),
          bias_initializer: initializer(layer.bias_initializer),
          kernel_regularizer: regularizer(layer.kernel_regularizer),
          bias_regularizer: regularizer(layer.bias_regularizer),
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        }),
        ...built,
      };
    case 'Dense':
      return {
        ...wrap('keras.layers', 'Dense', {
          ...common,
          units: layer.units,
          activation: kerasActivation(layer.activation),
          use_bias: layer.use_bias,
          kernel_initializer: initializer(layer.kernel_initializer),
          bias_initializer: initializer(layer.bias_initializer),
          kernel_regularizer: regularizer(layer.kernel_regularizer),
          bias_regularizer: regularizer(layer.bias_regularizer),
          kernel_constraint: null,
          bias_constraint: null,
          quantization_config: null,
        }),
        ...built,
      };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return wrap('keras.layers', layer.type, {
        ...common,
        pool_size: [...layer.pool_size],
        padding: layer.padding,
        strides: [...layer.strides],
        data_format: 'channels_last',
      });
    case 'Flatten':
      return { ...wrap('keras.layers', 'Flatten', { ...common, data_format: 'channels_last' }), ...built };
    case 'Dropout':
      return wrap('keras.layers', 'Dropout', { ...common, rate: layer.rate, seed: layer.seed, noise_shape: null });
    case 'GlobalAveragePooling2D':
      return wrap('keras.layers', 'GlobalAveragePooling2D', { ...common, data_format: 'channels_last', keepdims: false });
    case 'Activation':
      return wrap('keras.layers', 'Activation', { ...common, activation: kerasActivation(layer.activation) });
    case 'BatchNormalization': {
      const init = (cls: string) => wrap('keras.initializers', cls, {});
      return {
        ...wrap('keras.layers', 'BatchNormalization', {
          ...common,
          axis: -1,
          momentum: layer.momentum,
          epsilon: layer.epsilon,
          center: layer.center,
          scale: layer.scale,
          beta_initializer: init('Zeros'),
          gamma_initializer: init('Ones'),
          moving_mean_initializer: init('Zeros'),
          moving_variance_initializer: init('Ones'),
          beta_regularizer: null,
          gamma_regularizer: null,
          beta_constraint: null,
          gamma_constraint: null,
          synchronized: false,
          renorm: false,
          renorm_clipping: null,
          renorm_momentum: 0.99,
        }),
        ...built,
      };
    }
    default:
      return preprocessingKerasConfig(layer, common, wrap);
  }
}

/** Keras's optimizer class and default name (the snake case of the class: RMSprop -> rm_sprop). */
export const OPTIMIZER_CLASSES: Record<OptimizerConfig['type'], string> = { sgd: 'SGD', rmsprop: 'RMSprop', adam: 'Adam', adamw: 'AdamW' };

function optimizerConfig(opt: OptimizerConfig): Json {
  const cls = OPTIMIZER_CLASSES[opt.type];
  const base: Json = {
    name: kerasSnakeCase(cls),
    learning_rate: Math.fround(opt.learning_rate), // Keras stores it in a float32 variable
    weight_decay: opt.type === 'adamw' ? opt.weight_decay : null,
    clipnorm: null,
    global_clipnorm: null,
    clipvalue: null,
    use_ema: false,
    ema_momentum: 0.99,
    ema_overwrite_frequency: null,
    loss_scale_factor: null,
    gradient_accumulation_steps: null,
  };
  switch (opt.type) {
    case 'sgd':
      return wrap('keras.optimizers', cls, { ...base, momentum: opt.momentum, nesterov: opt.nesterov });
    case 'rmsprop':
      return wrap('keras.optimizers', cls, { ...base, rho: opt.rho, momentum: opt.momentum, epsilon: opt.epsilon, centered: opt.centered });
    case 'adam':
    case 'adamw':
      return wrap('keras.optimizers', cls, { ...base, beta_1: opt.beta_1, beta_2: opt.beta_2, epsilon: opt.epsilon, amsgrad: opt.amsgrad });
  }
}

/** The whole config.json of a Sequential model with its build and compile configs. */
export function kerasModelConfig(config: ModelConfig, inputShapes: readonly (readonly number[])[]): Json {
  const batchShape = [null, ...config.input_shape];
  const input = wrap('keras.layers', 'InputLayer', { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false });
  return {
    ...wrap('keras', 'Sequential', {
      name: config.name,
      trainable: true,
      dtype: DTYPE(),
      layers: [input, ...config.layers.map((l, i) => layerConfig(l, inputShapes[i]))],
      build_input_shape: batchShape,
    }),
    build_config: { input_shape: batchShape },
    compile_config: {
      optimizer: optimizerConfig(config.optimizer),
      loss: config.loss,
      loss_weights: null,
      metrics: [...config.metrics],
      weighted_metrics: null,
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: false,
    },
  };
}

/**
 * The order of Keras's optimizer variables after iteration and learning_rate, as groups of cnn slot
 * indices: each group is written for every trainable variable in turn, a group's slots interleaved
 * (Adam: m0 v0 m1 v1 ..., then v_hat0 v_hat1 ...; RMSprop: all velocities, then all momentums, ...).
 */
export function optimizerSlotGroups(opt: OptimizerConfig): number[][] {
  switch (opt.type) {
    case 'sgd':
      return opt.momentum > 0 ? [[0]] : [];
    case 'rmsprop': {
      const groups = [[0]];
      let next = 1;
      if (opt.momentum > 0) groups.push([next++]);
      if (opt.centered) groups.push([next++]);
      return groups;
    }
    case 'adam':
    case 'adamw':
      return opt.amsgrad ? [[0, 1], [2]] : [[0, 1]];
  }
}
