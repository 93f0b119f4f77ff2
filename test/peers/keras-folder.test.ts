/**
 * Live: cnn's folder dataset against real Keras's image_dataset_from_directory on the same folder:
 * the class names and their order, which files are training and validation files and in what
 * order (numpy's seeded shuffle, the split), and the pixels after decoding, colour conversion and
 * resizing (Keras keeps float32; cnn rounds to 8 bits, so at most 0.5 apart, and equal where no
 * resize happens).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { imageDatasetFromDirectory, type FolderDataset } from '../../src/index.js';
import { kerasPython, readF32, runPython } from '../helpers/keras-python.js';
import { makeClassFolders, tempDir } from '../helpers/image-folder.js';

interface KerasResult {
  class_names: string[];
  subsets: Record<string, { files: string[] }>;
}

function rel(ds: FolderDataset, files: string[]): string[] {
  return files.map((f) => f.slice(ds.directory.length + 1));
}

/** The largest |cnn - Keras| over all pixels, and how many differ at all. */
function compare(ours: Uint8Array, theirs: Float32Array): { max: number; differ: number } {
  assert.equal(ours.length, theirs.length);
  let max = 0;
  let differ = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (d > max) max = d;
    if (d > 0) differ++;
  }
  return { max, differ };
}

const cases: Array<{ name: string; args: Record<string, unknown>; tolerance: number; folder?: string }> = [
  { name: 'rgb, resized, validation_split 0.3 with seed 7', args: { image_size: [11, 13], validation_split: 0.3, seed: 7, color_mode: 'rgb' }, tolerance: 0.5001 },
  { name: 'grayscale, crop_to_aspect_ratio, seed 123', args: { image_size: [9, 20], crop_to_aspect_ratio: true, seed: 123, color_mode: 'grayscale' }, tolerance: 0.5001 },
  { name: 'rgba, pad_to_aspect_ratio, no shuffle, split 0.5', args: { image_size: [16, 10], pad_to_aspect_ratio: true, shuffle: false, validation_split: 0.5, color_mode: 'rgba' }, tolerance: 0.5001 },
  // TF's decode_jpeg uses libjpeg's fast integer IDCT by default, libvips the accurate one: JPEG pixels
  // differ by a few levels (4.04 at most here, measured with TF 2.21).
  { name: 'JPEG and PNG mixed, rgb, resized', args: { image_size: [12, 12], seed: 3 }, tolerance: 5, folder: 'mixed' },
];

test('folder datasets: class order, split membership and pixels match real Keras', { skip: kerasPython().reason, timeout: 300_000 }, async (t) => {
  const dir = tempDir();
  const cache = tempDir('cnn-folder-cache-');
  try {
    await makeClassFolders(join(dir, 'photos'));
    await makeClassFolders(join(dir, 'mixed'), { jpeg: true });
    for (const c of cases) {
      await t.test(c.name, async () => {
        const prefix = join(dir, 'keras');
        const folder = join(dir, c.folder ?? 'photos');
        const keras = runPython('keras_image_folder.py', [folder, prefix, JSON.stringify(c.args)]) as KerasResult;
        const ours = await imageDatasetFromDirectory(folder, { ...c.args, cacheDir: cache });
        assert.deepEqual(ours.classNames, keras.class_names);
        assert.ok(ours.classNames.includes('empty'), 'an empty class folder is a class, as in Keras');
        const splits: Array<[string, string[], Uint8Array]> = c.args.validation_split
          ? [
              ['training', ours.trainFiles, ours.train.images],
              ['validation', ours.testFiles, ours.test.images],
            ]
          : [['all', ours.trainFiles, ours.train.images]];
        for (const [subset, files, pixels] of splits) {
          assert.deepEqual(rel(ours, files), keras.subsets[subset].files, `${subset} files`);
          const { max, differ } = compare(pixels, readF32(`${prefix}.${subset}.f32`));
          assert.ok(max <= c.tolerance, `${subset}: pixels differ from Keras by up to ${max} (${differ} values differ)`);
        }
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});
