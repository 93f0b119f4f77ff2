/**
 * Floating-point operations of one training image (forward and backward), from the layers' shapes: the
 * numerator of `cnn bench train`'s GFLOP/s and share of peak.
 *
 * What is counted, exactly: the multiply-accumulates (MACs) of the convolutions and Dense layers, each
 * as 2 FLOPs (one multiply, one add), in three products per layer:
 *   forward          output elements x (kernel_h * kernel_w * in_channels) for a Conv2D (padding "same"
 *                    counts its zero taps, as the im2col GEMM computes them; stride and dilation enter
 *                    through the output size), in_features x units for a Dense;
 *   weight gradient  the same number of MACs again (dW = x^T dy);
 *   input gradient   the same again (dx = dy W^T), except where no layer before it has trainable
 *                    weights: nothing upstream needs that gradient (the first layer, or one after only
 *                    preprocessing layers), so it is not useful work and is not counted.
 * So a layer costs 6 x MACs, or 4 x MACs without an input gradient: about 3x the forward pass.
 * Not counted: bias adds, activations, BatchNormalization, pooling, Dropout, preprocessing, the loss
 * and the optimizer update (all elementwise, a few percent of the products for these models), and the
 * forward pass of the evaluation (this is the training step's count).
 */
import type { LayerConfig, ModelConfig } from './config.js';
import { layerParamCounts } from './params.js';
import { inferShapes } from './shapes.js';

export interface LayerFlops {
  name: string;
  type: LayerConfig['type'];
  /** Multiply-accumulates of the forward product (0 for a layer without one). */
  macs: number;
  forward: number;
  weightGradient: number;
  inputGradient: number;
}

export interface ModelFlops {
  layers: LayerFlops[];
  /** FLOPs of one image's forward pass (the products only). */
  forward: number;
  /** FLOPs of one image's training step: forward + weight gradients + the needed input gradients. */
  training: number;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function layerMacs(layer: LayerConfig, input: readonly number[], output: readonly number[]): number {
  if (layer.type === 'Conv2D') {
    const channels = layer.data_format === 'channels_first' ? input[0] : input[input.length - 1];
    return product(output) * layer.kernel_size[0] * layer.kernel_size[1] * channels;
  }
  if (layer.type === 'Dense') return input[input.length - 1] * layer.units;
  return 0;
}

/** Per-layer and total FLOPs per image of a normalized config (validateConfig's output). */
export function modelFlops(config: Pick<ModelConfig, 'input_shape' | 'layers'>): ModelFlops {
  const shapes = inferShapes(config);
  let trainableBefore = false;
  const layers = config.layers.map((layer, i): LayerFlops => {
    const macs = layerMacs(layer, shapes[i].input, shapes[i].output);
    const needsInputGradient = trainableBefore;
    if (layerParamCounts(layer, shapes[i].input).trainable > 0) trainableBefore = true;
    return {
      name: layer.name,
      type: layer.type,
      macs,
      forward: 2 * macs,
      weightGradient: 2 * macs,
      inputGradient: needsInputGradient ? 2 * macs : 0,
    };
  });
  const forward = layers.reduce((a, l) => a + l.forward, 0);
  const training = layers.reduce((a, l) => a + l.forward + l.weightGradient + l.inputGradient, 0);
  return { layers, forward, training };
}
