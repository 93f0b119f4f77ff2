/**
 * The promise of "Your own images", end to end: a folder of colour pictures (noisy coloured shapes,
 * PNG and JPEG, of odd sizes) with a config that augments them trains well above chance, then
 * evaluates, visualizes and exports from the CLI; the library trains the same folder.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageDatasetFromDirectory, modelFromConfig } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/image-folder.js';

const scratch = tempDir('cnn-own-colour-');
after(() => rmSync(scratch, { recursive: true, force: true }));
const env = { CNN_HOME: join(scratch, 'home'), CNN_THREADS: '1' };

const CLASSES = ['blue-bar', 'green-disc', 'red-square'];
const PER_CLASS = 40;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** One picture of class `c`: its shape in its colour at a random place and size, on coloured noise. */
function picture(c: number, width: number, height: number, rand: () => number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  const size = 0.3 + 0.25 * rand();
  const cx = width * (0.3 + 0.4 * rand()), cy = height * (0.3 + 0.4 * rand());
  const r = (size * Math.min(width, height)) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = Math.abs(x - cx), dy = Math.abs(y - cy);
      const inside = c === 0 ? dy < r / 3 && dx < r * 1.4 : c === 1 ? dx * dx + dy * dy < r * r : dx < r && dy < r;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) px[o + k] = Math.floor(60 * rand()) + 70;
      if (inside) {
        const colour = c === 0 ? [40, 60, 230] : c === 1 ? [40, 210, 60] : [230, 40, 40];
        for (let k = 0; k < 3; k++) px[o + k] = Math.min(255, colour[k] + Math.floor(25 * rand()));
      }
    }
  }
  return px;
}

const photos = join(scratch, 'photos');
const config = {
  input_shape: [24, 24, 3],
  layers: [
    { type: 'RandomFlip', mode: 'horizontal', seed: 3 },
    { type: 'RandomTranslation', height_factor: 0.1, width_factor: 0.1, seed: 4 },
    { type: 'Rescaling', scale: 1 / 255 },
    { type: 'Conv2D', filters: 8, kernel_size: 3, activation: 'relu' },
    { type: 'MaxPooling2D', pool_size: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  dataset: { directory: 'photos/', image_size: [24, 24], color_mode: 'rgb', validation_split: 0.25, seed: 1 },
  loss: 'sparse_categorical_crossentropy',
  optimizer: { type: 'adam', learning_rate: 0.01 },
  metrics: ['accuracy'],
  epochs: 8,
  batch_size: 16,
  seed: 5,
};
const configPath = join(scratch, 'shapes.json');

test('setup: a folder of coloured shapes in PNG and JPEG, 17 to 40 pixels a side', async () => {
  const rand = rng(11);
  for (const [c, name] of CLASSES.entries()) {
    mkdirSync(join(photos, name), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      const w = 17 + Math.floor(24 * rand()), h = 17 + Math.floor(24 * rand());
      const img = sharp(picture(c, w, h, rand), { raw: { width: w, height: h, channels: 3 } });
      const jpeg = i % 3 === 0;
      writeFileSync(join(photos, name, `${i}.${jpeg ? 'jpg' : 'png'}`), await (jpeg ? img.jpeg({ quality: 85 }) : img.png()).toBuffer());
    }
  }
  writeFileSync(configPath, JSON.stringify(config));
});

test('cnn trains the colour folder with augmentation well above chance, then evaluates, visualizes and exports it', (t) => {
  const weights = join(scratch, 'shapes.bin');
  const r = runCli(['train', '--config', configPath, '--out', weights, '--json'], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Found 120 files belonging to 3 classes\./);
  assert.match(r.stderr, /Using 90 files for training\./);
  const ev = runCli(['eval', '--weights', weights, '--json'], { env });
  assert.equal(ev.status, 0, ev.stderr);
  const result = JSON.parse(ev.stdout) as { images: number; accuracy: number };
  assert.equal(result.images, 30);
  t.diagnostic(`test accuracy ${result.accuracy}`);
  // Chance is 1/3; the shapes differ in colour, so a working colour pipeline gets nearly all.
  assert.ok(result.accuracy >= 0.8, `test accuracy ${result.accuracy}`);

  const sheet = join(scratch, 'filters.png');
  const viz = runCli(['visualize', '--weights', weights, '--out', sheet], { env });
  assert.equal(viz.status, 0, viz.stderr);
  assert.ok(existsSync(sheet));

  const onnx = join(scratch, 'shapes.onnx');
  const ex = runCli(['export', '--weights', weights, '--format', 'onnx', '--out', onnx], { env });
  assert.equal(ex.status, 0, ex.stderr);
  assert.ok(existsSync(onnx));
});

test('the library trains the same folder through imageDatasetFromDirectory', async (t) => {
  const info: string[] = [];
  const data = await imageDatasetFromDirectory(photos, { imageSize: [24, 24], validationSplit: 0.25, seed: 1, cacheDir: join(scratch, 'cache'), onInfo: (l) => info.push(l) });
  assert.deepEqual(data.classNames, CLASSES);
  assert.deepEqual([data.train.count, data.test.count, data.train.channels], [90, 30, 3]);
  assert.ok(info.includes('Found 120 files belonging to 3 classes.'), info.join('\n'));
  const { dataset: _, ...modelOnly } = config;
  const model = modelFromConfig(modelOnly);
  await model.fit(data, { epochs: 8, verbose: 0 });
  const { accuracy } = await model.evaluate(data);
  t.diagnostic(`library test accuracy ${accuracy}`);
  assert.ok(accuracy !== undefined && accuracy >= 0.8, `library test accuracy ${accuracy}`);
});
