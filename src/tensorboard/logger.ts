/**
 * `cnn train --logdir DIR`: what Keras's TensorBoard callback (histogram_freq=1, write_images=True)
 * writes, so `tensorboard --logdir DIR` shows a cnn run as it shows a Keras one:
 *
 *   DIR/train       keras (the model's Keras config: the Graphs dashboard), model_summary (text),
 *                   per epoch: epoch_loss, epoch_accuracy, epoch_learning_rate, and for every weight
 *                   <model>/<layer>/<weight>/histogram and .../image (Keras's weight-as-image rule)
 *   DIR/validation  per epoch: evaluation_loss_vs_iterations, evaluation_accuracy_vs_iterations (at the
 *                   step count) and epoch_loss, epoch_accuracy (at the epoch), as Keras's evaluation does
 *
 * Epochs are numbered from 0, as Keras's callback numbers them. Both files are flushed and synced at
 * the end of every epoch.
 */
import { pngjs } from '../util/lazy-pngjs.js';
import type { ModelConfig } from '../model/config.js';
import { formatSummary } from '../model/summary.js';
import { inferShapes } from '../model/shapes.js';
import { kerasModelConfig } from '../export/keras-config.js';
import { EventFile, histogramValue, imageValue, kerasModelValue, scalarValue, textValue } from './events.js';
import { join } from 'node:path';

export const HISTOGRAM_BUCKETS = 30;

/** tensorboard.plugins.histogram.summary_v2's buckets: equal widths from min to max, in float64. */
export function histogramRows(values: ArrayLike<number>, buckets = HISTOGRAM_BUCKETS): Float64Array {
  const rows = new Float64Array(buckets * 3);
  const n = values.length;
  if (n === 0) return rows;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  const range = max - min;
  if (range === 0) {
    // Every value the same: every bucket collapses onto it, the last one holding them all.
    for (let b = 0; b < buckets; b++) rows.set([min, min, b === buckets - 1 ? n : 0], b * 3);
    return rows;
  }
  const width = range / buckets;
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, Math.floor((values[i] - min) / width));
    rows[b * 3 + 2] += 1;
  }
  const step = range / buckets;
  for (let b = 0; b < buckets; b++) {
    rows[b * 3] = min + b * step;
    rows[b * 3 + 1] = b === buckets - 1 ? max : min + (b + 1) * step;
  }
  return rows;
}

/** A grayscale PNG of float values, as tf.summary.image converts floats (x * 255.5, clipped). */
function grayPng(width: number, height: number, at: (x: number, y: number) => number): Uint8Array {
  const png = new (pngjs().PNG)({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.min(255, Math.max(0, Math.floor(at(x, y) * 255.5)));
      const o = (y * width + x) * 4;
      png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
      png.data[o + 3] = 255;
    }
  }
  return new Uint8Array(pngjs().PNG.sync.write(png, { colorType: 0 }));
}

/** Keras's _log_weight_as_image: squeeze; 1-D -> a column n high; 2-D -> rows the shorter side; 3-D (a conv
 * kernel kh x kw x filters once squeezed) -> one kh x kw image per filter; at most 3 images (tf.summary.image's
 * max_outputs). Kernels still 4-D after squeezing (more than one input channel) get no image, as in Keras
 * unless their filter count is 1, 3 or 4 (that odd case is left out). */
export function weightImages(shape: readonly number[], data: Float32Array): { width: number; height: number; pngs: Uint8Array[] } | undefined {
  const dims = shape.filter((d) => d !== 1);
  if (dims.length === 1) return { width: 1, height: dims[0], pngs: [grayPng(1, dims[0], (_x, y) => data[y])] };
  if (dims.length === 2) {
    const [r, c] = dims;
    // A tall matrix is transposed so the image is wider than high.
    if (r > c) return { width: r, height: c, pngs: [grayPng(r, c, (x, y) => data[x * c + y])] };
    return { width: c, height: r, pngs: [grayPng(c, r, (x, y) => data[y * c + x])] };
  }
  if (dims.length === 3) {
    const [h, w, k] = dims;
    const pngs: Uint8Array[] = [];
    for (let f = 0; f < Math.min(3, k); f++) pngs.push(grayPng(w, h, (x, y) => data[(y * w + x) * k + f]));
    return { width: w, height: h, pngs };
  }
  return undefined;
}

export interface EpochLog {
  epoch: number; // 0-based
  iterations: number; // optimizer steps so far
  loss: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  learningRate: number;
  /** Logged as histograms (and images unless `images` is false); empty for none. */
  weights: { layer: string; name: string; shape: number[]; data: Float32Array }[];
  images?: boolean;
}

export class TensorBoardLogger {
  private train: EventFile;
  private validation: EventFile | undefined;

  constructor(
    readonly logdir: string,
    private readonly config: ModelConfig,
    graph = true,
  ) {
    this.train = new EventFile(join(logdir, 'train'));
    const shapes = inferShapes(config);
    if (graph) this.train.add(0, kerasModelValue(JSON.stringify(kerasModelConfig(config, shapes.map((s) => s.input)))));
    // Indented four spaces: TensorBoard's text dashboard renders Markdown, and keeps a code block as is.
    const summary = formatSummary(config, { columns: 98 }).replace(/^/gm, '    ');
    this.train.add(0, textValue('model_summary', summary));
    this.train.flush();
  }

  epoch(log: EpochLog): void {
    const now = Date.now() / 1000;
    if (log.val_loss !== undefined) {
      this.validation ??= new EventFile(join(this.logdir, 'validation'));
      if (log.val_accuracy !== undefined) this.validation.add(log.iterations, scalarValue('evaluation_accuracy_vs_iterations', log.val_accuracy), now);
      this.validation.add(log.iterations, scalarValue('evaluation_loss_vs_iterations', log.val_loss), now);
      if (log.val_accuracy !== undefined) this.validation.add(log.epoch, scalarValue('epoch_accuracy', log.val_accuracy), now);
      this.validation.add(log.epoch, scalarValue('epoch_loss', log.val_loss), now);
    }
    if (log.accuracy !== undefined) this.train.add(log.epoch, scalarValue('epoch_accuracy', log.accuracy), now);
    this.train.add(log.epoch, scalarValue('epoch_loss', log.loss), now);
    this.train.add(log.epoch, scalarValue('epoch_learning_rate', log.learningRate), now);
    for (const w of log.weights) {
      const tag = `${this.config.name}/${w.layer}/${w.name}`;
      this.train.add(log.epoch, histogramValue(`${tag}/histogram`, histogramRows(w.data), HISTOGRAM_BUCKETS), now);
      const image = log.images === false ? undefined : weightImages(w.shape, w.data);
      if (image) this.train.add(log.epoch, imageValue(`${tag}/image`, image.width, image.height, image.pngs), now);
    }
    this.train.flush();
    this.validation?.flush();
  }

  /** Keras's update_freq scalars: batch_loss, batch_accuracy at the optimizer step, in DIR/train. */
  batch(iterations: number, scalars: Record<string, number>): void {
    const now = Date.now() / 1000;
    for (const [name, value] of Object.entries(scalars)) this.train.add(iterations, scalarValue(`batch_${name}`, value), now);
    this.train.flush();
  }

  close(): void {
    this.train.close();
    this.validation?.close();
  }
}
