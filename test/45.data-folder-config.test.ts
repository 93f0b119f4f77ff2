/**
 * Folder datasets in configs and on the command line: every key checked at its JSON path,
 * label_mode against the loss, `cnn data export` writing Keras's layout, a folder config loading
 * the exported PNGs bit-identical to the IDX pixels, the two pipelines training to identical losses
 * for the same seed, `cnn train`, `cnn data show` and `cnn data verify` on a folder.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { datasetForConfig } from '../src/train/dataset-for-config.js';
import { validateConfig } from '../src/model/validate.js';
import { modelFromConfig, type FolderDataset } from '../src/index.js';
import { packageRoot } from '../src/version.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/image-folder.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));
const env = { CNN_HOME: join(scratch, 'home'), HOME: scratch };
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

test('cnn data export writes DIR/train/<class>/<index>.png and DIR/test/..., class names made safe', () => {
  const r = runCli(['data', 'export', 'fashion-mnist', '--format', 'png', '--out', exported, '--limit', String(LIMIT)], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`fashion-mnist: wrote ${2 * LIMIT} PNG files to `));
  assert.deepEqual(readdirSync(exported).sort(), ['test', 'train']);
  assert.deepEqual(readdirSync(join(exported, 'train')).sort(), ['Ankle boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt_top', 'Trouser']);
  const again = runCli(['data', 'export', 'fashion-mnist', '--out', exported, '--limit', '1'], { env });
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists and is not an empty folder; remove it or give another --out/);
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

test('cnn train on a folder config prints what Keras prints; data show and data verify read the folder', () => {
  const dir = join(scratch, 'cfg');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'folder.json');
  writeFileSync(configPath, JSON.stringify(fashionConfig({ directory: '../fashion/', image_size: [28, 28], color_mode: 'grayscale' })));
  const r = runCli(['train', '--config', configPath, '--out', join(dir, 'w.bin'), '--limit', '32'], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Found ${LIMIT} files belonging to 10 classes\\.`));
  assert.match(r.stdout, /Saved weights to/);
  // The weights file keeps the folder (made absolute), so eval finds it from another working directory.
  const ev = runCli(['eval', '--weights', join(dir, 'w.bin'), '--json'], { env, cwd: scratch });
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).images, LIMIT);
  const show = runCli(['data', 'show', '--config', configPath, '--index', '3', '--split', 'test'], { env });
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /fashion test\[3\]: label \d \((Ankle boot|Bag|Coat|Dress|Pullover|Sandal|Shirt|Sneaker|T-shirt_top|Trouser)\)/);
  assert.equal(show.stdout.split('\n').length, 1 + 28 + 1);
  const ok = runCli(['data', 'verify', '--directory', exported], { env });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ok    every image decodes/);
  writeFileSync(join(exported, 'train', 'Bag', 'zz-broken.png'), 'not a png');
  const bad = runCli(['data', 'verify', '--directory', exported, '--color-mode', 'grayscale'], { env });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /FAIL  .*train\/Bag\/zz-broken\.png: is not a PNG, JPEG, GIF or BMP image/);
  assert.match(bad.stderr, /cnn: error: 1 image in .* cannot be used; the first: .*zz-broken\.png is not a PNG/);
  const none = runCli(['data', 'show', '--index', '0'], { env });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /cnn data show needs a dataset name \(see cnn data list\), --directory or --config/);
});
