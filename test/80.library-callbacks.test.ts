/**
 * The built-in callbacks against Keras 3's decisions (keras/src/callbacks/*.py), driven with scripted
 * logs on a real (tiny) model, plus each one inside a real fit.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CSVLogger,
  EarlyStopping,
  LearningRateScheduler,
  ModelCheckpoint,
  ReduceLROnPlateau,
  TerminateOnNaN,
  layers,
  loadModel,
  sequential,
  type Callback,
  type CallbackHooks,
  type Logs,
  type Sequential,
} from '../src/index.js';
import { pythonFormat } from '../src/api/python-format.js';
import { bands, flatWeights, tinyModel } from './helpers/library.js';

/** Runs a callback over scripted epoch logs the way fit does; returns the epochs it stopped at. */
async function drive(cb: CallbackHooks & Pick<Callback, 'setModel'>, model: Sequential, script: Logs[], beforeEpoch?: (epoch: number) => void): Promise<number> {
  cb.setModel(model);
  model.stopTraining = false;
  await cb.onTrainBegin?.({});
  let last = -1;
  for (let epoch = 0; epoch < script.length; epoch++) {
    beforeEpoch?.(epoch);
    await cb.onEpochBegin?.(epoch, {});
    await cb.onEpochEnd?.(epoch, { ...script[epoch] });
    last = epoch;
    if (model.stopTraining) break;
  }
  await cb.onTrainEnd?.({});
  return last;
}

/** Marks the model's weights with the epoch number, so restored weights tell which epoch they are. */
function markWeights(model: Sequential, epoch: number): void {
  model.setWeights(model.getWeights().map((w) => ({ shape: w.shape, data: new Float32Array(w.data.length).fill(epoch) })));
}

const losses = (...values: number[]): Logs[] => values.map((loss) => ({ loss }));

test('EarlyStopping patience 2 stops at the epoch Keras stops at and restores the best weights', async () => {
  const model = tinyModel();
  const cb = new EarlyStopping({ monitor: 'loss', patience: 2, restoreBestWeights: true });
  const stopped = await drive(cb, model, losses(1.0, 0.9, 0.95, 0.97, 0.5, 0.4), (e) => markWeights(model, e));
  assert.equal(stopped, 3); // epoch 1 is best; epochs 2 and 3 do not improve: wait reaches 2 at epoch 3
  assert.equal(cb.stoppedEpoch, 3);
  assert.equal(cb.bestEpoch, 1);
  assert.ok(flatWeights(model).every((v) => v === 1), 'the weights of epoch 1 (the best) are back');
});

test('EarlyStopping without restoreBestWeights keeps the last weights; defaults are Keras 3 (val_loss, patience 0)', async () => {
  const model = tinyModel();
  const cb = new EarlyStopping();
  assert.equal(cb.monitor, 'val_loss');
  assert.equal(cb.patience, 0);
  assert.equal(cb.minDelta, 0);
  assert.equal(cb.mode, 'auto');
  const stopped = await drive(cb, model, [{ val_loss: 0.5 }, { val_loss: 0.6 }, { val_loss: 0.4 }], (e) => markWeights(model, e));
  assert.equal(stopped, 1);
  assert.ok(flatWeights(model).every((v) => v === 1));
});

test('EarlyStopping minDelta, mode max on accuracy, baseline and startFromEpoch decide as Keras does', async () => {
  const model = tinyModel();
  // An improvement smaller than min_delta is no improvement.
  assert.equal(await drive(new EarlyStopping({ monitor: 'loss', minDelta: 0.05, patience: 1 }), model, losses(1.0, 0.99, 0.98)), 1);
  // accuracy is maximised in auto mode.
  const acc = (...v: number[]): Logs[] => v.map((accuracy) => ({ accuracy }));
  assert.equal(await drive(new EarlyStopping({ monitor: 'accuracy', patience: 1 }), model, acc(0.5, 0.6, 0.7, 0.65, 0.8)), 3);
  // A baseline never beaten: wait is not reset by improvements, and a non-improving epoch stops.
  assert.equal(await drive(new EarlyStopping({ monitor: 'val_accuracy', baseline: 0.6, patience: 2 }), model, [{ val_accuracy: 0.5 }, { val_accuracy: 0.4 }, { val_accuracy: 0.4 }]), 1);
  // Warm-up epochs are not monitored.
  assert.equal(await drive(new EarlyStopping({ monitor: 'loss', startFromEpoch: 2 }), model, losses(1, 2, 3, 4, 5)), 3);
  // Keras's snake_case spellings work too.
  const snake = new EarlyStopping({ monitor: 'loss', min_delta: 0.1, restore_best_weights: true } as never);
  assert.equal(snake.minDelta, 0.1);
  assert.equal(snake.restoreBestWeights, true);
  // auto mode refuses a metric whose direction it cannot know.
  await assert.rejects(drive(new EarlyStopping({ monitor: 'mystery' }), model, losses(1)), /pass mode: 'max' or mode: 'min'/);
});

test('EarlyStopping stops a real fit: history has the epochs trained', async () => {
  const model = tinyModel({ learningRate: 1e-30 }); // the loss does not improve
  const data = bands(48);
  const h = await model.fit(data, { epochs: 10, batchSize: 16, verbose: 0, callbacks: [new EarlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e-6 })] });
  assert.deepEqual(h.epoch, [0, 1, 2]);
  assert.equal(h.history.loss!.length, 3);
});

test('ReduceLROnPlateau: factor, patience, cooldown and minLr as in Keras; learning_rate in the logs', async () => {
  const model = tinyModel({ learningRate: 0.001 });
  const cb = new ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 1, cooldown: 1, minLr: 0.0001 });
  const seen: number[] = [];
  cb.setModel(model);
  cb.onTrainBegin();
  for (let epoch = 0; epoch < 6; epoch++) {
    const logs: Logs = { loss: 1 };
    cb.onEpochEnd(epoch, logs);
    seen.push(logs.learning_rate!);
  }
  const f = Math.fround;
  assert.deepEqual(seen, [f(0.001), f(0.001), f(f(0.001) * 0.5), f(f(f(0.001) * 0.5) * 0.5), f(f(f(f(0.001) * 0.5) * 0.5) * 0.5), f(0.0001)]);
  assert.equal(model.optimizer.learningRate, f(0.0001));
  // Keras's defaults.
  const d = new ReduceLROnPlateau();
  assert.deepEqual([d.monitor, d.factor, d.patience, d.minDelta, d.cooldown, d.minLr], ['val_loss', 0.1, 10, 1e-4, 0, 0]);
  assert.throws(() => new ReduceLROnPlateau({ factor: 1 }), /does not support a factor >= 1.0/);
});

test('LearningRateScheduler follows Keras\'s documented example (SGD 0.01, lr * exp(-0.1) after epoch 10)', async () => {
  const model = tinyModel({ optimizer: 'sgd', learningRate: 0.01 });
  const cb = new LearningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)));
  await drive(cb, model, Array.from({ length: 15 }, () => ({ loss: 1 })));
  assert.equal(Math.round(model.optimizer.learningRate * 1e5) / 1e5, 0.00607);
});

const maxChange = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('a learning rate set during fit reaches the native optimizer (1e-30 freezes the weights) and is in history', async () => {
  const model = tinyModel({ optimizer: 'adam', learningRate: 0.01 });
  const data = bands(48);
  await model.fit(data, { epochs: 1, batchSize: 16, verbose: 0 });
  const before = flatWeights(model);
  const h = await model.fit(data, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [new LearningRateScheduler(() => 1e-30)] });
  assert.ok(maxChange(flatWeights(model), before) < 1e-20, 'learning rate 1e-30: nothing moves');
  assert.deepEqual(h.history.learning_rate, [Math.fround(1e-30), Math.fround(1e-30)]);
  const h2 = await model.fit(data, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [new LearningRateScheduler(() => 0.01)] });
  assert.ok(maxChange(flatWeights(model), before) > 1e-4, 'learning rate 0.01 again: the weights move');
  assert.equal(model.optimizer.iterations, 3 + 6 + 3, 'the step count survives the learning-rate changes');
  assert.equal(h2.history.learning_rate![0], Math.fround(0.01));
});

test('ModelCheckpoint formats {epoch:02d}-{val_loss:.2f} and saveBestOnly keeps only improvements', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-ckpt-'));
  try {
    const model = tinyModel();
    const cb = new ModelCheckpoint(join(dir, 'w-{epoch:02d}-{val_loss:.2f}.bin'), { saveBestOnly: true });
    assert.equal(cb.monitor, 'val_loss');
    await drive(cb, model, [{ val_loss: 0.5 }, { val_loss: 0.6 }, { val_loss: 0.4 }]);
    assert.deepEqual(readdirSync(dir).sort(), ['w-01-0.50.bin', 'w-03-0.40.bin']);
    const loaded = await loadModel(join(dir, 'w-03-0.40.bin'));
    assert.deepEqual(flatWeights(loaded), flatWeights(model));
    const every = new ModelCheckpoint(join(dir, 'all-{epoch}.bin'));
    await drive(every, model, [{ val_loss: 0.5 }, { val_loss: 0.6 }]);
    assert.ok(readdirSync(dir).includes('all-1.bin') && readdirSync(dir).includes('all-2.bin'));
    await assert.rejects(drive(new ModelCheckpoint(join(dir, '{nope}.bin')), model, [{ loss: 1 }]), /Failed to format this callback filepath/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pythonFormat matches Python\'s str.format for the specs checkpoints use', () => {
  assert.equal(pythonFormat('{epoch:02d}', { epoch: 3 }), '03');
  assert.equal(pythonFormat('{val_loss:.2f}', { val_loss: 0.4567 }), '0.46');
  assert.equal(pythonFormat('{loss:.3e}', { loss: 0.00012 }), '1.200e-04');
  assert.equal(pythonFormat('{acc:.1%}', { acc: 0.875 }), '87.5%');
  assert.equal(pythonFormat('{epoch:>4}|{{x}}', { epoch: 7 }), '   7|{x}');
  assert.equal(pythonFormat('{loss}', { loss: 1 }), '1.0');
});

test('CSVLogger writes epoch then the sorted keys, Keras\'s excel dialect; append continues without a header', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-csv-'));
  try {
    const file = join(dir, 'log.csv');
    const model = tinyModel();
    await drive(new CSVLogger(file), model, [{ loss: 1, accuracy: 0.5, val_loss: 0.25 }, { loss: 0.75, accuracy: 0.625, val_loss: 0.125 }]);
    assert.equal(readFileSync(file, 'utf8'), 'epoch,accuracy,loss,val_loss\r\n0,0.5,1.0,0.25\r\n1,0.625,0.75,0.125\r\n');
    await drive(new CSVLogger(file, ';', true), model, [{ loss: 0.5, accuracy: 0.75, val_loss: 0.1 }]);
    assert.equal(readFileSync(file, 'utf8').split('\r\n')[3], '0;0.75;0.5;0.1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function explodingModel(): Sequential {
  const m = sequential({ inputShape: [8, 8, 1], layers: [layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
  m.compile({ optimizer: { type: 'sgd', learningRate: 3e38 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

test('a NaN loss rejects fit with ERR_NON_FINITE; TerminateOnNaN ends it gracefully instead (Keras\'s default)', async () => {
  const data = bands(64);
  await assert.rejects(explodingModel().fit(data, { epochs: 3, batchSize: 8, verbose: 0 }), (e: Error & { code?: string }) => e.code === 'ERR_NON_FINITE');
  let ended = false;
  const model = explodingModel();
  const h = await model.fit(data, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [new TerminateOnNaN(), { onTrainEnd: () => void (ended = true) }] });
  assert.deepEqual(h.epoch, [0]);
  assert.ok(Number.isNaN(h.history.loss![0]));
  assert.ok(ended, 'onTrainEnd runs: the stop was graceful');
  assert.equal((await model.predict(data.images)).shape[0], 64, 'the model is still usable');
  await assert.rejects(explodingModel().fit(data, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [new TerminateOnNaN(true)] }), /NaN or Inf loss encountered at batch/);
});
