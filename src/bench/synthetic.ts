/**
 * Synthetic images for `cnn bench train` when a config's dataset is not on this machine (CIFAR-10 has
 * to be downloaded; MNIST and Fashion-MNIST have offline copies): uniformly random pixels and labels of
 * the config's image shape and class count. The time of a training step does not depend on the pixel
 * values (dense products, no data-dependent branches), so images/s and GFLOP/s are the real ones;
 * accuracy on random labels is chance and says nothing.
 */
import { verifyDataset, type Dataset, type ImageSet } from '../data/index.js';
import type { ModelConfig } from '../model/config.js';
import { usageError } from '../errors.js';

/** Why the config's data must be synthetic, or undefined when its real dataset is at hand. */
export async function missingDatasetReason(config: ModelConfig): Promise<string | undefined> {
  if (typeof config.dataset !== 'string') return undefined; // files or a folder: the user's own data
  // Whether it is there; loading it checks it again.
  const status = await verifyDataset(config.dataset, { useStamp: true });
  if (status.state === 'verified' || status.offlineCopies.length > 0) return undefined;
  return `${config.dataset} is not in the dataset cache (${status.dir}) and has no copy on this machine (\`cnn data fetch ${config.dataset}\` downloads it)`;
}

/** The (height, width, channels) of the config's input images, channels last (as datasets are stored). */
function imageShape(config: ModelConfig): [number, number, number] {
  const s = config.input_shape;
  const conv = config.layers.find((l) => l.type === 'Conv2D');
  const first = conv?.type === 'Conv2D' && conv.data_format === 'channels_first';
  if (s.length === 2) return [s[0]!, s[1]!, 1];
  if (s.length === 3) return first ? [s[1]!, s[2]!, s[0]!] : [s[0]!, s[1]!, s[2]!];
  throw usageError('ERR_BAD_CONFIG', `synthetic data needs an image input_shape (height, width[, channels]), got [${s.join(', ')}]`);
}

function classesOf(config: ModelConfig): number {
  const last = config.layers[config.layers.length - 1];
  if (last?.type === 'Dense' && last.units >= 2) return Math.min(last.units, 256);
  throw usageError('ERR_BAD_CONFIG', 'synthetic data needs a model whose last layer is a Dense classifier (units >= 2)');
}

function randomSet(count: number, h: number, w: number, c: number, classes: number, seed: number): ImageSet {
  const images = new Uint8Array(count * h * w * c);
  const labels = new Uint8Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < images.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    images[i] = s >>> 24;
  }
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    labels[i] = (s >>> 16) % classes;
  }
  return { images, labels, count, height: h, width: w, channels: c };
}

/** A deterministic random dataset of the config's shape: `train` and `test` images. */
export function syntheticDataset(config: ModelConfig, counts: { train: number; test: number } = { train: 10000, test: 1000 }): Dataset {
  const [h, w, c] = imageShape(config);
  const classes = classesOf(config);
  return {
    name: 'synthetic',
    classes,
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    train: randomSet(counts.train, h, w, c, classes, 12345),
    test: randomSet(counts.test, h, w, c, classes, 54321),
  };
}
