/**
 * Folder datasets in configs: every key checked at its JSON path, label_mode against the loss, and a
 * folder config over exported Fashion-MNIST PNGs loading the IDX pixels bit for bit and training to
 * the same losses as the IDX files for the same seed. (The CLI: test/45.data-folder-cli.test.ts.)
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { exportDatasetImages } from '../src/data/export-images.js';
import { datasetForConfig } from '../src/train/dataset-for-config.js';
import { validateConfig } from '../src/model/validate.js';
import { modelFromConfig, type FolderDataset } from '../src/index.js';
import { packageRoot } from '../src/version.js';
import { tempDir } from './helpers/image-folder.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));
const env = { CNN_HOME: warmDatasetHome(join(scratch, 'home'), ['fashion-mnist']), HOME: scratch };
const exported = join(scratch, 'fashion');
const LIMIT = 64;

function fashionConfig(dataset: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c = JSON.parse(readFileSync(join(packageRoot, 'data', 'fashion-mnist.json'), 'utf8'));
  return { ...c, dataset, epochs: 1, ...extra };
}

function issuesOf(dataset: unknown, extra: Record<string, unknown> = {}): string {
  try {
    validateConfig(fashionConfig(dataset, extra), 'c.json');
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

test('every folder key is checked at its JSON path; label_mode must suit the loss', () => {
  assert.equal(issuesOf({ directory: 'photos/', image_size: [28, 28], color_mode: 'grayscale', validation_split: 0.2, seed: 1 }), '');
  const cases: Array<[unknown, RegExp, Record<string, unknown>?]> = [
    [{ directory: 'p', colour_mode: 'rgb' }, /dataset\.colour_mode: unknown key "colour_mode" for a folder dataset; did you mean "color_mode"\?/],
    [{ directory: 'p', color_mode: 'cmyk' }, /dataset\.color_mode: must be one of "grayscale", "rgb", "rgba"; got "cmyk"/],
    [{ directory: 'p', image_size: [0, 5] }, /dataset\.image_size: must be \[height, width\]/],
    [{ directory: 'p', validation_split: 1.5, seed: 1 }, /dataset\.validation_split: must be a number > 0 and < 1, got 1\.5/],
    [{ directory: 'p', validation_split: 0.2 }, /dataset\.seed: is required with validation_split and shuffle/],
    [{ directory: 'p', subset: 'training' }, /dataset\.subset: is set but validation_split is not/],
    [{ directory: 'p', crop_to_aspect_ratio: true, pad_to_aspect_ratio: true }, /dataset\.pad_to_aspect_ratio: only one of crop_to_aspect_ratio and pad_to_aspect_ratio/],
    [{ directory: 'p', follow_links: 'yes' }, /dataset\.follow_links: must be true or false/],
    [{ directory: 'p', labels: [0, 1] }, /dataset\.labels: must be "inferred"/],
    [{ directory: 'p', label_mode: 'categorical' }, /dataset\.label_mode: "categorical" labels do not suit the loss sparse_categorical_crossentropy/],
    [{ directory: 'p', label_mode: 'int' }, /dataset\.label_mode: "int" labels do not suit the loss categorical_crossentropy/, { loss: 'categorical_crossentropy' }],
    [{ directory: 'p', class_names: ['a', 'b'] }, /the output has 10 classes but the dataset has 2/],
    [{ directory: '' }, /dataset\.directory: must be a non-empty string/],
    [{ directory: 'p' }, /dataset\.image_size: image_size \[256,256\] with color_mode "rgb" makes 256x256x3 images, but input_shape \[28,28,1\] holds 784 values/],
  ];
  for (const [dataset, pattern, extra] of cases) assert.match(issuesOf(dataset, extra), pattern, JSON.stringify(dataset));
  assert.equal(issuesOf({ directory: 'p', label_mode: 'categorical', image_size: 28, color_mode: 'grayscale' }, { loss: 'categorical_crossentropy' }), '');
  const cfg = validateConfig(fashionConfig({ directory: 'p', image_size: 28, color_mode: 'grayscale' }, { loss: 'categorical_crossentropy' }));
  assert.equal((cfg.dataset as { label_mode: string }).label_mode, 'categorical', 'label_mode follows the loss by default');
  // A normalized config is valid input (weights files carry it): every default filled in reads back the same.
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(cfg))), cfg);
});

/** The folder dataset's images put back in IDX order (by their file names) with IDX label numbers. */
function inIdxOrder(ds: FolderDataset, split: 'train' | 'test', idxNames: string[]): { images: Uint8Array; labels: Uint8Array } {
  const set = ds[split];
  const files = split === 'train' ? ds.trainFiles : ds.testFiles;
  const per = set.height * set.width * set.channels;
  const images = new Uint8Array(set.images.length);
  const labels = new Uint8Array(set.count);
  files.forEach((f, i) => {
    const at = Number(f.split('/').pop()!.replace('.png', ''));
    images.set(set.images.subarray(i * per, (i + 1) * per), at * per);
    labels[at] = idxNames.indexOf(ds.classNames[set.labels[i]].replace('_', '/'));
  });
  return { images, labels };
}

test('a folder config over the export loads the IDX pixels bit for bit, and trains to the same losses for the same seed', async () => {
  const idx = await loadDataset('fashion-mnist', { cacheDir: join(scratch, 'home', 'datasets') });
  const progress: number[] = [];
  assert.equal(await exportDatasetImages(idx, exported, { limit: LIMIT, onProgress: (done) => progress.push(done) }), 2 * LIMIT);
  assert.deepEqual(progress, [2 * LIMIT], 'progress after every 500 files and at the end');
  assert.deepEqual(readdirSync(join(exported, 'train')).sort(), ['Ankle boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt_top', 'Trouser']);
  const config = validateConfig(fashionConfig({ directory: exported, image_size: [28, 28], color_mode: 'grayscale' }));
  const info: string[] = [];
  const ds = (await datasetForConfig(config, { onInfo: (l) => info.push(l), cacheDir: join(scratch, 'home', 'datasets') })) as FolderDataset;
  assert.deepEqual(info, [`Found ${LIMIT} files belonging to 10 classes.`, `Found ${LIMIT} files belonging to 10 classes.`]);
  for (const split of ['train', 'test'] as const) {
    const back = inIdxOrder(ds, split, idx.classNames);
    assert.equal(Buffer.compare(back.images, idx[split].images.subarray(0, LIMIT * 784)), 0, `${split} pixels are the IDX pixels`);
    assert.deepEqual([...back.labels], [...idx[split].labels.subarray(0, LIMIT)], `${split} labels are the IDX labels`);
  }
  const back = inIdxOrder(ds, 'train', idx.classNames);
  const losses = async (images: Uint8Array, labels: Uint8Array) => {
    const model = modelFromConfig(fashionConfig('fashion-mnist', { seed: 5 }));
    const h = await model.fit({ images, labels }, { epochs: 2, batchSize: 16, verbose: 0 });
    return h.history.loss;
  };
  const fromFolder = await losses(back.images, back.labels);
  assert.equal(fromFolder?.length, 2);
  assert.deepEqual(fromFolder, await losses(idx.train.images.subarray(0, LIMIT * 784), idx.train.labels.subarray(0, LIMIT)));
});
