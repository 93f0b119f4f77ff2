/**
 * Live, against real Keras 3 (skipped, saying so, without it): a model using every preprocessing and
 * augmentation layer, trained briefly by cnn and exported as .keras, loads in Keras with cnn's
 * predictions (the random layers are the identity at inference in both, Resizing/ZeroPadding2D/
 * Cropping2D/Reshape/Rescaling compute the same), the same model.summary() table at several widths,
 * and Keras's model.fit runs it with its own augmentation on.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrainedModel } from '../../src/train/model.js';
import { runCli } from '../helpers/cli.js';
import { kerasPython, readF32, runPython, writeF32 } from '../helpers/keras-python.js';
import { cnnOutputs, maxAbsDiff, mnistTestImages, preprocess, spreadBetweenImages } from '../fixtures/viz/models.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-keras-augment-'));
const env = { CNN_HOME: home, CNN_THREADS: '2' };
test.after(() => rmSync(home, { recursive: true, force: true }));

const COUNT = 100;
const WIDTHS = [80, 120, 60];

const AUGMENT_CONFIG = {
  name: 'augmented',
  input_shape: [28, 28, 1],
  dataset: 'mnist',
  layers: [
    { type: 'RandomFlip', mode: 'horizontal', seed: 3 },
    { type: 'RandomTranslation', height_factor: 0.1, width_factor: [-0.1, 0.05], fill_mode: 'constant', fill_value: 0.1 },
    { type: 'RandomRotation', factor: 0.05, fill_mode: 'nearest', interpolation: 'nearest' },
    { type: 'RandomZoom', height_factor: [-0.1, 0.1], width_factor: 0.1, fill_mode: 'wrap' },
    { type: 'RandomContrast', factor: 0.2, value_range: [0, 1] },
    { type: 'RandomBrightness', factor: 0.05, value_range: [0, 1] },
    { type: 'Rescaling', scale: 2, offset: -1 },
    { type: 'Resizing', height: 20, width: 24 },
    { type: 'ZeroPadding2D', padding: [[1, 2], [0, 3]] },
    { type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu' },
    { type: 'Cropping2D', cropping: [1, 2] },
    { type: 'Resizing', height: 9, width: 7, interpolation: 'nearest', crop_to_aspect_ratio: true },
    { type: 'Reshape', target_shape: [-1, 4] },
    { type: 'Flatten' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  preprocessing: { rescale: 1 / 255 },
};

function oneHot(labels: Uint8Array): Float32Array {
  const y = new Float32Array(labels.length * 10);
  labels.forEach((l, i) => (y[i * 10 + l] = 1));
  return y;
}

function cnnSummary(weights: string, columns: number): string {
  const r = runCli(['summary', '--weights', weights], { env: { ...env, COLUMNS: String(columns) } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/^ Estimated training memory:.*\n/m, '');
}

const norm = (s: string) => s.split('\n').map((l) => l.trimEnd()).join('\n').trim();

test('every preprocessing and augmentation layer exports to .keras: Keras predicts as cnn does, shows the same summary, and trains it', { skip: kerasPython().reason }, async (t) => {
  const configPath = join(home, 'augmented.json');
  writeFileSync(configPath, JSON.stringify(AUGMENT_CONFIG));
  const weights = join(home, 'augmented.bin');
  const trained = runCli(['train', '--config', configPath, '--limit', '256', '--epochs', '1', '--out', weights, '--json'], { env, cwd: home });
  assert.equal(trained.status, 0, trained.stderr);
  const model = join(home, 'augmented.keras');
  const exported = runCli(['export', '--weights', weights, '--format', 'keras', '--out', model], { env });
  assert.equal(exported.status, 0, exported.stderr);

  const { config, net } = await loadTrainedModel(weights);
  const { images, labels } = mnistTestImages(COUNT);
  const x = preprocess(images, config);
  const want = cnnOutputs(net, x, COUNT);
  writeF32(join(home, 'x.f32'), x);
  writeF32(join(home, 'y.f32'), oneHot(labels));
  const result = runPython('keras_check.py', ['load', model, join(home, 'x.f32'), String(COUNT), join(home, 'pred.f32'), join(home, 'y.f32')], {
    SUMMARY_COLUMNS: WIDTHS.join(','),
  }) as { summaries: Record<string, string>; fit_loss: number };
  const pred = readF32(join(home, 'pred.f32'));
  const diff = maxAbsDiff(pred, want);
  assert.ok(diff < 1e-5, `Keras and cnn differ by ${diff}`);
  assert.ok(spreadBetweenImages(want, COUNT) > 1e-3, 'the outputs differ between images');
  for (const columns of WIDTHS) assert.equal(norm(result.summaries[columns]), norm(cnnSummary(weights, columns)), `summary at ${columns} columns`);
  assert.ok(Number.isFinite(result.fit_loss), `Keras's fit loss ${result.fit_loss}`);
  t.diagnostic(`largest probability difference Keras vs cnn ${diff.toExponential(2)}`);
});
