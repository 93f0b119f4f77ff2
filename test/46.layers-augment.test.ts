/**
 * The preprocessing and augmentation layers from the TypeScript side: validation messages with JSON
 * paths, shapes and summary rows, training that is reproducible bit for bit (same seed, any thread
 * count) and resumable bit for bit, augmentation active in training only, and a small model trained
 * with augmentation on.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layers, sequential } from '../src/index.js';
import { validateConfig } from '../src/model/validate.js';
import { summaryJson } from '../src/model/summary.js';
import { runCli } from './helpers/cli.js';
import { writeTinyDataset } from './helpers/tiny-models.js';
import { splitWeights } from './helpers/weights-bytes.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-augment-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

function problem(layer: Record<string, unknown>, input: number[] = [8, 8, 1]): string {
  try {
    validateConfig({ input_shape: input, layers: [layer, { type: 'Flatten' }, { type: 'Dense', units: 3, activation: 'softmax' }] }, 'c.json');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

test('bad arguments are refused with the JSON path, the layer and what Keras takes', () => {
  assert.equal(problem({ type: 'RandomRotation', factor: 2 }), 'c.json: layers[0].factor [random_rotation (RandomRotation)]: must be a number in [-1, 1] or a pair [lower, upper] of them; got 2');
  assert.equal(problem({ type: 'RandomZoom', height_factor: -1 }), 'c.json: layers[0].height_factor [random_zoom (RandomZoom)]: must be a number in [-1 (excluded), 1] or a pair [lower, upper] of them; got -1');
  assert.equal(problem({ type: 'RandomTranslation', height_factor: 0.1 }), 'c.json: layers[0].width_factor [random_translation (RandomTranslation)]: is required (a number in [-1, 1] or a pair [lower, upper] of them)');
  assert.equal(problem({ type: 'RandomFlip', mode: 'diagonal' }), 'c.json: layers[0].mode [random_flip (RandomFlip)]: must be one of "horizontal_and_vertical", "horizontal", "vertical"; got "diagonal"');
  assert.equal(problem({ type: 'RandomTranslation', height_factor: 0.1, width_factor: 0.1, fill_mode: 'mirror' }), 'c.json: layers[0].fill_mode [random_translation (RandomTranslation)]: must be one of "reflect", "wrap", "constant", "nearest"; got "mirror"');
  assert.equal(problem({ type: 'RandomContrast', factor: 0.2, value_range: [1, 0] }), 'c.json: layers[0].value_range [random_contrast (RandomContrast)]: must be a pair [low, high] of numbers with low < high, e.g. [0, 255]; got [1,0]');
  assert.equal(problem({ type: 'Resizing', height: 4, width: 4, crop_to_aspect_ratio: true, pad_to_aspect_ratio: true }), 'c.json: layers[0].pad_to_aspect_ratio [resizing (Resizing)]: Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.');
  assert.equal(problem({ type: 'Resizing', height: 4, width: 4, interpolation: 'bicubic' }), 'c.json: layers[0].interpolation [resizing (Resizing)]: must be one of "bilinear", "nearest"; got "bicubic"');
  assert.equal(problem({ type: 'Cropping2D', cropping: [[4, 4], [0, 0]] }), 'c.json: layers[0].cropping [cropping2d (Cropping2D)]: cropping the height 8 by 4 + 4 leaves nothing of the input (None, 8, 8, 1)');
  assert.equal(problem({ type: 'ZeroPadding2D', padding: [1, 2, 3] }), 'c.json: layers[0].padding [zero_padding2d (ZeroPadding2D)]: must be an integer >= 0, a pair [height, width] of them, or [[top, bottom], [left, right]]; got [1,2,3]');
  assert.equal(problem({ type: 'Reshape', target_shape: [5, -1] }), 'c.json: layers[0].target_shape [reshape (Reshape)]: cannot reshape (None, 8, 8, 1) (64 values per example) into [5,-1]: the total size must stay the same');
  assert.equal(problem({ type: 'Reshape', target_shape: [-1, -1] }), 'c.json: layers[0].target_shape [reshape (Reshape)]: must be a list of 1 to 8 sizes >= 1, at most one of them -1 (inferred), e.g. [7, 112]; got [-1,-1]');
  assert.equal(problem({ type: 'Rescaling' }), 'c.json: layers[0].scale [rescaling (Rescaling)]: is required (a number)');
  assert.equal(problem({ type: 'RandomFlip', data_format: 'channels_first' }), 'c.json: layers[0].data_format [random_flip (RandomFlip)]: cnn\'s RandomFlip takes only channels_last images; got "channels_first"');
  assert.equal(problem({ type: 'RandomFlip' }, [64]), 'c.json: layers[0] [random_flip (RandomFlip)]: RandomFlip needs a 3-D input (height, width, channels) but its input is (None, 64)');
  assert.equal(problem({ type: 'RandomBrightness', factor: 0.1, sed: 3 }), 'c.json: layers[0].sed [random_brightness (RandomBrightness)]: unknown key "sed" for RandomBrightness; did you mean "seed"?');
});

test('factors are normalized as Keras normalizes them, and a normalized config validates to itself', () => {
  const config = validateConfig({
    input_shape: [8, 8, 1],
    layers: [
      { type: 'RandomRotation', factor: 0.1 },
      { type: 'RandomContrast', factor: 0.5 },
      { type: 'RandomBrightness', factor: [0.3, -0.2], value_range: [1, 0] },
      { type: 'RandomZoom', height_factor: [0.2, -0.1] },
      { type: 'ZeroPadding2D', padding: [1, 2] },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
  });
  const l = config.layers as unknown as Record<string, unknown>[];
  assert.deepEqual(l[0].factor, [-0.1, 0.1]);
  assert.deepEqual(l[1].factor, [0, 0.5]); // Keras's RandomContrast(0.5).factor is (0, 0.5)
  assert.deepEqual(l[2].factor, [-0.2, 0.3]);
  assert.deepEqual(l[2].value_range, [0, 1]);
  assert.deepEqual(l[3].height_factor, [-0.1, 0.2]);
  assert.equal(l[3].width_factor, null);
  assert.deepEqual(l[4].padding, [[1, 1], [2, 2]]);
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(config))), config);
});

test('shapes and summary rows are those of Keras (0 params, names random_flip, zero_padding2d ...)', () => {
  const config = validateConfig({
    input_shape: [10, 12, 3],
    layers: [
      { type: 'Rescaling', scale: 0.5 },
      { type: 'RandomFlip' },
      { type: 'Resizing', height: 6, width: 8 },
      { type: 'ZeroPadding2D', padding: [[1, 0], [2, 3]] },
      { type: 'Cropping2D', cropping: 1 },
      { type: 'Reshape', target_shape: [-1, 3] },
      { type: 'Flatten' },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
  });
  const rows = summaryJson(config).layers.map((r) => [r.name, r.type, r.output_shape, r.params]);
  assert.deepEqual(rows, [
    ['rescaling', 'Rescaling', [null, 10, 12, 3], 0],
    ['random_flip', 'RandomFlip', [null, 10, 12, 3], 0],
    ['resizing', 'Resizing', [null, 6, 8, 3], 0],
    ['zero_padding2d', 'ZeroPadding2D', [null, 7, 13, 3], 0],
    ['cropping2d', 'Cropping2D', [null, 5, 11, 3], 0],
    ['reshape', 'Reshape', [null, 55, 3], 0],
    ['flatten', 'Flatten', [null, 165], 0],
    ['dense', 'Dense', [null, 2], 332],
  ]);
});

// 4x4 images of 3 classes (test/helpers/tiny-models.ts) with every random layer in front.
const AUGMENTED = [
  { type: 'RandomFlip', name: 'flip' },
  { type: 'RandomTranslation', name: 'shift', height_factor: 0.25, width_factor: 0.25, fill_mode: 'constant' },
  { type: 'RandomRotation', name: 'turn', factor: 0.1 },
  { type: 'RandomZoom', name: 'zoom', height_factor: 0.2, fill_mode: 'nearest' },
  { type: 'RandomContrast', name: 'contrast', factor: 0.3, value_range: [0, 1] },
  { type: 'RandomBrightness', name: 'bright', factor: 0.1, value_range: [0, 1], seed: 7 },
];

function augmentedConfig(dir: string, seed = 1): string {
  const path = writeTinyDataset(dir);
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  config.layers = [...AUGMENTED, ...(config.layers as unknown[])];
  config.seed = seed;
  config.preprocessing = { rescale: 1 / 255 };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function train(dir: string, args: string[]): Buffer {
  const r = runCli(['train', ...args, '--json'], { cwd: dir, env: { ...process.env, CNN_HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  return splitWeights(readFileSync(join(dir, 'w.bin'))).data;
}

test('training with augmentation is the same bit for bit for the same seed, any thread count; another seed differs', () => {
  const a = mkdtempSync(join(home, 'a-'));
  const b = mkdtempSync(join(home, 'b-'));
  const c = mkdtempSync(join(home, 'c-'));
  const one = train(a, ['--config', augmentedConfig(a), '--epochs', '2', '--out', 'w.bin', '--threads', '1']);
  const two = train(b, ['--config', augmentedConfig(b), '--epochs', '2', '--out', 'w.bin', '--threads', '2']);
  assert.ok(one.equals(two), 'same seed, 1 and 2 threads: the same weights');
  const other = train(c, ['--config', augmentedConfig(c), '--epochs', '2', '--out', 'w.bin', '--seed', '2']);
  assert.ok(!one.equals(other));
});

test('a run resumed from its checkpoint ends with the weights of an uninterrupted run, bit for bit', () => {
  const a = mkdtempSync(join(home, 'r-'));
  const b = mkdtempSync(join(home, 's-'));
  const straight = train(a, ['--config', augmentedConfig(a), '--epochs', '3', '--out', 'w.bin']);
  train(b, ['--config', augmentedConfig(b), '--epochs', '1', '--out', 'w.bin']);
  const resumed = train(b, ['--resume', 'w.bin', '--epochs', '3']);
  assert.ok(straight.equals(resumed));
});

function tinyData(n: number): { x: Float32Array; y: Uint8Array } {
  const x = new Float32Array(n * 36);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    // class 0: a bright left half, class 1: a bright right half (6x6, one channel)
    for (let p = 0; p < 36; p++) x[i * 36 + p] = ((p % 6 < 3) === (y[i] === 0) ? 0.8 : 0.1) + ((i * 7 + p * 3) % 10) / 100;
  }
  return { x, y };
}

function head(seed: number) {
  return [layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }), layers.flatten(), layers.dense({ units: 2, activation: 'softmax', name: 'out' })];
}

test('the random layers change nothing at inference and change the training; a small model learns with them on', async () => {
  const augment = [
    layers.randomFlip({ mode: 'vertical' }),
    layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }),
    layers.randomRotation({ factor: 0.05 }),
    layers.randomZoom({ heightFactor: 0.1, widthFactor: [-0.1, 0.1] }),
    layers.randomContrast({ factor: 0.2, valueRange: [0, 1] }),
    layers.randomBrightness({ factor: 0.05, valueRange: [0, 1] }),
  ];
  const withAug = sequential({ inputShape: [6, 6, 1], layers: [...augment, ...head(3)], seed: 3 });
  const plain = sequential({ inputShape: [6, 6, 1], layers: head(3), seed: 3 });
  for (const m of [withAug, plain]) m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  plain.setWeights(withAug.getWeights());
  const { x, y } = tinyData(64);
  const before = [await withAug.predict({ data: x, shape: [64, 6, 6, 1] }), await plain.predict({ data: x, shape: [64, 6, 6, 1] })];
  assert.deepEqual(before[0], before[1], 'the same predictions: augmentation is off at inference');

  await withAug.fit({ data: x, shape: [64, 6, 6, 1] }, y, { epochs: 20, batchSize: 16, verbose: 0 });
  await plain.fit({ data: x, shape: [64, 6, 6, 1] }, y, { epochs: 20, batchSize: 16, verbose: 0 });
  const wa = withAug.getWeights().map((w) => Array.from(w.data));
  const wp = plain.getWeights().map((w) => Array.from(w.data));
  assert.notDeepEqual(wa, wp, 'augmentation changed what the model saw while training');
  const result = await withAug.evaluate({ data: x, shape: [64, 6, 6, 1] }, y);
  assert.ok((result.accuracy ?? 0) >= 0.9, `accuracy ${result.accuracy}`);
});

test('a .keras export of the augmented model imports back with the same layers (Keras\'s arguments read back)', async () => {
  const dir = mkdtempSync(join(home, 'k-'));
  const path = augmentedConfig(dir);
  const config = JSON.parse(readFileSync(path, 'utf8')) as { layers: Record<string, unknown>[] };
  config.layers.splice(6, 0, { type: 'Resizing', name: 'resize', height: 6, width: 5, crop_to_aspect_ratio: true }, { type: 'ZeroPadding2D', name: 'pad', padding: [1, 0] }, { type: 'Cropping2D', name: 'crop', cropping: [[0, 1], [1, 0]] }, { type: 'Rescaling', name: 'scale', scale: 0.5 });
  config.layers.splice(config.layers.length - 1, 0, { type: 'Reshape', name: 'reshape', target_shape: [-1, 2] }, { type: 'Flatten', name: 'flatten_again' });
  writeFileSync(path, JSON.stringify(config));
  train(dir, ['--config', path, '--epochs', '1', '--out', 'w.bin']);
  const env = { ...process.env, CNN_HOME: home };
  const exported = runCli(['export', '--weights', 'w.bin', '--format', 'keras', '--out', 'm.keras'], { cwd: dir, env });
  assert.equal(exported.status, 0, exported.stderr);
  const imported = runCli(['import', '--from', 'm.keras', '--out', 'back.bin'], { cwd: dir, env });
  assert.equal(imported.status, 0, imported.stderr);
  const { readWeightsFile } = await import('../src/model/weights-file.js');
  const before = await readWeightsFile(join(dir, 'w.bin'));
  const after = await readWeightsFile(join(dir, 'back.bin'));
  assert.deepEqual((after.config as { layers: unknown }).layers, (before.config as { layers: unknown }).layers);
});
