/**
 * Converts a cnn model to ONNX (opset 13, IR version 7).
 *
 * The exported graph takes the same input the native core does: float32 images in NHWC order,
 * already preprocessed (pixel * rescale + offset, written into the model's metadata), and returns
 * the last layer's output (class probabilities for a softmax head).
 *
 * ONNX's Conv and pooling work on NCHW tensors while cnn keeps Keras's (H, W, C), so the converter
 * tracks which of the two layouts the current value is held in and inserts a Transpose only where a
 * layer needs the other one: before the first convolution, and before Flatten (whose output order
 * must be Keras's H, W, C order for the Dense weights to line up).
 *
 * Activations use only operators that exist in opset 13 so that older runtimes accept the model:
 * swish is Sigmoid then Mul, gelu is the exact erf form 0.5 * x * (1 + Erf(x / sqrt 2)).
 */
import type { ActivationName, LayerConfig } from '../model/config.js';
import { samePadding } from '../model/shapes.js';
import { version } from '../version.js';
import { encodeOnnxModel, type AttributeValue, type OnnxGraph, type OnnxNode } from './onnx-proto.js';
import { optionalParam, requireParam, type ExportableModel } from './exportable.js';
import { convertPreprocessingLayer } from './onnx-preprocessing.js';

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'output';
/** cnn's leaky_relu slope (Keras 3's default negative_slope). */
const LEAKY_RELU_SLOPE = 0.2;

/** 'keras': held exactly as cnn holds it (N, then the Keras shape). 'nchw': a Keras (H, W, C)
 * value held as (N, C, H, W). */
type Layout = 'keras' | 'nchw';

interface Value {
  name: string;
  shape: number[]; // Keras shape, without the batch axis
  layout: Layout;
}

class GraphBuilder {
  readonly graph: OnnxGraph;
  private used = new Set<string>();

  constructor(name: string) {
    this.graph = { name, nodes: [], initializers: [], inputs: [], outputs: [] };
  }

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  constant(base: string, dims: number[], data: Float32Array): string {
    const name = this.unique(base);
    this.graph.initializers.push({ name, dims, data });
    return name;
  }

  node(op: string, inputs: string[], base: string, attributes?: Record<string, AttributeValue>): string {
    const output = this.unique(base);
    const node: OnnxNode = { op, inputs, outputs: [output], name: output, attributes };
    this.graph.nodes.push(node);
    return output;
  }
}

function toNchw(b: GraphBuilder, v: Value, base: string): Value {
  if (v.layout === 'nchw' || v.shape.length !== 3) return v;
  return { name: b.node('Transpose', [v.name], `${base}/to_nchw`, { perm: [0, 3, 1, 2] }), shape: v.shape, layout: 'nchw' };
}

function toKeras(b: GraphBuilder, v: Value, base: string): Value {
  if (v.layout === 'keras') return v;
  return { name: b.node('Transpose', [v.name], `${base}/to_nhwc`, { perm: [0, 2, 3, 1] }), shape: v.shape, layout: 'keras' };
}

function applyActivation(b: GraphBuilder, v: Value, activation: ActivationName, base: string): Value {
  const elementwise = (op: string, attributes?: Record<string, AttributeValue>): Value => ({
    ...v,
    name: b.node(op, [v.name], `${base}/${op}`, attributes),
  });
  switch (activation) {
    case 'linear':
      return v;
    case 'relu':
      return elementwise('Relu');
    case 'sigmoid':
      return elementwise('Sigmoid');
    case 'tanh':
      return elementwise('Tanh');
    case 'softplus':
      return elementwise('Softplus');
    case 'elu':
      return elementwise('Elu', { alpha: { float: 1 } });
    case 'leaky_relu':
      return elementwise('LeakyRelu', { alpha: { float: LEAKY_RELU_SLOPE } });
    case 'softmax': {
      // Over Keras's last axis, so the value must be in Keras's layout.
      const k = toKeras(b, v, base);
      return { ...k, name: b.node('Softmax', [k.name], `${base}/Softmax`, { axis: -1 }) };
    }
    case 'swish':
    case 'silu': {
      const s = b.node('Sigmoid', [v.name], `${base}/swish_sigmoid`);
      return { ...v, name: b.node('Mul', [v.name, s], `${base}/swish`) };
    }
    case 'gelu': {
      const sqrt2 = b.constant(`${base}/sqrt2`, [], Float32Array.of(Math.SQRT2));
      const one = b.constant(`${base}/one`, [], Float32Array.of(1));
      const half = b.constant(`${base}/half`, [], Float32Array.of(0.5));
      const scaled = b.node('Div', [v.name, sqrt2], `${base}/gelu_div`);
      const erf = b.node('Erf', [scaled], `${base}/gelu_erf`);
      const plusOne = b.node('Add', [erf, one], `${base}/gelu_add`);
      const times = b.node('Mul', [v.name, plusOne], `${base}/gelu_mul`);
      return { ...v, name: b.node('Mul', [times, half], `${base}/gelu`) };
    }
  }
}

/** Keras (kh, kw, in, out) -> ONNX (out, in, kh, kw). */
function convKernelToOihw(data: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** ONNX pads [top, left, bottom, right] for Keras's padding on an (h, w) input. */
function windowPads(padding: 'valid' | 'same', hw: [number, number], kernel: [number, number], strides: [number, number], dilation: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const [top, bottom] = samePadding(hw[0], kernel[0], strides[0], dilation[0]);
  const [left, right] = samePadding(hw[1], kernel[1], strides[1], dilation[1]);
  return [top, left, bottom, right];
}

function convertLayer(b: GraphBuilder, model: ExportableModel, layer: LayerConfig, v: Value, outShape: number[]): Value {
  const base = layer.name;
  switch (layer.type) {
    case 'Conv2D': {
      // channels_first reads the tensor as it is (C, H, W); channels_last needs it moved to NCHW.
      const first = layer.data_format === 'channels_first';
      const x = first ? toKeras(b, v, base) : toNchw(b, v, base);
      const kernel = requireParam(model, layer.name, 'kernel');
      const w = b.constant(`${base}/kernel`, [kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]], convKernelToOihw(kernel.data, kernel.shape));
      const inputs = [x.name, w];
      const bias = optionalParam(model, layer.name, 'bias');
      if (bias) inputs.push(b.constant(`${base}/bias`, bias.shape, bias.data));
      const hw: [number, number] = first ? [v.shape[1], v.shape[2]] : [v.shape[0], v.shape[1]];
      const conv = b.node('Conv', inputs, `${base}/Conv`, {
        kernel_shape: [...layer.kernel_size],
        strides: [...layer.strides],
        dilations: [...layer.dilation_rate],
        pads: windowPads(layer.padding, hw, layer.kernel_size, layer.strides, layer.dilation_rate),
        group: 1,
      });
      // The NCHW result is the channels_first output as Keras holds it, or the NCHW form of the
      // channels_last one.
      const out: Value = { name: conv, shape: outShape, layout: first ? 'keras' : 'nchw' };
      return applyActivation(b, out, layer.activation, base);
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const x = toNchw(b, v, base);
      const op = layer.type === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
      // AveragePool's count_include_pad defaults to 0: padded cells are left out of the mean, as in Keras.
      const name = b.node(op, [x.name], `${base}/${op}`, {
        kernel_shape: [...layer.pool_size],
        strides: [...layer.strides],
        pads: windowPads(layer.padding, [v.shape[0], v.shape[1]], layer.pool_size, layer.strides, [1, 1]),
      });
      return { name, shape: outShape, layout: 'nchw' };
    }
    case 'GlobalAveragePooling2D': {
      const x = toNchw(b, v, base);
      const pooled = b.node('GlobalAveragePool', [x.name], `${base}/GlobalAveragePool`);
      return { name: b.node('Flatten', [pooled], `${base}/Flatten`, { axis: 1 }), shape: outShape, layout: 'keras' };
    }
    case 'Flatten': {
      if (v.shape.length === 1) return v;
      const x = toKeras(b, v, base);
      return { name: b.node('Flatten', [x.name], `${base}/Flatten`, { axis: 1 }), shape: outShape, layout: 'keras' };
    }
    case 'Dense': {
      const kernel = requireParam(model, layer.name, 'kernel');
      const inputs = [v.name, b.constant(`${base}/kernel`, kernel.shape, kernel.data)];
      const bias = optionalParam(model, layer.name, 'bias');
      if (bias) inputs.push(b.constant(`${base}/bias`, bias.shape, bias.data));
      const out: Value = { name: b.node('Gemm', inputs, `${base}/Gemm`), shape: outShape, layout: 'keras' };
      return applyActivation(b, out, layer.activation, base);
    }
    case 'Dropout':
      return v; // identity at inference
    case 'BatchNormalization': {
      // Normalizes Keras's last axis, which is ONNX's axis 1 once an image is in NCHW.
      const x = toNchw(b, v, base);
      const channels = v.shape[v.shape.length - 1];
      const fill = (value: number) => new Float32Array(channels).fill(value);
      const gamma = optionalParam(model, layer.name, 'gamma')?.data ?? fill(1);
      const beta = optionalParam(model, layer.name, 'beta')?.data ?? fill(0);
      const mean = requireParam(model, layer.name, 'moving_mean').data;
      const variance = requireParam(model, layer.name, 'moving_variance').data;
      const inputs = [
        x.name,
        b.constant(`${base}/gamma`, [channels], gamma),
        b.constant(`${base}/beta`, [channels], beta),
        b.constant(`${base}/moving_mean`, [channels], mean),
        b.constant(`${base}/moving_variance`, [channels], variance),
      ];
      const name = b.node('BatchNormalization', inputs, `${base}/BatchNormalization`, { epsilon: { float: layer.epsilon } });
      return { name, shape: outShape, layout: x.layout };
    }
    case 'Activation':
      return applyActivation(b, { ...v, shape: outShape }, layer.activation, base);
    default:
      return convertPreprocessingLayer(b, layer, v, outShape, { toNchw: (x) => toNchw(b, x, base), toKeras: (x) => toKeras(b, x, base) });
  }
}

export interface OnnxExport {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  inputShape: number[];
  outputShape: number[];
}

export function modelToOnnx(model: ExportableModel): OnnxExport {
  const { config, shapes } = model;
  const b = new GraphBuilder(config.name);
  b.unique(ONNX_INPUT_NAME);
  let v: Value = { name: ONNX_INPUT_NAME, shape: [...config.input_shape], layout: 'keras' };
  config.layers.forEach((layer, i) => {
    v = convertLayer(b, model, layer, v, shapes[i].output);
  });
  v = toKeras(b, v, 'output');
  // Name the final value "output" with an Identity, so users see stable names whatever the layers.
  b.graph.nodes.push({ op: 'Identity', inputs: [v.name], outputs: [ONNX_OUTPUT_NAME], name: 'output/Identity' });
  const outputShape = shapes.length ? shapes[shapes.length - 1].output : [...config.input_shape];
  b.graph.inputs.push({ name: ONNX_INPUT_NAME, dims: ['N', ...config.input_shape] });
  b.graph.outputs.push({ name: ONNX_OUTPUT_NAME, dims: ['N', ...outputShape] });
  b.graph.docString = `Input: float32 (N, ${config.input_shape.join(', ')}) images, NHWC, already preprocessed as pixel * ${config.preprocessing.rescale} + ${config.preprocessing.offset}.`;
  const bytes = encodeOnnxModel(b.graph, {
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'cnn',
    producerVersion: version,
    docString: config.description,
    metadata: {
      preprocessing_rescale: String(config.preprocessing.rescale),
      preprocessing_offset: String(config.preprocessing.offset),
      input_layout: 'NHWC',
      cnn_config: JSON.stringify(config),
    },
  });
  return { bytes, inputName: ONNX_INPUT_NAME, outputName: ONNX_OUTPUT_NAME, inputShape: [...config.input_shape], outputShape };
}
