/**
 * ONNX for the preprocessing and augmentation layers, as they act at inference: the Random* layers are
 * the identity (nothing is emitted), Rescaling is Mul then Add, ZeroPadding2D is Pad, Cropping2D is
 * Slice, Reshape is Reshape (in Keras's layout), Resizing is Resize with sizes, linear +
 * half_pixel (or nearest + tf_half_pixel_for_nn, floor), which is what tf.image.resize computes, after
 * the Slice or Pad of crop_to_aspect_ratio / pad_to_aspect_ratio.
 */
import type { PreprocessingLayerConfig } from '../model/config-preprocessing.js';
import type { OnnxGraph } from './onnx-proto.js';

export interface OnnxValue {
  name: string;
  shape: number[]; // Keras shape, without the batch axis
  layout: 'keras' | 'nchw';
}

/** What onnx.ts's graph builder offers (kept apart so the two files do not import each other). */
export interface OnnxBuilder {
  readonly graph: OnnxGraph;
  unique(base: string): string;
  constant(base: string, dims: number[], data: Float32Array): string;
  node(op: string, inputs: string[], base: string, attributes?: Record<string, number | number[] | string | { float: number }>): string;
}

function int64s(b: OnnxBuilder, base: string, values: number[]): string {
  const name = b.unique(base);
  b.graph.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
  return name;
}

/** The image axes (height, width) of a value in its layout, counting the batch axis. */
function hwAxes(v: OnnxValue): [number, number] {
  return v.layout === 'nchw' ? [2, 3] : [1, 2];
}

function slice(b: OnnxBuilder, v: OnnxValue, base: string, start: [number, number], end: [number, number], shape: number[]): OnnxValue {
  const name = b.node('Slice', [v.name, int64s(b, `${base}/starts`, start), int64s(b, `${base}/ends`, end), int64s(b, `${base}/axes`, hwAxes(v))], `${base}/Slice`);
  return { name, shape, layout: v.layout };
}

/** Pads [[top, bottom], [left, right]] of the image axes with `value`. */
function pad(b: OnnxBuilder, v: OnnxValue, base: string, p: [[number, number], [number, number]], value: number, shape: number[]): OnnxValue {
  const [ha, wa] = hwAxes(v);
  const begin = [0, 0, 0, 0];
  const end = [0, 0, 0, 0];
  begin[ha] = p[0][0];
  end[ha] = p[0][1];
  begin[wa] = p[1][0];
  end[wa] = p[1][1];
  const fill = b.constant(`${base}/fill_value`, [], Float32Array.of(value));
  const name = b.node('Pad', [v.name, int64s(b, `${base}/pads`, [...begin, ...end]), fill], `${base}/Pad`, { mode: 'constant' });
  return { name, shape, layout: v.layout };
}

function resize(b: OnnxBuilder, layer: Extract<PreprocessingLayerConfig, { type: 'Resizing' }>, v: OnnxValue, toNchw: (v: OnnxValue) => OnnxValue, outShape: number[]): OnnxValue {
  const base = layer.name;
  const [h, w, c] = v.shape;
  let x = toNchw(v);
  const th = layer.height;
  const tw = layer.width;
  // keras/src/backend/tensorflow/image.py resize: float32 arithmetic, truncated to int.
  const f = Math.fround;
  if (layer.crop_to_aspect_ratio) {
    const ch = Math.max(Math.min(h, Math.trunc(f(f(w * th) / tw))), 1);
    const cw = Math.max(Math.min(w, Math.trunc(f(f(h * tw) / th))), 1);
    const hs = Math.trunc((h - ch) / 2);
    const ws = Math.trunc((w - cw) / 2);
    if (ch !== h || cw !== w) x = slice(b, x, `${base}/crop`, [hs, ws], [hs + ch, ws + cw], [ch, cw, c]);
  } else if (layer.pad_to_aspect_ratio) {
    const ph = Math.max(h, Math.trunc(f(f(w * th) / tw)));
    const pw = Math.max(w, Math.trunc(f(f(h * tw) / th)));
    const hs = Math.trunc((ph - h) / 2);
    const ws = Math.trunc((pw - w) / 2);
    if (hs > 0 || ws > 0) x = pad(b, x, `${base}/pad`, [[hs, hs], [ws, ws]], layer.fill_value, [h + 2 * hs, w + 2 * ws, c]);
  }
  // sizes = (N, C, height, width), N taken from the input at run time.
  const shape = b.node('Shape', [x.name], `${base}/Shape`);
  const batch = b.node('Slice', [shape, int64s(b, `${base}/batch_start`, [0]), int64s(b, `${base}/batch_end`, [1])], `${base}/batch`);
  const sizes = b.node('Concat', [batch, int64s(b, `${base}/chw`, [c, th, tw])], `${base}/sizes`, { axis: 0 });
  const nearest = layer.interpolation === 'nearest';
  const attributes: Record<string, string> = nearest
    ? { mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: 'floor' }
    : { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
  const name = b.node('Resize', [x.name, '', '', sizes], `${base}/Resize`, attributes);
  return { name, shape: outShape, layout: 'nchw' };
}

/** The layer's ONNX nodes; returns the value it produces. */
export function convertPreprocessingLayer(
  b: OnnxBuilder,
  layer: PreprocessingLayerConfig,
  v: OnnxValue,
  outShape: number[],
  layouts: { toNchw: (v: OnnxValue) => OnnxValue; toKeras: (v: OnnxValue) => OnnxValue },
): OnnxValue {
  const base = layer.name;
  switch (layer.type) {
    case 'Rescaling': {
      const scaled = b.node('Mul', [v.name, b.constant(`${base}/scale`, [], Float32Array.of(layer.scale))], `${base}/Mul`);
      return { ...v, name: b.node('Add', [scaled, b.constant(`${base}/offset`, [], Float32Array.of(layer.offset))], `${base}/Add`) };
    }
    case 'Resizing':
      return resize(b, layer, v, layouts.toNchw, outShape);
    case 'ZeroPadding2D':
      return pad(b, v, base, layer.padding, 0, outShape);
    case 'Cropping2D': {
      const [[t], [l]] = layer.cropping;
      return slice(b, v, base, [t, l], [t + outShape[0], l + outShape[1]], outShape);
    }
    case 'Reshape': {
      const k = layouts.toKeras(v);
      const name = b.node('Reshape', [k.name, int64s(b, `${base}/shape`, [-1, ...outShape])], `${base}/Reshape`);
      return { name, shape: outShape, layout: 'keras' };
    }
    default:
      return v; // RandomFlip ... RandomBrightness: the identity at inference
  }
}
