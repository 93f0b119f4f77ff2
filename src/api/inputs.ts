/**
 * What fit/evaluate/predict accept, turned into the uint8 example sets the native workers read:
 * a dataset from datasets.load() (its train or test split), a labelled image set ({images, labels}),
 * or images (a Uint8Array, or {data, shape} in NHWC) with their labels. Pixels stay uint8 and the
 * model's preprocessing (rescale, offset) turns them into floats one batch at a time. A Float32Array is
 * taken as preprocessed floats (as Keras takes them): the native worker copies its rows as they are, and
 * the model's preprocessing is not applied to it.
 */
import { CnnError, usageError } from '../errors.js';
import type { ExampleSet } from '../train/trainer.js';
import { isPlainObject } from './keys.js';

/** Images with their shape, batch axis first: [count, height, width, channels] (or [count, features]). */
export interface ImageBatch {
  data: Uint8Array | Float32Array;
  shape: readonly number[];
}

export type ImageInput = Uint8Array | Float32Array | ImageBatch;

/** Class indices (one per image), or one-hot rows {data, shape: [count, classes]}. */
export type LabelInput = Uint8Array | Int32Array | readonly number[] | { data: Float32Array | Uint8Array; shape: readonly number[] };

/** A labelled set of images (uint8 pixels, or preprocessed float32), such as a split of a loaded dataset. */
export interface LabeledImages {
  images: Uint8Array | Float32Array;
  labels: Uint8Array;
}

/** A dataset as datasets.load() returns it: fit uses `train`, evaluate and predict use `test`. */
export interface SplitDataset {
  train: LabeledImages;
  test: LabeledImages;
}

export type TrainingData = SplitDataset | LabeledImages;

interface ModelShape {
  inputShape: readonly number[];
  classes: number;
}

const FLOAT64_REFUSAL = 'give preprocessed floats as a Float32Array (e.g. Float32Array.from(x)), or pixels as a Uint8Array (0-255)';

export function isSplitDataset(v: unknown): v is SplitDataset {
  return isPlainObject(v) && isPlainObject(v.train) && isPlainObject(v.test) && 'images' in v.train;
}

export function isLabeledImages(v: unknown): v is LabeledImages {
  return isPlainObject(v) && 'images' in v && 'labels' in v;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The pixels (uint8) or floats (float32) of `x` and how many examples they hold, checked against the model's input shape. */
export function readImages(x: unknown, model: ModelShape, what: string): { images: Uint8Array | Float32Array; count: number } {
  const exampleSize = size(model.inputShape);
  let data: unknown = x;
  let shape: readonly number[] | undefined;
  if (isPlainObject(x) && 'data' in x) {
    data = x.data;
    shape = Array.isArray(x.shape) ? (x.shape as number[]) : undefined;
    if (!shape) throw usageError('ERR_BAD_INPUT', `${what}.shape must be an array such as [count, 28, 28, 1]`);
  }
  if (data instanceof Float64Array) throw new CnnError('ERR_UNSUPPORTED_INPUT', `${what} is a Float64Array: ${FLOAT64_REFUSAL}`, 2);
  if (!(data instanceof Uint8Array) && !(data instanceof Float32Array)) {
    throw usageError('ERR_BAD_INPUT', `${what} must be a Uint8Array of pixels, a Float32Array of preprocessed values, {data, shape}, or a dataset from datasets.load(); got ${describe(data)}`);
  }
  if (data instanceof Float32Array) {
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw usageError('ERR_BAD_INPUT', `${what}[${bad}] is ${data[bad]}; float inputs must be finite numbers`);
  }
  const expected = `(${model.inputShape.join(', ')})`;
  if (shape) {
    const perExample = shape.slice(1);
    if (shape.length < 2 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw usageError('ERR_BAD_INPUT', `${what}.shape [${shape.join(', ')}] must be [count, ...the model's input shape ${expected}]`);
    }
    if (size(perExample) !== exampleSize || (perExample.length === model.inputShape.length && perExample.some((d, i) => d !== model.inputShape[i]))) {
      throw usageError('ERR_BAD_INPUT', `${what} holds examples of shape (${perExample.join(', ')}) but the model takes ${expected}`);
    }
    if (size(shape) !== data.length) {
      throw usageError('ERR_BAD_INPUT', `${what}.shape [${shape.join(', ')}] needs ${size(shape)} values but the data holds ${data.length}`);
    }
  }
  if (data.length % exampleSize !== 0) {
    throw usageError('ERR_BAD_INPUT', `${what} holds ${data.length} values, not a whole number of ${expected} examples (${exampleSize} values each)`);
  }
  return { images: data, count: data.length / exampleSize };
}

/** Class indices as uint8, each below the number of classes. */
export function readLabels(y: unknown, count: number, classes: number, what: string): Uint8Array {
  let labels: Uint8Array;
  if (isPlainObject(y) && 'data' in y && Array.isArray(y.shape)) {
    labels = fromOneHot(y.data, y.shape as number[], classes, what);
  } else if (y instanceof Uint8Array) {
    labels = y;
  } else if (y instanceof Int32Array || Array.isArray(y)) {
    labels = new Uint8Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const v = (y as ArrayLike<unknown>)[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= classes) {
        throw usageError('ERR_BAD_INPUT', `${what}[${i}] is ${describe(v)}; labels are class indices from 0 to ${classes - 1}`);
      }
      labels[i] = v;
    }
  } else {
    throw usageError('ERR_BAD_INPUT', `${what} must be class indices (a Uint8Array, Int32Array or number[]) or one-hot rows {data, shape}; got ${describe(y)}`);
  }
  if (labels.length !== count) throw usageError('ERR_BAD_INPUT', `${what} holds ${labels.length} labels for ${count} images`);
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw usageError('ERR_BAD_INPUT', `${what}[${bad}] is ${labels[bad]}, not below the model's ${classes} classes`);
  return labels;
}

function fromOneHot(data: unknown, shape: number[], classes: number, what: string): Uint8Array {
  if (!(data instanceof Float32Array || data instanceof Uint8Array) || shape.length !== 2 || shape[1] !== classes || data.length !== shape[0] * classes) {
    throw usageError('ERR_BAD_INPUT', `${what}: one-hot labels need data of shape [count, ${classes}]`);
  }
  const out = new Uint8Array(shape[0]);
  for (let i = 0; i < shape[0]; i++) {
    let hot = -1;
    for (let c = 0; c < classes; c++) {
      const v = data[i * classes + c];
      if (v === 1 && hot < 0) hot = c;
      else if (v !== 0) hot = -2;
    }
    if (hot < 0) throw usageError('ERR_BAD_INPUT', `${what}: row ${i} is not one-hot (soft labels are not supported; give class indices)`);
    out[i] = hot;
  }
  return out;
}

/** x (and y) of fit/evaluate as an example set; `split` picks a loaded dataset's train or test part. */
export function readExamples(x: unknown, y: unknown, model: ModelShape, split: 'train' | 'test', what: string): ExampleSet {
  if (isSplitDataset(x)) return readExamples(x[split], undefined, model, split, `${what}.${split}`);
  if (isLabeledImages(x)) {
    if (y !== undefined) throw usageError('ERR_BAD_INPUT', `${what} already holds its labels; leave out y`);
    const { images, count } = readImages(x.images, model, `${what}.images`);
    return { images, labels: readLabels(x.labels, count, model.classes, `${what}.labels`), count };
  }
  if (y === undefined) throw usageError('ERR_BAD_INPUT', `${what}: give the labels (y) with the images, or pass a dataset from datasets.load()`);
  const { images, count } = readImages(x, model, what);
  return { images, labels: readLabels(y, count, model.classes, 'y'), count };
}

/** The first `limit` examples (views, no copy). */
export function takeFirst(set: ExampleSet, limit: number | undefined): ExampleSet {
  if (limit === undefined || limit >= set.count) return set;
  const per = set.images.length / Math.max(1, set.count);
  return { images: set.images.subarray(0, limit * per), labels: set.labels.subarray(0, limit), count: limit };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v) ?? typeof v;
}
