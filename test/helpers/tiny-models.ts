/**
 * Small valid inputs for the tests of outside files and the fuzz targets: a tiny IDX dataset with
 * its config, a TensorFlow.js layers model (model.json + weights.bin) and a weights file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx } from '../../src/data/idx.js';
import type { WeightsContents } from '../../src/model/weights-file.js';

/** A tiny IDX dataset (4x4 images, 3 classes) and a config naming it; returns the config's path. */
export function writeTinyDataset(dir: string, options: { trainDims?: number[]; testDims?: number[]; optimizer?: unknown } = {}): string {
  mkdirSync(dir, { recursive: true });
  const trainDims = options.trainDims ?? [24, 4, 4];
  const testDims = options.testDims ?? [6, 4, 4];
  const values = (dims: number[]) => Uint8Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i * 37) % 256);
  const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 3);
  writeFileSync(join(dir, 'train-images'), encodeIdx(trainDims, values(trainDims)));
  writeFileSync(join(dir, 'train-labels'), encodeIdx([trainDims[0]], labels(trainDims[0])));
  writeFileSync(join(dir, 'test-images'), encodeIdx(testDims, values(testDims)));
  writeFileSync(join(dir, 'test-labels'), encodeIdx([testDims[0]], labels(testDims[0])));
  const config = tinyConfig(options.optimizer ?? 'adam');
  const path = join(dir, 'tiny.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export function tinyConfig(optimizer: unknown = 'adam'): Record<string, unknown> {
  return {
    name: 'tiny',
    input_shape: [4, 4, 1],
    layers: [
      { type: 'Conv2D', name: 'conv', filters: 2, kernel_size: 3, activation: 'relu' },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Dense', name: 'dense', units: 3, activation: 'softmax' },
    ],
    dataset: { train_images: 'train-images', train_labels: 'train-labels', test_images: 'test-images', test_labels: 'test-labels', classes: 3 },
    loss: 'categorical_crossentropy',
    optimizer,
    epochs: 1,
    batch_size: 8,
    seed: 1,
    preprocessing: { rescale: 1 / 255 },
  };
}

/** model.json of a Flatten + Dense(2) layers model on 2x2x1 inputs: 10 float32 weights (40 bytes). */
export function tfjsModelJson(paths: unknown[] = ['weights.bin'], shapes: unknown[] = [[4, 2], [2]]): Record<string, unknown> {
  return {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'small',
        layers: [
          { class_name: 'Flatten', config: { name: 'flat', batch_input_shape: [null, 2, 2, 1] } },
          { class_name: 'Dense', config: { name: 'd', units: 2, activation: 'softmax', use_bias: true } },
        ],
      },
    },
    weightsManifest: [
      {
        paths,
        weights: [
          { name: 'd/kernel', shape: shapes[0], dtype: 'float32' },
          { name: 'd/bias', shape: shapes[1], dtype: 'float32' },
        ],
      },
    ],
  };
}

/** The 40 bytes of weights.bin for tfjsModelJson. */
export function tfjsWeightBytes(): Buffer {
  return Buffer.from(new Float32Array([0.5, -0.25, 1, 2, -1, 0.125, 3, -2, 0.1, -0.1]).buffer);
}

/** Writes model.json (and weights.bin unless told not to) into `folder`. */
export function writeTfjsModel(folder: string, modelJson: unknown = tfjsModelJson(), weights: Buffer | undefined = tfjsWeightBytes()): string {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.json'), typeof modelJson === 'string' ? modelJson : JSON.stringify(modelJson));
  if (weights) writeFileSync(join(folder, 'weights.bin'), weights);
  return folder;
}

/** A small weights file's contents: a config, two tensors and adam state. */
export function smallWeightsContents(): WeightsContents {
  const k = new Float32Array([0.5, -1.5, 2, 0.25, -0.125, 1, 3, -2]);
  return {
    config: { name: 'small', input_shape: [2, 2, 1], layers: [{ type: 'Flatten', name: 'flatten' }, { type: 'Dense', name: 'dense', units: 2, activation: 'softmax' }] },
    tensors: [
      { name: 'dense/kernel', layer: 'dense', shape: [4, 2], data: k },
      { name: 'dense/bias', layer: 'dense', shape: [2], data: new Float32Array([0.1, -0.1]) },
    ],
    optimizer: {
      type: 'adam',
      slots: 2,
      iterations: 12,
      state: [
        { name: 'dense/kernel/slot0', layer: 'dense', shape: [4, 2], data: k.map((v) => v / 10) },
        { name: 'dense/kernel/slot1', layer: 'dense', shape: [4, 2], data: k.map((v) => v * v) },
      ],
    },
    training: { epoch: 1, step: 2, lossSum: 1.5, correct: 3, seen: 16, seconds: 0.5, history: [{ epoch: 1, loss: 0.7, accuracy: 0.5 }], limit: null },
  };
}
