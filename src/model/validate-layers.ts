/**
 * One layer of the config: its type, its arguments (with Keras's defaults), and its name. Shapes are
 * checked afterwards by validate.ts, once every layer before it is known to be sound.
 */
import {
  ACTIVATIONS,
  LAYER_ALIASES,
  LAYER_TYPES,
  type ActivationName,
  type DataFormat,
  type LayerConfig,
  type LayerType,
  type Padding,
} from './config.js';
import { checkConstantShape, readInitializer, readRegularizer } from './validate-init.js';
import {
  checkChoice,
  checkKeys,
  describeValue,
  isPlainObject,
  joinPath,
  readBool,
  readChoice,
  readInt,
  readNumber,
  readPair,
  report,
  suggest,
  type Ctx,
} from './validate-core.js';
import type { ParamTensor } from './params.js';
import { INT32_MAX, MAX_SEED } from './validate-limits.js';
import { PREPROCESSING_LAYER_ARGS, readPreprocessingLayer } from './validate-preprocessing.js';

const WEIGHTED_ARGS = ['activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer'];

/** The arguments each layer type takes, beside "type" and "name". */
export const LAYER_ARGS: Readonly<Record<LayerType, readonly string[]>> = {
  Conv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', ...WEIGHTED_ARGS],
  MaxPooling2D: ['pool_size', 'strides', 'padding', 'data_format'],
  AveragePooling2D: ['pool_size', 'strides', 'padding', 'data_format'],
  Flatten: ['data_format'],
  Dense: ['units', ...WEIGHTED_ARGS],
  Dropout: ['rate', 'seed'],
  BatchNormalization: ['axis', 'momentum', 'epsilon', 'center', 'scale'],
  GlobalAveragePooling2D: ['data_format', 'keepdims'],
  Activation: ['activation'],
  ...PREPROCESSING_LAYER_ARGS,
};

const PADDINGS: readonly Padding[] = ['valid', 'same'];
const DATA_FORMATS: readonly DataFormat[] = ['channels_last', 'channels_first'];

/** The canonical class name of layers[i].type, or undefined (reported) when it is not a layer cnn has. */
export function readLayerType(ctx: Ctx, raw: Record<string, unknown>, path: string): LayerType | undefined {
  const t = raw.type ?? raw.class_name;
  const at = joinPath(path, raw.type === undefined && raw.class_name !== undefined ? 'class_name' : 'type');
  if (t === undefined) {
    report(ctx, joinPath(path, 'type'), `is required (one of ${LAYER_TYPES.join(', ')})`);
    return undefined;
  }
  if (typeof t === 'string') {
    if ((LAYER_TYPES as readonly string[]).includes(t)) return t as LayerType;
    if (LAYER_ALIASES[t]) return LAYER_ALIASES[t];
  }
  const hint = typeof t === 'string' ? suggest(t, [...LAYER_TYPES, ...Object.keys(LAYER_ALIASES)]) : undefined;
  report(
    ctx,
    at,
    `unknown layer type ${describeValue(t)}${hint ? `; did you mean ${JSON.stringify(LAYER_ALIASES[hint] ?? hint)}?` : ` (cnn has ${LAYER_TYPES.join(', ')})`}`,
  );
  return undefined;
}

function readActivation(ctx: Ctx, raw: Record<string, unknown>, path: string, required: boolean): ActivationName {
  const v = raw.activation;
  if (v === undefined || v === null) {
    if (required) report(ctx, joinPath(path, 'activation'), `is required (one of ${ACTIVATIONS.join(', ')})`);
    return 'linear';
  }
  return checkChoice(ctx, v, joinPath(path, 'activation'), ACTIVATIONS, 'linear');
}

/** Arguments cnn takes only at one value (Keras supports more); anything else is reported. */
function onlyValue(ctx: Ctx, raw: Record<string, unknown>, path: string, key: string, allowed: unknown, why: string): void {
  const v = raw[key];
  if (v === undefined || v === null || v === allowed) return;
  if (typeof v === 'string' && typeof allowed === 'string' && v.toLowerCase() === allowed) return;
  report(ctx, joinPath(path, key), `${why}; got ${describeValue(v)}`);
}

/** Normalizes one layer's arguments; `name` was chosen by the caller (explicit or Keras's automatic one). */
export function readLayer(ctx: Ctx, raw: Record<string, unknown>, path: string, type: LayerType, name: string): LayerConfig {
  checkKeys(ctx, raw, path, ['type', 'class_name', 'name', 'input_shape', ...LAYER_ARGS[type]], type);
  switch (type) {
    case 'Conv2D': {
      onlyValue(ctx, raw, path, 'groups', 1, 'cnn supports only groups 1 (no grouped convolution)');
      const strides = readPair(ctx, raw, path, 'strides', [1, 1]);
      const dilation = readPair(ctx, raw, path, 'dilation_rate', [1, 1]);
      if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
        report(ctx, joinPath(path, 'strides'), `strides > 1 cannot be combined with dilation_rate > 1 (Keras forbids it); got strides ${strides.join('x')} and dilation_rate ${dilation.join('x')}`);
      }
      return {
        type,
        name,
        filters: readInt(ctx, raw, path, 'filters', undefined, { min: 1, max: INT32_MAX }),
        kernel_size: readPair(ctx, raw, path, 'kernel_size', undefined),
        strides,
        padding: readChoice(ctx, raw, path, 'padding', PADDINGS, 'valid', true),
        data_format: readChoice(ctx, raw, path, 'data_format', DATA_FORMATS, 'channels_last', true),
        dilation_rate: dilation,
        activation: readActivation(ctx, raw, path, false),
        use_bias: readBool(ctx, raw, path, 'use_bias', true),
        kernel_initializer: readInitializer(ctx, raw, path, 'kernel_initializer', 'glorot_uniform'),
        bias_initializer: readInitializer(ctx, raw, path, 'bias_initializer', 'zeros'),
        kernel_regularizer: readRegularizer(ctx, raw, path, 'kernel_regularizer'),
        bias_regularizer: readRegularizer(ctx, raw, path, 'bias_regularizer'),
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      onlyValue(ctx, raw, path, 'data_format', 'channels_last', 'cnn pools only channels_last inputs');
      const pool = readPair(ctx, raw, path, 'pool_size', [2, 2]);
      const strides = raw.strides === undefined || raw.strides === null ? pool : readPair(ctx, raw, path, 'strides', pool);
      return { type, name, pool_size: pool, strides, padding: readChoice(ctx, raw, path, 'padding', PADDINGS, 'valid', true) };
    }
    case 'Flatten':
      onlyValue(ctx, raw, path, 'data_format', 'channels_last', 'cnn flattens in channels_last order only');
      return { type, name };
    case 'GlobalAveragePooling2D':
      onlyValue(ctx, raw, path, 'data_format', 'channels_last', 'cnn pools only channels_last inputs');
      onlyValue(ctx, raw, path, 'keepdims', false, 'cnn supports only keepdims false');
      return { type, name };
    case 'Dense':
      return {
        type,
        name,
        units: readInt(ctx, raw, path, 'units', undefined, { min: 1, max: INT32_MAX }),
        activation: readActivation(ctx, raw, path, false),
        use_bias: readBool(ctx, raw, path, 'use_bias', true),
        kernel_initializer: readInitializer(ctx, raw, path, 'kernel_initializer', 'glorot_uniform'),
        bias_initializer: readInitializer(ctx, raw, path, 'bias_initializer', 'zeros'),
        kernel_regularizer: readRegularizer(ctx, raw, path, 'kernel_regularizer'),
        bias_regularizer: readRegularizer(ctx, raw, path, 'bias_regularizer'),
      };
    case 'Dropout': {
      const rate = readNumber(ctx, raw, path, 'rate', undefined, { min: 0, max: 1, maxExclusive: true });
      const seed = raw.seed === undefined || raw.seed === null ? null : readInt(ctx, raw, path, 'seed', 0, { min: 0, max: MAX_SEED });
      return { type, name, rate, seed };
    }
    case 'BatchNormalization': {
      const axis = raw.axis;
      if (axis !== undefined && axis !== null && axis !== -1) {
        report(ctx, joinPath(path, 'axis'), `cnn normalizes only the last axis: axis must be -1, got ${describeValue(axis)}`);
      }
      return {
        type,
        name,
        axis: -1,
        momentum: readNumber(ctx, raw, path, 'momentum', 0.99, { min: 0, max: 1 }),
        epsilon: readNumber(ctx, raw, path, 'epsilon', 1e-3, { min: 0, minExclusive: true }),
        center: readBool(ctx, raw, path, 'center', true),
        scale: readBool(ctx, raw, path, 'scale', true),
      };
    }
    case 'Activation':
      return { type, name, activation: readActivation(ctx, raw, path, true) };
    default:
      return readPreprocessingLayer(ctx, raw, path, type, name);
  }
}

/** Where an initializer's arguments sit: beside its type, or under "config" in Keras's serialized form. */
function initializerArgsPath(raw: Record<string, unknown>, path: string, key: string): string {
  const v = raw[key];
  return isPlainObject(v) && isPlainObject(v.config) ? joinPath(joinPath(path, key), 'config') : joinPath(path, key);
}

/** Constant initializers holding arrays must match the parameter they fill. */
export function checkLayerConstants(ctx: Ctx, layer: LayerConfig, raw: Record<string, unknown>, path: string, params: ParamTensor[]): void {
  if (layer.type !== 'Conv2D' && layer.type !== 'Dense') return;
  for (const p of params) {
    const key = p.name === 'kernel' ? 'kernel_initializer' : 'bias_initializer';
    checkConstantShape(ctx, layer[key], initializerArgsPath(raw, path, key), p.shape, `${p.name} of ${layer.name}`);
  }
}
