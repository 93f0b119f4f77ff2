/** Small models and synthetic, learnable data for the library's tests (no dataset files needed). */
import { layers, sequential, type Sequential } from '../../src/index.js';

/** 8x8 images whose class (0, 1, 2) is the band of rows that is bright; pixels 0-255. */
export function bands(count: number, seed = 1): { images: Uint8Array; labels: Uint8Array } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let p = 0; p < 64; p++) {
      const row = Math.floor(p / 8);
      const bright = Math.floor(row / 3) === c || (c === 2 && row >= 6);
      images[i * 64 + p] = Math.floor((bright ? 160 : 0) + rand() * 90);
    }
  }
  return { images, labels };
}

export function tinyModel(options: { optimizer?: 'adam' | 'sgd' | 'rmsprop'; learningRate?: number; seed?: number } = {}): Sequential {
  const model = sequential({
    inputShape: [8, 8, 1],
    preprocessing: { rescale: 1 / 255 },
    seed: options.seed ?? 3,
    layers: [layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })],
  });
  model.compile({
    optimizer: { type: options.optimizer ?? 'adam', learningRate: options.learningRate ?? 0.01 },
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

/** Every weight value, concatenated, for exact comparisons. */
export function flatWeights(model: Sequential): number[] {
  return model.getWeights().flatMap((w) => Array.from(w.data));
}
