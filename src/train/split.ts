/** Keras's fit(validation_split): the LAST fraction of the examples, taken before any shuffling. */
import type { ImageSet } from '../data/index.js';
import type { ExampleSet } from './trainer.js';

function view(set: ImageSet, start: number, end: number): ExampleSet {
  const size = set.height * set.width * set.channels;
  return { images: set.images.subarray(start * size, end * size), labels: set.labels.subarray(start, end), count: end - start };
}

export function splitForTraining(set: ImageSet, validationSplit: number, limit?: number): { train: ExampleSet; validation?: ExampleSet } {
  const total = Math.min(set.count, limit ?? set.count);
  if (!(validationSplit > 0)) return { train: view(set, 0, total) };
  // Keras: split_at = int(num_samples * (1 - validation_split))
  const splitAt = Math.floor(total * (1 - validationSplit));
  return { train: view(set, 0, splitAt), validation: view(set, splitAt, total) };
}
