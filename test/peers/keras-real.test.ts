/**
 * `cnn export --format keras` and `cnn import --from model.keras` against real Keras 3 (a Python with
 * keras/tensorflow/h5py: see test/helpers/keras-python.ts; skipped, saying so, when there is none).
 * Predictions on 100 real test images agree within 1e-5 both ways, Keras's model.summary() is cnn
 * summary's, and model.fit continues from the exported optimizer state.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ModelConfig } from '../../src/model/config.js';
import { loadTrainedModel } from '../../src/train/model.js';
import { runCli } from '../helpers/cli.js';
import { kerasPython, readF32, runPython, writeF32 } from '../helpers/keras-python.js';
import { EVERYTHING_CONFIG, cnnOutputs, maxAbsDiff, mnistTestImages, preprocess, spreadBetweenImages } from '../fixtures/viz/models.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-keras-real-'));
const env = { CNN_HOME: home, CNN_THREADS: '2' };
test.after(() => rmSync(home, { recursive: true, force: true }));

const COUNT = 100;
const TOLERANCE = 1e-5;
const WIDTHS = [80, 120, 60];
const FASHION = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

function skipReason(): string | undefined {
  return kerasPython().reason;
}

function testImages(dataset: string): Uint8Array {
  if (dataset === 'fashion-mnist') return new Uint8Array(gunzipSync(readFileSync(FASHION)).subarray(16, 16 + COUNT * 784));
  return mnistTestImages(COUNT).images;
}

function oneHot(labels: Uint8Array): Float32Array {
  const y = new Float32Array(labels.length * 10);
  labels.forEach((l, i) => (y[i * 10 + l] = 1));
  return y;
}

interface LoadResult {
  summaries: Record<string, string>;
  iterations_loaded: number;
  iterations_after_fit?: number;
  fit_loss?: number;
  optimizer: string;
}

/** Keras's predictions for the images (preprocessed as cnn does), and what load_model saw. */
function kerasLoad(model: string, x: Float32Array, fit: boolean): { pred: Float32Array; result: LoadResult } {
  const input = join(home, 'x.f32');
  const out = join(home, 'pred.f32');
  writeF32(input, x);
  const args = ['load', model, input, String(COUNT), out];
  if (fit) {
    const labels = join(home, 'y.f32');
    writeF32(labels, oneHot(mnistTestImages(COUNT).labels));
    args.push(labels);
  }
  const result = runPython('keras_check.py', args, { SUMMARY_COLUMNS: WIDTHS.join(',') }) as LoadResult;
  return { pred: readF32(out), result };
}

function cnnSummary(weights: string, columns: number): string {
  const r = runCli(['summary', '--weights', weights], { env: { ...env, COLUMNS: String(columns) } });
  assert.equal(r.status, 0, r.stderr);
  // cnn summary adds its own memory-estimate line after Keras's table; Keras prints the table only.
  return r.stdout.replace(/^ Estimated training memory:.*\n/m, '');
}

function sameLines(a: string, b: string): void {
  const norm = (s: string) => s.split('\n').map((l) => l.trimEnd()).join('\n').trim();
  assert.equal(norm(a), norm(b));
}

function exportKeras(weights: string, out: string): void {
  const r = runCli(['export', '--weights', weights, '--format', 'keras', '--out', out, '--force'], { env });
  assert.equal(r.status, 0, r.stderr);
}

async function checkExport(weights: string, dataset: string, fit: boolean): Promise<{ diff: number; config: ModelConfig }> {
  const out = weights.replace(/\.bin$/, '.keras');
  exportKeras(weights, out);
  const { config, net, contents } = await loadTrainedModel(weights);
  const x = preprocess(testImages(dataset), config);
  const want = cnnOutputs(net, x, COUNT);
  const { pred, result } = kerasLoad(out, x, fit);
  const diff = maxAbsDiff(pred, want);
  assert.ok(diff < TOLERANCE, `${weights}: Keras and cnn differ by ${diff}`);
  const spread = spreadBetweenImages(want, COUNT);
  assert.ok(spread > 100 * TOLERANCE, `the outputs differ between images far more than the tolerance (${spread})`);
  for (const columns of WIDTHS) sameLines(result.summaries[columns], cnnSummary(weights, columns));
  if (fit) {
    assert.equal(result.iterations_loaded, contents.optimizer!.iterations, 'Keras starts from the saved step count');
    assert.equal(result.iterations_after_fit, contents.optimizer!.iterations + 2, 'one epoch of two batches more');
    assert.ok(Number.isFinite(result.fit_loss), `fit loss ${result.fit_loss}`);
  }
  return { diff, config };
}

for (const shipped of ['mnist', 'fashion-mnist']) {
  test(`the shipped ${shipped}.json model, trained briefly, loads in Keras: predictions, summary, model.fit`, async (t) => {
    const reason = skipReason() ?? (shipped === 'fashion-mnist' && !existsSync(FASHION) ? `Fashion-MNIST not installed at ${FASHION}` : undefined);
    if (reason) return t.skip(reason);
    const weights = join(home, `${shipped}.bin`);
    const r = runCli(['train', '--config', `${shipped}.json`, '--limit', '256', '--epochs', '1', '--out', weights, '--json'], { env, cwd: home });
    assert.equal(r.status, 0, r.stderr);
    const { diff } = await checkExport(weights, shipped, true);
    t.diagnostic(`${shipped}: largest probability difference Keras vs cnn ${diff.toExponential(2)}`);
  });
}

test('a model with every layer type and activation loads in Keras with the same predictions and summary', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  // Trained by cnn (so the file holds optimizer state, which Keras's summary counts), with RMSprop's
  // optional slots, which Keras orders by kind: all velocities, then momentums, then average gradients.
  const configPath = join(home, 'everything.json');
  writeFileSync(configPath, JSON.stringify({ ...EVERYTHING_CONFIG, dataset: 'mnist', optimizer: { type: 'rmsprop', momentum: 0.5, centered: true } }));
  const weights = join(home, 'everything.bin');
  const r = runCli(['train', '--config', configPath, '--limit', '256', '--epochs', '1', '--out', weights, '--json'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  const { diff } = await checkExport(weights, 'mnist', true);
  t.diagnostic(`everything: largest probability difference Keras vs cnn ${diff.toExponential(2)}`);
});

for (const kind of ['tutorial', 'everything']) {
  test(`a ${kind} model built and trained in Keras, saved with model.save, imports with Keras's predictions`, async (t) => {
    const reason = skipReason();
    if (reason) return t.skip(reason);
    const { images, labels } = mnistTestImages(COUNT);
    const xPath = join(home, `${kind}-x.f32`);
    const yPath = join(home, `${kind}-y.f32`);
    const predPath = join(home, `${kind}-pred.f32`);
    const model = join(home, `${kind}-keras.keras`);
    writeF32(xPath, Float32Array.from(images));
    writeF32(yPath, oneHot(labels));
    runPython('keras_check.py', ['build', kind, model, xPath, String(COUNT), yPath, predPath]);
    const weights = join(home, `${kind}-imported.bin`);
    const r = runCli(['import', '--from', model, '--out', weights, '--dataset', 'mnist'], { env });
    assert.equal(r.status, 0, r.stderr);
    const { config, net } = await loadTrainedModel(weights);
    assert.equal(config.preprocessing.rescale, 1 / 255, "Keras's Rescaling layer became cnn's preprocessing");
    const got = cnnOutputs(net, preprocess(images, config), COUNT);
    const want = readF32(predPath);
    const diff = maxAbsDiff(got, want);
    assert.ok(diff < TOLERANCE, `cnn and Keras differ by ${diff}`);
    const spread = spreadBetweenImages(want, COUNT);
    assert.ok(spread > 100 * TOLERANCE, `the outputs differ between images far more than the tolerance (${spread})`);
    t.diagnostic(`${kind}: largest probability difference cnn vs Keras ${diff.toExponential(2)}`);
  });
}

const STEP_CONFIG = {
  name: 'step',
  input_shape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D', pool_size: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  dataset: 'mnist',
  loss: 'categorical_crossentropy',
  batch_size: 32,
  preprocessing: { rescale: 1 / 255 },
};

const STEP_OPTIMIZERS = [
  { type: 'adam', amsgrad: true },
  { type: 'adamw' },
  { type: 'rmsprop', momentum: 0.5, centered: true },
  { type: 'sgd', learning_rate: 0.05, momentum: 0.9, nesterov: true },
];

for (const optimizer of STEP_OPTIMIZERS) {
  test(`the next step in Keras from the exported ${JSON.stringify(optimizer)} state is cnn's next step`, async (t) => {
    const reason = skipReason();
    if (reason) return t.skip(reason);
    const name = `step-${optimizer.type}`;
    const configPath = join(home, `${name}.json`);
    writeFileSync(configPath, JSON.stringify({ ...STEP_CONFIG, optimizer }));
    const weights = join(home, `${name}.bin`);
    const r = runCli(['train', '--config', configPath, '--limit', '96', '--epochs', '1', '--out', weights, '--json'], { env, cwd: home });
    assert.equal(r.status, 0, r.stderr);
    const model = join(home, `${name}.keras`);
    exportKeras(weights, model);
    // cnn's next step, on 32 test images, from the same state.
    const { config, net, contents } = await loadTrainedModel(weights);
    const { restoreOptimizer } = await import('../../src/train/network-state.js');
    restoreOptimizer(net, contents.optimizer!, config.optimizer.type, weights);
    const n = 32;
    const { images, labels } = mnistTestImages(n);
    await net.trainBatches(images, labels, Int32Array.from({ length: n }, (_, i) => i), { batchSize: n, scale: config.preprocessing.rescale, offset: 0 }, null, new Int32Array(1));
    const want = Float32Array.from(net.params().flatMap((_, i) => [...net.getParam(i)]));
    const xPath = join(home, `${name}-x.f32`);
    const yPath = join(home, `${name}-y.f32`);
    const outPath = join(home, `${name}-after.f32`);
    writeF32(xPath, preprocess(images, config));
    writeF32(yPath, oneHot(labels));
    const step = runPython('keras_check.py', ['step', model, xPath, String(n), yPath, outPath]) as { iterations: number };
    assert.equal(step.iterations, contents.optimizer!.iterations + 1);
    const got = readF32(outPath);
    const before = Float32Array.from(contents.tensors.flatMap((tt) => [...tt.data]));
    const moved = maxAbsDiff(want, before);
    const diff = maxAbsDiff(got, want);
    // A slot loaded into the wrong variable changes the step by about as much as the step itself;
    // float32 rounding leaves a thousandth of it at most.
    assert.ok(diff < moved / 1000, `Keras's step and cnn's differ by ${diff} (the step moved weights by up to ${moved})`);
    t.diagnostic(`${optimizer.type}: weights after the step differ by ${diff.toExponential(2)} (the step moved them by up to ${moved.toExponential(2)})`);
  });
}

test("a Keras model's optimizer state comes along: cnn's next step equals Keras's", async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const { images, labels } = mnistTestImages(COUNT);
  const xPath = join(home, 'plain-x.f32');
  const yPath = join(home, 'plain-y.f32');
  const model = join(home, 'plain.keras');
  writeF32(xPath, Float32Array.from(images));
  writeF32(yPath, oneHot(labels));
  runPython('keras_check.py', ['build', 'plain', model, xPath, String(COUNT), yPath, join(home, 'plain-pred.f32')]);
  const weights = join(home, 'plain.bin');
  const r = runCli(['import', '--from', model, '--out', weights, '--dataset', 'mnist'], { env });
  assert.equal(r.status, 0, r.stderr);
  const { config, net, contents } = await loadTrainedModel(weights);
  assert.ok(contents.optimizer, 'the imported file holds the optimizer state');
  assert.equal(contents.optimizer.type, 'adam');
  assert.equal(contents.optimizer.iterations, 15, '3 epochs of 100 images in batches of 20');
  const { restoreOptimizer } = await import('../../src/train/network-state.js');
  restoreOptimizer(net, contents.optimizer, 'adam', weights);
  const n = 32;
  await net.trainBatches(images.subarray(0, n * 784), labels.subarray(0, n), Int32Array.from({ length: n }, (_, i) => i), { batchSize: n, scale: config.preprocessing.rescale, offset: 0 }, null, new Int32Array(1));
  const want = Float32Array.from(net.params().flatMap((_, i) => [...net.getParam(i)]));
  const x32 = join(home, 'plain-x32.f32');
  const y32 = join(home, 'plain-y32.f32');
  const outPath = join(home, 'plain-after.f32');
  writeF32(x32, Float32Array.from(images.subarray(0, n * 784)));
  writeF32(y32, oneHot(labels.subarray(0, n)));
  runPython('keras_check.py', ['step', model, x32, String(n), y32, outPath]);
  const got = readF32(outPath);
  const before = Float32Array.from(contents.tensors.flatMap((tt) => [...tt.data]));
  const moved = maxAbsDiff(want, before);
  const diff = maxAbsDiff(got, want);
  assert.ok(diff < moved / 1000, `cnn's step and Keras's differ by ${diff} (the step moved weights by up to ${moved})`);
  t.diagnostic(`imported adam state: weights after the step differ by ${diff.toExponential(2)} (moved ${moved.toExponential(2)})`);
});
