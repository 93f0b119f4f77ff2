/**
 * The parameter tensors of each layer, in the order and layout Keras (and the native core) keep them:
 * kernel before bias, conv kernel (kh, kw, in, out), dense kernel (in, out); BatchNormalization's
 * gamma, beta, moving_mean, moving_variance, the last two not trainable.
 */
import type { LayerConfig, ModelConfig } from './config.js';
import { inferShapes, type LayerShape } from './shapes.js';

export type ParamName = 'kernel' | 'bias' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance';

export interface ParamTensor {
  name: ParamName;
  shape: number[];
  trainable: boolean;
}

export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

/** Input channels of a Conv2D: the last axis, or the first one for channels_first. */
function convInputChannels(layer: Extract<LayerConfig, { type: 'Conv2D' }>, input: readonly number[]): number {
  return layer.data_format === 'channels_first' ? input[0] : input[input.length - 1];
}

export function layerParamTensors(layer: LayerConfig, input: readonly number[]): ParamTensor[] {
  switch (layer.type) {
    case 'Conv2D': {
      const [kh, kw] = layer.kernel_size;
      const kernel: ParamTensor = { name: 'kernel', shape: [kh, kw, convInputChannels(layer, input), layer.filters], trainable: true };
      return layer.use_bias ? [kernel, { name: 'bias', shape: [layer.filters], trainable: true }] : [kernel];
    }
    case 'Dense': {
      const kernel: ParamTensor = { name: 'kernel', shape: [input[input.length - 1], layer.units], trainable: true };
      return layer.use_bias ? [kernel, { name: 'bias', shape: [layer.units], trainable: true }] : [kernel];
    }
    case 'BatchNormalization': {
      const c = input[input.length - 1];
      const out: ParamTensor[] = [];
      if (layer.scale) out.push({ name: 'gamma', shape: [c], trainable: true });
      if (layer.center) out.push({ name: 'beta', shape: [c], trainable: true });
      out.push({ name: 'moving_mean', shape: [c], trainable: false });
      out.push({ name: 'moving_variance', shape: [c], trainable: false });
      return out;
    }
    default:
      return [];
  }
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function countTensors(tensors: readonly ParamTensor[]): ParamCounts {
  let trainable = 0;
  let nonTrainable = 0;
  for (const t of tensors) {
    if (t.trainable) trainable += tensorSize(t.shape);
    else nonTrainable += tensorSize(t.shape);
  }
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}

export function layerParamCounts(layer: LayerConfig, input: readonly number[]): ParamCounts {
  return countTensors(layerParamTensors(layer, input));
}

export interface ModelParams extends ParamCounts {
  layers: ParamCounts[];
  shapes: LayerShape[];
}

/** Per-layer and total parameter counts of a normalized config. */
export function modelParams(config: Pick<ModelConfig, 'input_shape' | 'layers'>): ModelParams {
  const shapes = inferShapes(config);
  const layers = config.layers.map((layer, i) => layerParamCounts(layer, shapes[i].input));
  const sum = (f: (c: ParamCounts) => number): number => layers.reduce((a, c) => a + f(c), 0);
  return { layers, shapes, total: sum((c) => c.total), trainable: sum((c) => c.trainable), nonTrainable: sum((c) => c.nonTrainable) };
}
