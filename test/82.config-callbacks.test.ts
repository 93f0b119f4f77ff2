/**
 * A config's "callbacks" list (validated like every other key, run by cnn train, fit's defaults for a
 * model from modelFromConfig) and the library's TensorBoard callback.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnError, CSVLogger, modelFromConfig, TensorBoard, type ModelConfig } from '../src/index.js';
import { validateConfig } from '../src/model/validate.js';
import { ConfigError } from '../src/model/validate-core.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { runCli } from './helpers/cli.js';
import { bands, tinyModel } from './helpers/library.js';
import { eventFile, readEvents } from './helpers/tensorboard-events.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const home = warmDatasetHome(mkdtempSync(join(tmpdir(), 'cnn-config-callbacks-')), ['mnist']);
const env = { CNN_HOME: home, CNN_THREADS: '1' };
test.after(() => rmSync(home, { recursive: true, force: true }));

const mnist = JSON.parse(readFileSync(new URL('../../data/mnist.json', import.meta.url), 'utf8')) as Record<string, unknown>;
/** MNIST with a small model, so a --limit run takes a second. */
function mnistConfig(callbacks: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...mnist, layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }], epochs: 6, callbacks, ...extra };
}

/** The 8x8 three-band model of test/helpers/library.ts as a config. */
function bandsConfig(callbacks: unknown): Record<string, unknown> {
  return {
    input_shape: [8, 8, 1],
    preprocessing: { rescale: 1 / 255 },
    layers: [{ type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu' }, { type: 'Flatten' }, { type: 'Dense', units: 3, activation: 'softmax' }],
    optimizer: { type: 'adam', learning_rate: 0.01 },
    loss: 'sparse_categorical_crossentropy',
    batch_size: 16,
    callbacks,
  };
}

function issues(callbacks: unknown): string[] {
  try {
    validateConfig(bandsConfig(callbacks), 'c.json');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

test('callbacks: unknown types and arguments get "did you mean", wrong values their JSON path', () => {
  assert.deepEqual(issues([{ type: 'EarlyStoping' }]), [
    'callbacks[0].type: must be one of "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "TensorBoard"; got "EarlyStoping"; did you mean "EarlyStopping"?',
  ]);
  assert.deepEqual(issues([{ type: 'CSVLogger', filename: 'a.csv' }, { type: 'EarlyStopping', patiense: 2, patience: -1, monitor: 'val_los', restore_best_weights: 'yes' }]), [
    'callbacks[1].patiense: unknown key "patiense" for EarlyStopping; did you mean "patience"?',
    'callbacks[1].monitor: must be one of "val_loss", "loss", "val_accuracy", "accuracy", "learning_rate"; got "val_los"; did you mean "val_loss"?',
    'callbacks[1].patience: must be an integer >= 0 and <= 2147483647, got -1',
    'callbacks[1].restore_best_weights: must be true or false, got "yes"',
  ]);
  assert.deepEqual(issues([{ type: 'ReduceLROnPlateau', factor: 1.5, min_lr: -1 }]), [
    'callbacks[0].factor: must be a number > 0 and < 1, got 1.5',
    'callbacks[0].min_lr: must be a number >= 0, got -1',
  ]);
  assert.deepEqual(issues([{ type: 'ModelCheckpoint', save_freq: 0 }, { type: 'CSVLogger' }, { type: 'TensorBoard', logdir: 'x', histogram_freq: 1.5 }, 3, { patience: 1 }]), [
    'callbacks[0].filepath: is required (a string)',
    'callbacks[0].save_freq: must be "epoch" or a number of batches (an integer >= 1), got 0',
    'callbacks[1].filename: is required (a string)',
    'callbacks[2].logdir: unknown key "logdir" for TensorBoard; did you mean "log_dir"?',
    'callbacks[2].histogram_freq: must be an integer >= 0 and <= 2147483647, got 1.5',
    'callbacks[3]: must be an object like {"type": "EarlyStopping", "patience": 2}, got 3',
    'callbacks[4].type: is required (one of EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, TensorBoard)',
  ]);
  assert.deepEqual(issues({ type: 'EarlyStopping' }), ['callbacks: must be an array of callbacks like [{"type": "EarlyStopping", "monitor": "val_loss", "patience": 2}], got {"type":"EarlyStopping"}']);
  const [scheduler] = issues([{ type: 'LearningRateScheduler', schedule: 'exponential' }]);
  assert.match(scheduler, /^callbacks\[0\]: LearningRateScheduler takes a schedule function .* which a JSON config cannot hold/);
});

test('callbacks: a valid list comes back with Keras\'s defaults filled in; a config without one has none', () => {
  const c = validateConfig(bandsConfig([{ type: 'EarlyStopping', patience: 2 }, { type: 'TensorBoard' }]));
  assert.deepEqual(c.callbacks, [
    { type: 'EarlyStopping', monitor: 'val_loss', min_delta: 0, patience: 2, verbose: 0, mode: 'auto', baseline: null, restore_best_weights: false, start_from_epoch: 0 },
    { type: 'TensorBoard', log_dir: 'logs', histogram_freq: 0, write_graph: true, write_images: false, update_freq: 'epoch' },
  ]);
  assert.equal('callbacks' in validateConfig(bandsConfig(undefined)), false);
});

test('cnn train: a bad callbacks entry exits 2 with its JSON path before loading anything', () => {
  const file = join(home, 'bad.json');
  writeFileSync(file, JSON.stringify(mnistConfig([{ type: 'EarlyStopping', patience: 'two' }])));
  const r = runCli(['train', '--config', file, '--limit', '64'], { env, cwd: home });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `cnn: error: ${file}: callbacks[0].patience: must be an integer >= 0 and <= 2147483647, got "two"\n`);
});

test('cnn train: EarlyStopping stops before the epochs and the weights file holds the restored best; ModelCheckpoint and CSVLogger write from the current folder', async () => {
  const dir = mkdtempSync(join(home, 'run-'));
  // A min_delta no loss can beat: epoch 1 is the best, epoch 2 does not improve, patience 1 stops there.
  const config = mnistConfig([
    { type: 'EarlyStopping', monitor: 'loss', min_delta: 10, patience: 1, restore_best_weights: true },
    { type: 'ModelCheckpoint', filepath: 'ckpt-{epoch}.weights.bin' },
    { type: 'CSVLogger', filename: 'log.csv' },
  ]);
  writeFileSync(join(dir, 'es.json'), JSON.stringify(config));
  const r = runCli(['train', '--config', 'es.json', '--limit', '320', '--out', 'w.bin'], { env, cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /EarlyStopping: loss did not improve for 1 epoch; stopped after epoch 2 of 6; the weights are those of epoch 1, the best\n/);
  assert.doesNotMatch(r.stdout, /Epoch 3\/6/);
  const saved = await readWeightsFile(join(dir, 'w.bin'));
  assert.equal(saved.training?.epoch, 2);
  assert.deepEqual((saved.config as ModelConfig).callbacks?.map((c) => c.type), ['EarlyStopping', 'ModelCheckpoint', 'CSVLogger']);
  const first = await readWeightsFile(join(dir, 'ckpt-1.weights.bin'));
  const second = await readWeightsFile(join(dir, 'ckpt-2.weights.bin'));
  assert.ok(!existsSync(join(dir, 'ckpt-3.weights.bin')));
  const same = (a: typeof saved, b: typeof saved) => a.tensors.every((t, i) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b.tensors[i].data.buffer, b.tensors[i].data.byteOffset, b.tensors[i].data.byteLength)));
  assert.ok(same(saved, first), 'the weights file holds epoch 1\'s weights');
  assert.ok(!same(saved, second), 'not those of the last epoch trained');
  const history = JSON.parse(readFileSync(join(dir, 'w.history.json'), 'utf8')) as { loss: number }[] | { history: { loss: number }[] };
  const records = Array.isArray(history) ? history : history.history;
  const rows = readFileSync(join(dir, 'log.csv'), 'utf8').split('\r\n');
  assert.equal(rows[0], 'epoch,accuracy,loss');
  assert.equal(rows.length, 4, 'a header, one row per epoch trained, the final newline');
  assert.deepEqual(rows.slice(1, 3).map((row) => row.split(',')[0]), ['0', '1']);
  assert.deepEqual(rows.slice(1, 3).map((row) => Number(row.split(',')[2])), records.map((h) => h.loss));

  const summary = runCli(['summary', '--config', 'es.json'], { env, cwd: dir });
  assert.equal(summary.status, 0, summary.stderr);
  assert.doesNotMatch(summary.stdout + summary.stderr, /callback/i);
});

test('TensorBoard callback: epoch_loss and validation epoch_loss are the History\'s; no histograms by default (histogram_freq=0)', async () => {
  const dir = mkdtempSync(join(home, 'tb-'));
  const model = tinyModel();
  const h = await model.fit(bands(96), { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0, callbacks: [new TensorBoard({ logDir: dir })] });
  const train = readEvents(eventFile(join(dir, 'train')));
  const loss = train.filter((e) => 'epoch_loss' in e.scalars);
  assert.deepEqual(loss.map((e) => e.step), [0, 1, 2]);
  assert.deepEqual(loss.map((e) => e.scalars.epoch_loss), h.history.loss!.map(Math.fround));
  assert.deepEqual(train.filter((e) => 'epoch_accuracy' in e.scalars).map((e) => e.scalars.epoch_accuracy), h.history.accuracy!.map(Math.fround));
  const validation = readEvents(eventFile(join(dir, 'validation'))).filter((e) => 'epoch_loss' in e.scalars);
  assert.deepEqual(validation.map((e) => e.scalars.epoch_loss), h.history.val_loss!.map(Math.fround));
  const tags = train.flatMap((e) => e.tags);
  assert.ok(tags.includes('keras'), 'write_graph defaults to true');
  assert.ok(!tags.some((t) => t.endsWith('/histogram') || t.endsWith('/image')), tags.join(' '));
});

test('TensorBoard callback: histogramFreq 2 logs histograms at epochs 0 and 2, images only with writeImages; update_freq logs batch_loss', async () => {
  const dir = mkdtempSync(join(home, 'tb-hist-'));
  await tinyModel().fit(bands(48), { epochs: 3, batchSize: 16, verbose: 0, callbacks: [new TensorBoard({ log_dir: dir, histogram_freq: 2, update_freq: 'batch' })] });
  const train = readEvents(eventFile(join(dir, 'train')));
  const histogramSteps = [...new Set(train.filter((e) => e.tags.some((t) => t.endsWith('/histogram'))).map((e) => e.step))];
  assert.deepEqual(histogramSteps, [0, 2]);
  assert.ok(!train.some((e) => e.tags.some((t) => t.endsWith('/image'))));
  assert.deepEqual(train.filter((e) => 'batch_loss' in e.scalars).map((e) => e.step), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(readdirSync(dir).includes('validation'), false);

  const withImages = mkdtempSync(join(home, 'tb-img-'));
  await tinyModel().fit(bands(48), { epochs: 1, batchSize: 16, verbose: 0, callbacks: [new TensorBoard({ logDir: withImages, histogramFreq: 1, writeImages: true })] });
  assert.ok(readEvents(eventFile(join(withImages, 'train'))).some((e) => e.tags.some((t) => t.endsWith('/image'))));
  assert.throws(() => new TensorBoard({ logDir: dir, updateFreq: 'sometimes' as 'epoch' }), (e: unknown) => e instanceof CnnError && /updateFreq must be "epoch", "batch" or an integer >= 1/.test(e.message));
  assert.throws(() => new TensorBoard({ logdir: dir } as never), (e: unknown) => e instanceof CnnError && /unknown option logdir/.test(e.message));
});

test('modelFromConfig: the config\'s callbacks are fit\'s defaults; callbacks given to fit replace them', async () => {
  const dir = mkdtempSync(join(home, 'lib-'));
  const csv = join(dir, 'config.csv');
  const model = modelFromConfig(bandsConfig([{ type: 'CSVLogger', filename: csv }, { type: 'EarlyStopping', monitor: 'loss', min_delta: 10, patience: 1 }]));
  const h = await model.fit(bands(48), { epochs: 5, verbose: 0 });
  assert.deepEqual(h.epoch, [0, 1], 'EarlyStopping from the config stopped fit');
  assert.equal(readFileSync(csv, 'utf8').split('\r\n').length, 4, 'header, two rows, and the final newline');

  rmSync(csv);
  const given = join(dir, 'given.csv');
  const h2 = await model.fit(bands(48), { epochs: 3, verbose: 0, callbacks: [new CSVLogger(given)] });
  assert.deepEqual(h2.epoch, [0, 1, 2], 'the config\'s EarlyStopping no longer runs');
  assert.ok(!existsSync(csv), 'nor its CSVLogger');
  assert.ok(existsSync(given));
});
