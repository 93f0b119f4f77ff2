/**
 * Shape inference, exactly as Keras computes output shapes (keras.src.ops.operation_utils). Shapes here
 * leave out the batch axis: [26, 26, 32] is Keras's (None, 26, 26, 32). A layer that cannot take its
 * input returns a problem (which argument, and why) instead of throwing, so validation can point at
 * the argument in the JSON.
 */
import { usageError } from '../errors.js';
import type { LayerConfig, ModelConfig, Padding } from './config.js';
import { INT32_MAX, MAX_VALUES_PER_EXAMPLE, windowLimitProblem } from './validate-limits.js';
import { preprocessingOutputShape } from './shapes-preprocessing.js';

export type ShapeResult = { ok: true; shape: number[] } | { ok: false; key: string; message: string };

export interface LayerShape {
  input: number[];
  output: number[];
}

/** Output length along one axis of a convolution or pooling window. */
export function windowOutputLength(input: number, kernel: number, padding: Padding, stride: number, dilation = 1): number {
  if (padding === 'same') return Math.ceil(input / stride);
  return Math.floor((input - (kernel - 1) * dilation - 1) / stride) + 1;
}

/** Padding 'same' adds: before = floor(total/2), after = total - before (the odd pixel goes last). */
export function samePadding(input: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(input / stride);
  const total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - input);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Keras's tuple text: (None, 26, 26, 32); a flat shape is (None, 576). */
export function formatShapeTuple(shape: readonly number[]): string {
  return `(${['None', ...shape.map(String)].join(', ')})`;
}

function describe(shape: readonly number[]): string {
  return formatShapeTuple(shape);
}

function needsImage(layer: LayerConfig, input: number[]): ShapeResult | null {
  if (input.length === 3) return null;
  const hint = input.length === 1 ? ' (it comes after a Flatten, Dense or GlobalAveragePooling2D)' : '';
  return {
    ok: false,
    key: '',
    message: `${layer.type} needs a 3-D input (height, width, channels) but its input is ${describe(input)}${hint}`,
  };
}

function spatialOutput(
  what: string,
  key: string,
  hw: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
  padding: Padding,
): ShapeResult | [number, number] {
  const out: [number, number] = [0, 0];
  for (let axis = 0; axis < 2; axis++) {
    const tooFar = windowLimitProblem(hw[axis], kernel[axis], strides[axis], dilation[axis], padding);
    if (tooFar) {
      const dilated = dilation[axis] > 1 && key === 'kernel_size';
      return { ok: false, key: dilated ? 'dilation_rate' : key, message: `along the ${axis === 0 ? 'height' : 'width'}, ${tooFar}` };
    }
    out[axis] = windowOutputLength(hw[axis], kernel[axis], padding, strides[axis], dilation[axis]);
  }
  if (out[0] >= 1 && out[1] >= 1) return out;
  const span = [0, 1].map((a) => (kernel[a] - 1) * dilation[a] + 1);
  const dilated = dilation[0] > 1 || dilation[1] > 1 ? ` (spanning ${span[0]}x${span[1]} with its dilation_rate)` : '';
  return {
    ok: false,
    key,
    message:
      `${what} ${kernel[0]}x${kernel[1]}${dilated} is larger than its ${hw[0]}x${hw[1]} input, ` +
      `so the output would be ${out[0]}x${out[1]}; use padding "same" or a smaller ${what}`,
  };
}

/** The output shape of one layer for a given input shape (both without the batch axis), refused when
 * one example of it would hold more values than the core indexes (2^31 - 1). */
export function layerOutputShape(layer: LayerConfig, input: number[]): ShapeResult {
  const r = unboundedOutputShape(layer, input);
  if (!r.ok) return r;
  const values = r.shape.reduce((a, b) => a * b, 1);
  if (values > MAX_VALUES_PER_EXAMPLE) {
    const key = layer.type === 'Conv2D' ? 'filters' : layer.type === 'Dense' ? 'units' : layer.type === 'Resizing' ? 'height' : layer.type === 'ZeroPadding2D' ? 'padding' : '';
    return {
      ok: false,
      key,
      message: `its output ${describe(r.shape)} holds ${values} values per example, more than the limit of ${MAX_VALUES_PER_EXAMPLE}`,
    };
  }
  if (layer.type === 'Conv2D') {
    const channels = layer.data_format === 'channels_first' ? input[0] : input[2];
    const patch = layer.kernel_size[0] * layer.kernel_size[1] * channels;
    if (patch > INT32_MAX) {
      return {
        ok: false,
        key: 'kernel_size',
        message: `its kernel patch ${layer.kernel_size[0]}x${layer.kernel_size[1]}x${channels} holds ${patch} values, more than the limit of ${INT32_MAX}`,
      };
    }
  }
  return r;
}

function unboundedOutputShape(layer: LayerConfig, input: number[]): ShapeResult {
  switch (layer.type) {
    case 'Conv2D': {
      const bad = needsImage(layer, input);
      if (bad) return bad;
      const first = layer.data_format === 'channels_first';
      const hw: [number, number] = first ? [input[1], input[2]] : [input[0], input[1]];
      const out = spatialOutput('kernel_size', 'kernel_size', hw, layer.kernel_size, layer.strides, layer.dilation_rate, layer.padding);
      if (!Array.isArray(out)) return out;
      return { ok: true, shape: first ? [layer.filters, out[0], out[1]] : [out[0], out[1], layer.filters] };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const bad = needsImage(layer, input);
      if (bad) return bad;
      const out = spatialOutput('pool_size', 'pool_size', [input[0], input[1]], layer.pool_size, layer.strides, [1, 1], layer.padding);
      if (!Array.isArray(out)) return out;
      return { ok: true, shape: [out[0], out[1], input[2]] };
    }
    case 'GlobalAveragePooling2D': {
      const bad = needsImage(layer, input);
      if (bad) return bad;
      return { ok: true, shape: [input[2]] };
    }
    case 'Flatten':
      return { ok: true, shape: [input.reduce((a, b) => a * b, 1)] };
    case 'Dense':
      if (input.length !== 1) {
        return {
          ok: false,
          key: '',
          message: `Dense needs a flat input (None, N) but its input is ${describe(input)}; add a Flatten (or GlobalAveragePooling2D) layer before it`,
        };
      }
      return { ok: true, shape: [layer.units] };
    case 'Dropout':
    case 'BatchNormalization':
    case 'Activation':
      return { ok: true, shape: [...input] };
    default:
      return preprocessingOutputShape(layer, input);
  }
}

/** Every layer's input and output shape. Throws a usage error for an impossible config (which
 * validateConfig has already ruled out for a normalized one). */
export function inferShapes(config: Pick<ModelConfig, 'input_shape' | 'layers'>): LayerShape[] {
  const shapes: LayerShape[] = [];
  let current = [...config.input_shape];
  config.layers.forEach((layer, i) => {
    const r = layerOutputShape(layer, current);
    if (!r.ok) {
      const path = r.key ? `layers[${i}].${r.key}` : `layers[${i}]`;
      throw usageError('ERR_BAD_CONFIG', `${path} [${layer.name} (${layer.type})]: ${r.message}`);
    }
    shapes.push({ input: current, output: r.shape });
    current = r.shape;
  });
  return shapes;
}
